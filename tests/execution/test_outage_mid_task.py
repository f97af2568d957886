"""An outage that opens while a task is between its own tries (another task's or process's failures)."""

from __future__ import annotations

from router_core.execution.dispatch import dispatch
from tests.execution.conftest import make_core
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude


async def test_a_retry_after_backoff_does_not_call_a_provider_whose_circuit_opened_meanwhile(
        settings, build_executor, fake, clock):
    """The circuit was checked only after the task's own failure: a task backing off from a 503 while other tasks
    (or processes) opened the outage sent its retry into the outage anyway, one more failed call (a timed-out one
    charged at its estimate and up to the request timeout long) before it fell back."""
    core, ex = build_executor(settings)
    other = make_core(settings, clock)  # another process on the same state database
    fake.script("codex", [Fault.status(503)] * 2)
    sleep = ex.sleep

    async def backing_off(seconds: float) -> None:
        if not other.execution_state.circuits.state("codex").is_open:  # the others' failures open it meanwhile
            for _ in range(settings.execution.outage_failure_threshold):
                other.execution_state.circuits.record_failure("codex", "503 from another process's task")
        await sleep(seconds)

    ex.sleep = backing_off
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert fake.stats("codex").requests == 1  # the retry did not go to the provider in outage
    assert [(a.provider, a.outcome) for a in o.attempts] == [
        ("codex", "unavailable"), ("codex", "outage"), ("gemini", "success")]
    circuit = core.execution_state.circuits.state("codex")
    assert o.attempts[1].lifts_at == circuit.next_probe_at


async def test_a_task_waiting_for_pacing_does_not_send_into_an_outage_opened_meanwhile(
        settings, build_executor, fake, clock):
    """The same for a task waiting for room (a short hold, a full window): a batch's tasks paced on a provider each
    sent one request into the outage that opened while they waited, and each failed before falling back."""
    from router_core.execution.dispatch import job_for
    from router_core.execution.holds import RATE_LIMITED

    core, ex = build_executor(settings)
    decision = core.decide(CODE_TASK, audit=False)  # routed to codex before the others' hold
    assert decision.provider == "codex"
    other = make_core(settings, clock)
    other.execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 5.0, "rate limited: retry after 5s")
    sleep = ex.sleep

    async def waiting(seconds: float) -> None:
        if not other.execution_state.circuits.state("codex").is_open:
            for _ in range(settings.execution.outage_failure_threshold):
                other.execution_state.circuits.record_failure("codex", "503 from another process's task")
        await sleep(seconds)

    ex.sleep = waiting
    o = await ex.run(job_for(decision, context="", max_cost=None, wait=False, forced=False))
    assert (o.status, o.provider) == ("success", "gemini")
    assert fake.stats("codex").requests == 0
    assert [(a.provider, a.outcome) for a in o.attempts] == [("codex", "outage"), ("gemini", "success")]


async def test_a_probe_cancelled_in_flight_hands_the_probe_back(settings, build_executor, fake, clock):
    """The claim had moved the next probe a whole interval on, and a probe cancelled before its answer (the caller's
    dispatch cancelled, the server stopping) learned nothing: every process kept the provider in outage for five
    more minutes without a probe. It is due again at once, for the next caller."""
    import anyio

    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    sent = anyio.Event()
    probe = ex.adapters["codex"].probe

    async def hanging():
        sent.set()
        await anyio.sleep_forever()

    ex.adapters["codex"].probe = hanging
    async with anyio.create_task_group() as tg:
        tg.start_soon(ex.probe_due)
        await sent.wait()
        tg.cancel_scope.cancel()
    state = core.execution_state.circuits.state("codex")
    assert state.is_open and state.next_probe_at <= clock.now()  # due again, not an interval on
    assert core.budget().reserved == 0
    ex.adapters["codex"].probe = probe
    _, other_ex = build_executor(settings)  # another process probes it now
    assert await other_ex.probe_due() == ["codex"]


async def test_an_answer_counts_against_failures_and_an_outage_another_process_recorded_during_the_call(
        settings, build_executor, fake, clock):
    """The task was routed on a snapshot in which codex's circuit was closed with no failures; while its call was on
    the wire another process counted failures, then opened the circuit. The answer still resets the count and closes
    the circuit (audited once, by this process): the settlement reads the circuit's row, not the routing snapshot."""
    core, ex = build_executor(settings)
    other = make_core(settings, clock)  # another process on the same state database
    threshold = settings.execution.outage_failure_threshold

    def failures_meanwhile(count: int):
        def told(task_id: str, provider: str | None) -> None:
            if provider == "codex":  # the request is going out: the routing snapshot is already read
                for _ in range(count):
                    other.execution_state.circuits.record_failure("codex", "503 from another process's task")
        return told

    o = (await dispatch(core, ex, CODE_TASK, on_call=failures_meanwhile(threshold - 1))).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert other.execution_state.circuits.state("codex").failures == 0  # one more failure opens no outage
    assert other.execution_state.circuits.record_failure("codex", "503") is None

    o = (await dispatch(core, ex, CODE_TASK, on_call=failures_meanwhile(threshold))).outcome
    assert (o.status, o.provider) == ("success", "codex")
    circuit = other.execution_state.circuits.state("codex")
    assert (circuit.is_open, circuit.failures) == (False, 0)
    assert [r["provider"] for r in core.audit.tail(10) if r.get("event") == "recovered"] == ["codex"]
