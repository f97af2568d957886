"""A 429's rate-limit headers update the shared usage state as a success's do (pacing, usage, routing)."""

from __future__ import annotations

import pytest

from resources.views import usage_summary
from router_core.capacity import blocked_from
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.pacing import PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import clock_sleep, with_execution, with_limits
from tests.fakes.fake_limits import Limits
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude


def tokens_out(limit: int, reset: str = "20s") -> dict[str, str]:
    """OpenAI's headers on a 429 for the tokens per minute: none left until ``reset``."""
    return {"x-ratelimit-limit-tokens": str(limit), "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": reset}


async def test_a_429_saying_no_tokens_are_left_counts_in_every_process_while_they_refill(
        settings, build_executor, fake, clock):
    """Only answers' headers were read: a 429 saying the organisation's tokens were spent (other tools on the
    key) changed nothing, so after its 1 s retry-after every process sent again into the same limit, and
    routing still saw codex with room."""
    s = with_execution(settings, max_retries=0)  # the 429 falls back at once
    core, ex = build_executor(s)
    tpm = s.provider("codex").tokens_per_minute
    fake.script("codex", [Fault.rate_limited(retry_after=1.0, headers=tokens_out(tpm))])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert o.attempts[0].outcome == "rate_limited"

    other = make_core(s, clock)  # another process on the same state database
    window = other.usage_tracker.window("codex")
    assert (window.source, window.tokens) == ("headers", tpm)
    blocks = other.capacity().availability["codex"].blocks
    assert any(b.reason.startswith("tokens_percent") for b in blocks)

    clock.advance(1.5)  # the retry-after is over; half the tokens are back 30 s after the 429, at tpm a minute
    other_ex = Executor(other, {}, sleep=clock_sleep(clock), random=lambda: 0.5)
    wait = other_ex.pacer.try_acquire("codex", tpm // 2)
    assert isinstance(wait, PaceWait) and wait.hold is None
    assert wait.seconds == pytest.approx(28.5, abs=0.01)
    clock.advance(28.6)
    assert not isinstance(other_ex.pacer.try_acquire("codex", tpm // 2), PaceWait)


async def test_the_retry_after_a_429_waits_for_the_tokens_its_headers_say_are_spent(settings, build_executor, fake):
    # Another tool has spent the key's tokens (the fake's own bucket, 6,000 a minute: 100 a second): a 429 says
    # so, "reset in 6s", and to retry after 1 s. The retry waits for its estimate's tokens to come back at the
    # limit's rate (not after the 1 s, nor at the 6 s reset: either one into a second 429 from the fake's limiter).
    s = with_limits(settings, codex=(settings.provider("codex").requests_per_minute, 6_000))
    window = s.execution.rate_window_seconds
    fake.set_limits("codex", Limits(None, 6_000, window, bucket=True))
    core, ex = build_executor(s)
    fake.spend("codex", tokens=6_000)
    fake.script("codex", [Fault.rate_limited(retry_after=1.0, headers=tokens_out(6_000, "6s")),
                          Fault.ok(output_tokens=1_000)])  # an answer of the size estimated: 10 s of tokens
    o = (await dispatch(core, ex, CODE_TASK, provider="codex")).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [a.outcome for a in o.attempts] == ["rate_limited", "success"]
    assert o.attempts[1].waited_seconds > 10.0
    assert (fake.stats("codex").sent_429, fake.stats("codex").limit_429) == (1, 0)


async def test_a_429_naming_its_wait_only_in_its_message_is_retried_not_held_for_the_tokens_reset(
        settings, build_executor, fake, clock):
    """OpenAI's TPM 429 without a Retry-After: "Please try again in 1.5s", and x-ratelimit-reset-tokens "6m0s"
    (until the whole window is full again). The 6 minutes decided: longer than outage_probe_interval_seconds,
    codex was held as a quota and the task went to gemini."""
    core, ex = build_executor(settings)
    tpm = settings.provider("codex").tokens_per_minute
    fake.script("codex", [Fault.rate_limited(retry_after=1.5, headers=tokens_out(tpm, "6m0s"),
                                             retry_after_header=False)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [a.outcome for a in o.attempts] == ["rate_limited", "success"]
    assert "codex" not in core.execution_state.holds.active("codex")


async def test_an_outage_probe_met_by_a_429_learns_from_its_headers_too(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    tpm = settings.provider("codex").tokens_per_minute
    fake.script("codex", [Fault.status(503)] * 3 + [Fault.rate_limited(retry_after=1.0, headers=tokens_out(tpm))])
    await dispatch(core, ex, CODE_TASK)  # three 503s open the circuit
    clock.advance(settings.execution.outage_probe_interval_seconds)
    assert await ex.probe_due() == ["codex"]
    window = core.usage_tracker.window("codex")
    assert (window.source, window.tokens) == ("headers", tpm)


async def test_routing_and_the_usage_resource_see_spent_tokens_refill_past_the_requests_reset(
        settings, build_executor, fake, clock):
    """OpenAI's usual 429: requests reset in 1 s, tokens (spent by another tool on the key) in 20 s. The usage
    observation lasted until the sooner reset: from 1 s on, routing recommended codex and router://usage showed
    its tokens free, while pacing held them. Now each dimension refills on its own, in routing as in pacing:
    the whole limit spent comes back at no more than the limit a window (refill.py), so a minute here."""
    s = with_execution(settings, max_retries=0)
    core, ex = build_executor(s)
    codex = s.provider("codex")
    rpm, tpm, window = codex.requests_per_minute, codex.tokens_per_minute, s.execution.rate_window_seconds
    headers = {**tokens_out(tpm, "20s"), "x-ratelimit-limit-requests": str(rpm),
               "x-ratelimit-remaining-requests": str(rpm - 1), "x-ratelimit-reset-requests": "1s"}
    fake.script("codex", [Fault.rate_limited(retry_after=1.0, headers=headers)])
    sent = clock.now()
    assert (await dispatch(core, ex, CODE_TASK)).outcome.provider == "gemini"

    clock.advance(2.0)  # past the requests reset and the retry-after; the tokens are still mostly spent
    other = make_core(s, clock)  # another process on the same state database
    (block,) = other.capacity().availability["codex"].blocks
    assert block.reason.startswith("tokens_percent")
    # Under the 90% threshold once fewer than 90% of the tokens are still out.
    lifts = sent + window * (1 - (blocked_from(tpm, codex.block.tokens_percent) - 1) / tpm)
    assert block.lifts_at == pytest.approx(lifts, abs=0.01)
    assert other.decide(CODE_TASK, audit=False).provider != "codex"
    summary = usage_summary(other)["providers"]["codex"]
    assert (summary["source"], summary["available"]) == ("headers", False)
    assert summary["tokens_used"] == pytest.approx(tpm * (window - 2) / window, abs=tpm * 0.001)

    clock.set(lifts + 0.01)  # enough is back: codex has room again, in routing as in pacing
    assert other.capacity().availability["codex"].available
    assert other.decide(CODE_TASK, audit=False).provider == "codex"
    clock.set(sent + window + 0.01)  # all back
    assert usage_summary(other)["providers"]["codex"]["tokens_used"] == 0
