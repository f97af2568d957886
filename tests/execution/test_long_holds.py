"""A retry-after too long to be a rate limit, and resets too far off to trust: held as a quota, for at most a
day; and timestamps already stored beyond any date still render."""

from __future__ import annotations

import pytest

from router_core.errors import QuotaExhausted
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.holds import MAX_HOLD_SECONDS, QUOTA
from router_core.execution.results import Attempt
from router_core.records import attempt_dict, iso, provider_state
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
DAY = 86400.0


@pytest.mark.parametrize("retry_after", [999_999_999.0, 1e20])
async def test_a_huge_retry_after_holds_the_provider_as_a_quota_for_at_most_a_day(
        settings, build_executor, fake, clock, retry_after):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=retry_after)])
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert (o.status, o.provider) == ("success", "gemini")  # fell back at once, no retry on codex
    assert [(a.provider, a.outcome) for a in o.attempts] == [("codex", "rate_limited"), ("gemini", "success")]
    assert fake.stats("codex").requests == 1
    now = clock.now()
    assert o.attempts[0].lifts_at == pytest.approx(now + DAY, abs=5)
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == QUOTA and hold.until == pytest.approx(now + DAY, abs=5)
    assert "held as a quota" in hold.reason
    assert r.audit["execution_metrics"]["attempts"][0]["lifts_at"] == iso(o.attempts[0].lifts_at)
    assert core.capacity().availability["codex"].lifts_at == pytest.approx(now + DAY, abs=5)


async def test_a_retry_after_longer_than_the_probe_interval_is_held_as_a_quota(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    assert settings.execution.outage_probe_interval_seconds < 1000
    fake.script("codex", [Fault.rate_limited(retry_after=1000)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.provider == "gemini" and o.attempts[0].outcome == "rate_limited"
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == QUOTA and hold.until == pytest.approx(clock.now() + 1000, abs=5)


async def test_a_quota_reset_too_far_off_is_held_for_at_most_a_day(settings, clock):
    core = make_core(settings, clock)
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("codex", "gemini", "claude")}
    adapters["codex"].script.append(QuotaExhausted("codex quota exhausted", provider="codex", resets_at=1e20))
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.provider != "codex"
    assert o.attempts[0].lifts_at == pytest.approx(clock.now() + MAX_HOLD_SECONDS, abs=5)
    assert core.execution_state.holds.active("codex")["codex"].until == pytest.approx(clock.now() + DAY, abs=5)


def test_holds_are_never_written_beyond_a_day(settings, clock):
    core = make_core(settings, clock)
    holds = core.execution_state.holds
    holds.hold("claude", QUOTA, 1e20, "quota exhausted: far")
    assert holds.active("claude")["claude"].until == clock.now() + DAY


@pytest.mark.parametrize(("epoch", "text"), [
    (1e20, "9999-12-31T23:59:59Z"), (float("inf"), "9999-12-31T23:59:59Z"), (-1e20, "0001-01-01T00:00:00Z"),
    (float("nan"), None),
])
def test_iso_never_raises_on_an_absurd_timestamp(epoch, text):
    assert iso(epoch) == text


def test_a_hold_stored_at_1e20_still_renders_in_usage(settings, clock):
    core = make_core(settings, clock)
    with core.db.transaction() as conn:  # as the old code stored it, past any cap
        conn.execute("INSERT INTO execution_holds (provider, kind, until, reason) VALUES (?, ?, ?, ?)",
                     ("claude", "rate_limited", 1e20, "rate limited: retry after 1e+20s"))
    assert attempt_dict(Attempt("claude", "on_hold", lifts_at=1e20))["lifts_at"] == "9999-12-31T23:59:59Z"
    capacity = core.capacity()
    state = provider_state(capacity.usage["claude"], capacity.availability["claude"])
    assert state["blocked_until"] == "9999-12-31T23:59:59Z"


@pytest.mark.parametrize("retry_after", [999_999_999.0, 1e20])
async def test_a_huge_retry_after_on_a_503_holds_the_provider_for_at_most_a_day(
        settings, build_executor, fake, clock, retry_after):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503, retry_after=retry_after)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini") and fake.stats("codex").requests == 1
    now = clock.now()
    assert o.attempts[0].lifts_at == pytest.approx(now + DAY, abs=5)
    assert core.execution_state.holds.active("codex")["codex"].until == pytest.approx(now + DAY, abs=5)


async def test_an_outage_probe_met_by_a_long_retry_after_holds_it_as_a_quota_too(settings, build_executor, fake,
                                                                                 clock):
    # As a request's 429 is: the probe's was held as a rate limit for all of its 1000 s, past the probe interval
    # that bounds every rate-limit hold, so a clock set back by a few seconds (an NTP step) read it as a row the
    # step left in the future and lifted it, and the next request met another 429.
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    assert interval < 1000
    fake.script("codex", [Fault.status(503)] * 3 + [Fault.rate_limited(retry_after=1000)])
    await dispatch(core, ex, CODE_TASK)
    clock.advance(interval)
    assert await ex.probe_due() == ["codex"]
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == QUOTA and "held as a quota" in hold.reason
    clock.advance(-10)
    core.decide(CODE_TASK)  # notices the step and repairs
    assert core.execution_state.holds.active("codex")["codex"].until == hold.until


async def test_an_outage_probe_met_by_a_quota_whose_reset_has_passed_holds_it_for_the_longest_backoff(settings, clock):
    # As a request's quota refusal is (execution/failures.py): the probe's hold ended before it began, so nothing held the
    # provider and the next task sent at once into the quota that had just refused.
    core = make_core(settings, clock)
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("codex", "gemini", "claude")}
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)
    circuits = core.execution_state.circuits
    for _ in range(circuits.threshold):
        circuits.record_failure("codex", "503")
    clock.advance(settings.execution.outage_probe_interval_seconds)
    adapters["codex"].script.append(QuotaExhausted("codex quota exhausted", provider="codex",
                                                   resets_at=clock.now() - 1))
    assert await ex.probe_due() == ["codex"]
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == QUOTA and hold.until == clock.now() + settings.execution.backoff_max_seconds


async def test_a_long_hold_reason_is_cut_with_a_mark_not_mid_sentence(settings, build_executor, fake, clock):
    # Gemini's quota message, cut at 300 characters, ended "... model: gemini-2.5-flash Please retry in 36." in
    # `switchboard usage` and usage://gemini: a wait of 36 s, it read, beside a hold until 08:00 the next day.
    core, _ = build_executor(settings)
    said = "quota exhausted: " + "You exceeded your current quota. " * 8 + "Please retry in 36.400s."
    core.execution_state.holds.hold("gemini", QUOTA, clock.now() + 600, said)
    reason = core.execution_state.holds.active("gemini")["gemini"].reason
    assert len(reason) == 300 and reason.endswith("…") and reason[:-1] == said[:299]
    short = "quota exhausted: resets at 08:00 UTC"
    core.execution_state.holds.hold("codex", QUOTA, clock.now() + 600, short)
    assert core.execution_state.holds.active("codex")["codex"].reason == short
