"""Design 9.3 end to end: 3 failures open the circuit, traffic moves, a probe restores it; all visible."""

from __future__ import annotations

import pytest

from resources.views import usage_summary
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.holds import RATE_LIMITED, UNAVAILABLE
from router_core.execution.pacing import PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import clock_sleep, with_execution
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"


async def test_outage_moves_traffic_and_a_probe_restores_it(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    fake.script("codex", [Fault.status(503)] * 3)

    first = (await dispatch(core, ex, CODE_TASK)).outcome
    assert first.status == "success" and first.provider == "gemini"
    assert [a.outcome for a in first.attempts] == ["unavailable"] * 3 + ["success"]  # the circuit cut retries short
    outage = [r for r in core.audit.tail(10) if r.get("event") == "outage"]
    assert len(outage) == 1
    assert outage[0]["provider"] == "codex" and outage[0]["reason"] == "outage: 3 consecutive failures"

    usage = usage_summary(core)["providers"]["codex"]
    assert usage["available"] is False
    assert usage["blocks"] == [{"reason": "outage: 3 consecutive failures", "lifts_at": outage[0]["next_probe_at"]}]

    # While the circuit is open, codex work goes elsewhere without a request to codex.
    second = await dispatch(core, ex, CODE_TASK)
    assert second.outcome.status == "success" and second.outcome.provider != "codex"
    assert second.decision.recommendation.route != "primary"
    assert fake.stats("codex").requests == 3

    # The probe is due after the interval; the next dispatch probes first, codex answers, routing returns.
    clock.advance(interval)
    third = await dispatch(core, ex, CODE_TASK)
    assert fake.stats("codex").requests == 5  # the probe, then the task
    assert third.outcome.provider == "codex" and third.decision.recommendation.route == "primary"
    probe = fake.requests("codex")[3].json
    assert probe["max_output_tokens"] <= 16
    recovered = [r for r in core.audit.tail(10) if r.get("event") == "recovered"]
    assert len(recovered) == 1 and recovered[0]["provider"] == "codex"
    assert recovered[0]["outage_seconds"] == interval
    assert usage_summary(core)["providers"]["codex"]["available"] is True


async def test_a_failed_probe_keeps_the_circuit_open_until_the_next_one(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    fake.script("codex", [Fault.status(503)] * 4)  # three to open, one for the probe
    await dispatch(core, ex, CODE_TASK)
    clock.advance(interval)
    assert await ex.probe_due() == []
    state = core.execution_state.circuits.state("codex")
    assert state.is_open and state.failures == 4 and state.next_probe_at == clock.now() + interval
    assert await ex.probe_due() == []  # not due again yet: no second probe
    assert fake.stats("codex").requests == 4
    clock.advance(interval)
    assert await ex.probe_due() == ["codex"]


async def test_a_batch_parks_through_a_total_outage_and_resumes_after_the_probes(settings, build_executor, fake, clock):
    from router_core.execution.batch import run_batch

    core, ex = build_executor(settings)
    for p in ("codex", "gemini", "claude"):
        fake.script(p, [Fault.status(503)] * 3)
    start = clock.now()
    run = await run_batch(core, ex, [("t", CODE_TASK)])
    o = run.outcome.outcomes[0]
    assert o.status == "success"
    assert o.parked_seconds > 0  # until the first circuit's probe was due
    assert clock.now() - start >= settings.execution.outage_probe_interval_seconds
    assert [a.outcome for a in o.attempts][-1] == "success"
    events = [r["event"] for r in core.audit.tail(20) if r.get("event") in ("outage", "recovered")]
    assert events.count("outage") == 3 and events.count("recovered") >= 1


@pytest.mark.parametrize(("fault", "kind"), [(Fault.rate_limited(retry_after=20.0), "rate_limited"),
                                             (Fault.quota(), "quota")])
async def test_a_probe_met_by_a_429_ends_the_outage_and_holds_instead(settings, build_executor, fake, clock,
                                                                      fault, kind):
    # A 429 is the provider answering: the outage is over, the limit is a hold (not another probe interval
    # of outage, counted as one more failure).
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    fake.script("codex", [Fault.status(503)] * 3 + [fault])
    await dispatch(core, ex, CODE_TASK)
    assert core.execution_state.circuits.state("codex").is_open
    clock.advance(interval)
    assert await ex.probe_due() == ["codex"]
    assert not core.execution_state.circuits.state("codex").is_open
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == kind and hold.until > clock.now()
    assert [r["provider"] for r in core.audit.tail(10) if r.get("event") == "recovered"] == ["codex"]


async def test_outage_and_recovery_lines_name_the_process_not_the_teammate_who_tripped_them(
    settings, build_executor, fake, clock
):
    """Over HTTP each call carries its MCP session (REQUEST_SESSION); an outage is the whole server's event."""
    from router_core.core import REQUEST_SESSION

    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    token = REQUEST_SESSION.set("session-alice")
    try:
        await dispatch(core, ex, CODE_TASK)
        clock.advance(settings.execution.outage_probe_interval_seconds)
        await dispatch(core, ex, CODE_TASK)
    finally:
        REQUEST_SESSION.reset(token)
    lines = core.audit.tail(20)
    events = {r["event"]: r["session_id"] for r in lines if r.get("event") in ("outage", "recovered")}
    assert events == {"outage": core.process_session_id, "recovered": core.process_session_id}
    assert {r["session_id"] for r in lines if r.get("event") == "dispatch"} == {"session-alice"}


async def test_a_due_probe_that_meets_a_hold_is_not_spent_and_one_process_probes_when_it_lifts(
        settings, build_executor, fake, clock):
    """The probe's claim moved the next probe a whole interval on, though the hold (a 429's retry-after seen by
    another process) kept the probe from being sent: the outage stayed open five more minutes, nothing probed."""
    core, ex = build_executor(settings)
    other, other_ex = build_executor(settings)  # another process on the same state database
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    other.execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 20.0, "rate limited: retry after 20s")
    assert await ex.probe_due() == [] and await other_ex.probe_due() == []
    assert fake.stats("codex").requests == 3  # nothing probed
    state = core.execution_state.circuits.state("codex")
    assert state.is_open and state.next_probe_at == pytest.approx(clock.now() + 20.0, abs=0.01)  # due as it lifts
    assert other.capacity().availability["codex"].lifts_at == pytest.approx(clock.now() + 20.0, abs=0.01)
    clock.advance(20.01)
    assert [*await ex.probe_due(), *await other_ex.probe_due()] == ["codex"]  # probed once, by one of them
    assert fake.stats("codex").requests == 4
    assert not core.execution_state.circuits.state("codex").is_open


@pytest.mark.parametrize(("provider", "task", "fault"), [
    ("codex", CODE_TASK, Fault.status(503, retry_after=600.0)),  # longer than the probe interval
    ("claude", "Design the architecture for a distributed ingest pipeline", Fault.status(529, retry_after=45.0)),
])
async def test_a_probe_answered_by_a_503_or_529_with_retry_after_holds_the_provider_in_every_process(
        settings, build_executor, fake, clock, provider, task, fault):
    """A probe's 503 or 529 that said when to come back was one more failure and nothing else: no hold, so other
    processes learned nothing of the wait, and the next probe went out one interval later whatever the
    provider had asked (600 s asked, probed again at 300 s)."""
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    fake.script(provider, [Fault.status(fault.code)] * 3 + [fault])
    await dispatch(core, ex, task)  # three failures open the circuit
    clock.advance(interval)
    now = clock.now()
    assert await ex.probe_due() == []
    assert fake.stats(provider).requests == 4

    other = make_core(settings, clock)  # another process on the same state database
    hold = other.execution_state.holds.active(provider)[provider]
    assert hold.kind == UNAVAILABLE and hold.until == pytest.approx(now + fault.retry_after, abs=0.01)
    state = other.execution_state.circuits.state(provider)
    assert state.is_open and state.next_probe_at == pytest.approx(now + max(interval, fault.retry_after), abs=0.01)
    assert other.capacity().availability[provider].lifts_at == pytest.approx(state.next_probe_at, abs=0.01)
    other_ex = Executor(other, {}, sleep=clock_sleep(clock), random=lambda: 0.5)
    wait = other_ex.pacer.try_acquire(provider, 10)
    assert isinstance(wait, PaceWait) and wait.hold == UNAVAILABLE

    clock.advance(interval)  # a probe interval on: probed again only if the provider's wait is over
    assert await ex.probe_due() == ([provider] if fault.retry_after <= interval else [])
    if fault.retry_after > interval:
        assert fake.stats(provider).requests == 4
        clock.advance(fault.retry_after - interval)
        assert await ex.probe_due() == [provider]
    assert fake.stats(provider).requests == 5
    assert not core.execution_state.circuits.state(provider).is_open


async def test_a_request_whose_503_opens_the_circuit_schedules_the_probe_after_the_retry_after(
        settings, build_executor, fake, clock):
    """The circuit's probe was due one interval on (300 s) though the 503 had asked for 600: routing showed the
    outage lifting at 300 s, and a task parked on it woke then only to find the hold."""
    s = with_execution(settings, outage_failure_threshold=1)
    core, ex = build_executor(s)
    fake.script("codex", [Fault.status(503, retry_after=600.0)])
    now = clock.now()
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert o.attempts[0].lifts_at == pytest.approx(now + 600.0, abs=0.01)
    state = core.execution_state.circuits.state("codex")
    assert state.is_open and state.next_probe_at == pytest.approx(now + 600.0, abs=0.01)
    assert core.capacity().availability["codex"].lifts_at == pytest.approx(now + 600.0, abs=0.01)


async def test_no_probe_is_sent_while_the_budget_cannot_pay_for_it(settings, build_executor, fake, clock):
    # The probe went out whatever the budget: every dispatch refused for money still paid for the outage probes.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    codex = next(p for p in core.budget().providers if p.provider == "codex")
    core.ledger.record_spend("codex", codex.remaining)  # codex's allocation used up elsewhere
    clock.advance(settings.execution.outage_probe_interval_seconds)
    due = core.execution_state.circuits.state("codex").next_probe_at
    assert await ex.probe_due() == []
    assert fake.stats("codex").requests == 3  # nothing sent
    assert core.execution_state.circuits.state("codex").next_probe_at == due  # still due, not claimed
    assert core.budget().reserved == 0
    clock.advance(core.ledger.next_reset_at() - clock.now() + 1)  # a new budget day
    assert await ex.probe_due() == ["codex"]
    assert fake.stats("codex").requests == 4


async def test_a_process_that_cannot_send_a_probe_leaves_it_to_one_that_can(settings, build_executor, fake, clock):
    # A process without the provider claimed the probe and sent nothing: the outage outlived its interval.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    _, without_codex = build_executor(settings, providers=("claude", "gemini"))
    clock.advance(settings.execution.outage_probe_interval_seconds)
    assert await without_codex.probe_due() == []
    assert await ex.probe_due() == ["codex"]


async def test_a_probe_that_fails_is_not_charged(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 4)
    await dispatch(core, ex, CODE_TASK)
    spent = core.budget().spent
    clock.advance(settings.execution.outage_probe_interval_seconds)
    assert await ex.probe_due() == []
    assert (core.budget().spent, core.budget().reserved) == (spent, 0)


async def test_a_task_whose_provider_waits_for_a_probe_the_budget_cannot_pay_is_refused_for_the_budget(
        settings, build_executor, fake, clock):
    # The probe, due and never sent, kept the outage's end in the past: a waiting task parked for 50 ms at a time
    # for its whole 15 minutes, then ended "parked" with a resume time in the past.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    codex = next(p for p in core.budget().providers if p.provider == "codex")
    core.ledger.record_spend("codex", codex.remaining)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    start = clock.now()
    out = (await dispatch(core, ex, CODE_TASK, provider="codex", wait=True)).outcome
    assert out.status == "budget_exceeded" and "probe" in out.error
    assert clock.now() - start < 1.0 and fake.stats("codex").requests == 3


async def test_a_probe_in_flight_is_charged_if_its_process_dies(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    seen = []
    probe = ex.adapters["codex"].probe

    async def watched():
        seen.append(core.db.query("SELECT calling_micro FROM budget_reservations WHERE status = 'live'"))
        return await probe()

    ex.adapters["codex"].probe = watched
    assert await ex.probe_due() == ["codex"]
    assert seen and seen[0][0][0] > 0  # marked as calling: an expired reservation is charged, not released


async def test_a_probe_whose_pacing_fails_leaves_no_reservation(settings, build_executor, fake, clock):
    import sqlite3

    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    clock.advance(settings.execution.outage_probe_interval_seconds)

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    ex.pacer.try_acquire = locked
    with pytest.raises(sqlite3.OperationalError):
        await ex.probe_due()
    assert core.budget().reserved == 0


async def test_a_429_between_failures_resets_the_count_so_a_burst_split_by_it_opens_no_outage(
        settings, build_executor, fake, clock):
    # A 429 is the provider answering, as a probe's 429 already counts: 503, 503, 429, 503 opened the circuit
    # (three "consecutive" failures), moving every process's codex work elsewhere for a probe interval.
    core, ex = build_executor(settings)
    circuits = core.execution_state.circuits
    circuits.record_failure("codex", "503 from an earlier task")
    circuits.record_failure("codex", "503 from an earlier task")
    fake.script("codex", [Fault.rate_limited(retry_after=1.0), Fault.status(503)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert [(a.provider, a.outcome) for a in o.attempts] == [
        ("codex", "rate_limited"), ("codex", "unavailable"), ("codex", "success")]
    assert [r for r in core.audit.tail(20) if r.get("event") == "outage"] == []


async def test_a_quota_refusal_resets_the_count_but_does_not_close_an_open_circuit(
        settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    circuits = core.execution_state.circuits
    circuits.record_failure("codex", "503")
    circuits.record_failure("codex", "503")
    fake.script("codex", [Fault.quota()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.attempts[0].outcome == "quota_exhausted" and o.provider != "codex"
    assert circuits.state("codex").failures == 0
    assert circuits.record_failure("codex", "503") is None  # one failure, not the third in a row
    for _ in range(circuits.threshold - 1):
        circuits.record_failure("claude", "529")
    opened = circuits.record_failure("claude", "529")
    assert opened is not None
    circuits.record_answer("claude")  # a 429 to a call sent before the circuit opened: the probe decides
    assert circuits.state("claude").is_open and circuits.state("claude").failures == opened.failures


async def test_a_probe_answered_by_refused_credentials_ends_the_outage_and_says_the_key_is_wrong(
        settings, build_executor, fake, clock, caplog):
    # Before: a 401 to the probe was one more failure: the outage went on ("probe failed: codex rejected the
    # credentials"), blocked in every process and probed again each interval, though codex was up and answering;
    # a request's 401 counts for no outage (the task falls back, nothing is blocked).
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3 + [Fault.auth()])
    await dispatch(core, ex, CODE_TASK)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    assert await ex.probe_due() == ["codex"]
    assert not core.execution_state.circuits.state("codex").is_open
    assert usage_summary(core)["providers"]["codex"]["available"] is True
    [recovered] = [r for r in core.audit.tail(10) if r.get("event") == "recovered"]
    # Before: "auth_failed: codex rejected the credentials (401)", the kind, then a sentence naming it again, and
    # codex, which the line names already. Now each once: the kind in its own field, as an attempt's outcome.
    assert recovered["provider"] == "codex" and recovered["probe_outcome"] == "auth_failed"
    assert recovered["probe_answer"].startswith("rejected the credentials (401)")
    assert any("key" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


async def test_a_requests_refused_credentials_reset_the_failure_count(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    circuits = core.execution_state.circuits
    circuits.record_failure("codex", "503")
    circuits.record_failure("codex", "503")
    fake.script("codex", [Fault.auth()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.attempts[0].outcome == "auth_failed" and circuits.state("codex").failures == 0


async def test_an_outage_nobody_probes_stops_blocking_routing_and_is_probed_by_the_next_process_that_can(
        settings, build_executor, fake, clock):
    # The process that opened the circuit is gone and none that runs has a key or CLI for codex (a session that
    # only routes): before, codex stayed blocked in every recommendation for good, its lift time in the past.
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    circuits = core.execution_state.circuits
    for _ in range(circuits.threshold):
        circuits.record_failure("codex", "503 from a session that has ended")
    clock.advance(interval + interval / 2)  # due, and not sent: still blocking
    assert not core.capacity().availability["codex"].available
    assert usage_summary(core)["providers"]["codex"]["outage"]["blocks_routing"] is True
    clock.advance(interval / 2)  # a whole interval overdue: nobody can probe it
    assert core.capacity().availability["codex"].available
    assert core.decide(CODE_TASK, audit=False).provider == "codex"
    view = usage_summary(core)["providers"]["codex"]
    assert view["available"] is True and view["blocks"] == []
    outage = view["outage"]
    assert outage["blocks_routing"] is False and outage["since"] is not None
    assert outage["note"].startswith(f"unconfirmed: its probe, due at {outage['probe_due_at']}, has not been sent")
    assert "no longer avoids codex" in outage["note"]
    assert circuits.state("codex").is_open  # still open: a process that can send to codex probes it first
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.provider == "codex" and fake.stats("codex").requests == 2  # the probe, then the task
    assert fake.requests("codex")[0].json["max_output_tokens"] <= 16
    assert not circuits.state("codex").is_open and "outage" not in usage_summary(core)["providers"]["codex"]


def test_blocked_providers_are_said_with_their_kind_once():
    # QA: "every provider is blocked (codex: outage: outage: 3 consecutive failures; ...; claude: rate_limited:
    # claude rate limited (429)...)": each attempt's kind, then its error, which says the kind (and the provider)
    # again. The kind stays a field of each attempt (its outcome), for the audit log's readers.
    from router_core.execution.circuit import CircuitState
    from router_core.execution.executor import _verdict
    from router_core.execution.results import Attempt

    circuit = CircuitState("codex", 3, True, 0.0, 300.0, "codex unavailable (503): overloaded")
    attempts = [Attempt("codex", "outage", error=circuit.skipped, lifts_at=300.0),
                Attempt("claude", "rate_limited", error="claude rate limited (429): retry after 30s", status_code=429,
                        lifts_at=30.0)]
    assert _verdict(attempts) == ("parked", "every provider is blocked (codex: outage (3 consecutive failures); last "
                                  "error: unavailable (503): overloaded; claude: rate limited (429): retry after 30s)",
                                  30.0)
