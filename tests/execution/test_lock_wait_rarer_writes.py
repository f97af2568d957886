"""The rarer writes of a running server wait for another process's write lock off the event loop, as a dispatch's
main writes do (test_lock_wait_on_loop.py): heartbeats, a decision's maintenance, alert claims and leases, the lease
hand-over and release, a failed try's record, outage probes' claims and records, the repair after a clock step.
Before, each ran BEGIN IMMEDIATE on the loop's thread, where SQLite's busy handler slept until the lock was given
back or the busy timeout passed: every other task of the loop (other sessions, pings, the dashboard) stood still.

Each test holds the lock with another connection and runs the work; another task gives the lock back as soon as the
write waits (on the loop, or begun in a worker thread). It runs only if the loop is free meanwhile: before, the write
timed out (2 s here) with the loop blocked, and the other task never ran."""

from __future__ import annotations

import anyio
import pytest

from router_core.errors import ProviderUnavailable
from router_core.execution import outages
from router_core.execution.attempts import ProviderRun
from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.leases import AgentLeases
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep
from tests.fakes.lock_wait import OtherWriter, runs_while_it_waits, short_busy_timeout, thread_writes

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex first
ELSEWHERE = "elsewhere.example:1:1"  # a holder on another host: alive, so only its TTL ends its leases


@pytest.fixture
def locked(settings, build_executor, fake, monkeypatch):
    """(core, executor, other, thread_write): the executor on the fake providers, a 2 s busy timeout, and another
    process's connection that takes the lock when the test says."""
    with thread_writes(monkeypatch) as begun:
        core, ex = build_executor(settings)
        short_busy_timeout(core.db, 2.0)
        other = OtherWriter(core.db.path)
        yield core, ex, other, begun
        other.close()


async def dispatched_while_locked(locked, **options) -> object:
    """A dispatch of CODE_TASK (with ``options``) run while another process holds the write lock: its result, once
    the other task could run while one of its writes waited (the loop was free)."""
    core, ex, other, begun = locked
    other.lock()
    results = []

    async def run() -> None:
        results.append(await dispatch(core, ex, CODE_TASK, **options))

    assert await runs_while_it_waits(other, run, begun) == ["other task ran", "done"]
    return results[0]


async def test_heartbeats_wait_for_the_lock_off_the_loop(locked):
    core, ex, other, begun = locked
    reservation = core.ledger.reserve("codex", 0.01)
    lease = core.leases.acquire("code-writer", 2)
    core.clock.advance(ex._beat_every)  # a heartbeat is due as the task waits (pacing, a backoff, parked)
    other.lock()
    assert await runs_while_it_waits(other, lambda: ex.wait(1.0), begun) == ["other task ran", "done"]
    beat = core.db.query("SELECT heartbeat_at FROM budget_reservations WHERE id = ?", (reservation.id,))[0][0]
    expires = core.db.query("SELECT expires_at FROM agent_leases WHERE id = ?", (lease,))[0][0]
    assert beat == core.clock.now() - 1.0 and expires == beat + core.leases.ttl_seconds  # both beat, before the sleep


async def test_a_decisions_maintenance_waits_for_the_lock_off_the_loop(locked):
    core = locked[0]
    elsewhere = AgentLeases(core.db, core.clock, ELSEWHERE, ttl_seconds=60)
    dead = elsewhere.acquire("code-writer", 2)
    core.clock.advance(61)  # its lease ran out: the decision's read finds it dead, and deletes it after
    result = await dispatched_while_locked(locked)
    assert result.outcome.status == "success"
    assert core.db.query("SELECT id FROM agent_leases WHERE id = ?", (dead,)) == []


async def test_a_budget_alert_is_claimed_without_blocking_the_loop(locked):
    core = locked[0]
    core.ledger.record_spend("claude", core.settings.budget.daily_total * 0.55)  # past the 50% alert
    result = await dispatched_while_locked(locked)
    assert [a.threshold for a in result.decision.new_alerts] == [50]


async def test_a_dispatch_without_execution_leases_and_hands_over_without_blocking_the_loop(locked):
    core = locked[0]
    result = await dispatched_while_locked(locked, execute=False)
    lease = result.decision.lease_id
    expires = core.db.query("SELECT expires_at FROM agent_leases WHERE id = ?", (lease,))[0][0]
    assert expires == core.clock.now() + 900  # handed over to the host (leases.UNATTENDED_SECONDS)


def locked_as_it_ends(monkeypatch, ex, other) -> None:
    """``ex.run`` ends with the other connection holding the write lock: another process writes as the task ends."""
    run_job = ex.run

    async def run_then_lock(job):
        outcome = await run_job(job)
        other.lock()
        return outcome

    monkeypatch.setattr(ex, "run", run_then_lock)


async def test_a_failed_tasks_lease_is_released_without_blocking_the_loop(settings, clock, monkeypatch):
    core, ex, other = unavailable_everywhere(settings, clock, ("codex", "gemini", "claude"))
    locked_as_it_ends(monkeypatch, ex, other)
    results = []

    async def run() -> None:
        results.append(await dispatch(core, ex, CODE_TASK))

    assert await runs_while_it_waits(other, run) == ["other task ran", "done"]
    other.close()
    assert results[0].outcome.status == "parked" and results[0].decision.lease_id is not None  # all held
    assert core.leases.in_use() == {}


class Unavailable(ScriptedAdapter):
    """A 503 for every request and probe, with a retry-after."""

    def error(self) -> ProviderUnavailable:
        return ProviderUnavailable(f"{self.name}: 503", provider=self.name, status_code=503, retry_after=30)

    async def complete(self, request):
        self.requests.append(request)
        raise self.error()

    async def probe(self):
        self.probes += 1
        raise self.error()


def unavailable_everywhere(settings, clock, unavailable: tuple[str, ...]) -> tuple:
    """A core with a 2 s busy timeout, an executor whose ``unavailable`` providers answer 503, and ``other``."""
    core = make_core(settings, clock)
    short_busy_timeout(core.db, 2.0)
    adapters = {name: (Unavailable if name in unavailable else ScriptedAdapter)(settings.provider(name))
                for name in ("codex", "gemini", "claude")}
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5), OtherWriter(core.db.path)


async def test_a_failed_tries_hold_and_circuit_are_recorded_without_blocking_the_loop(settings, clock, monkeypatch):
    with thread_writes(monkeypatch) as begun:
        core, ex, other = unavailable_everywhere(settings, clock, ("codex",))
        billed = ProviderRun._billed

        def locked_as_it_is_recorded(run, error):  # another process writes once the first try's request is recorded
            if not run.attempts:
                other.lock()
            return billed(run, error)

        monkeypatch.setattr(ProviderRun, "_billed", locked_as_it_is_recorded)
        results = []

        async def run() -> None:
            results.append(await dispatch(core, ex, CODE_TASK))

        assert await runs_while_it_waits(other, run, begun) == ["other task ran", "done"]
        other.close()
    assert results[0].outcome.status == "success" and results[0].outcome.provider != "codex"
    assert "codex" in core.execution_state.holds.active()  # the 503's retry-after holds it, in every process
    assert core.execution_state.circuits.state("codex").failures > 0


class AnswersProbes(ScriptedAdapter):
    async def probe(self):
        return await self.complete(None)


async def test_an_outage_probe_is_claimed_without_blocking_the_loop(locked, fake):
    core, ex, other, _ = locked
    for _ in range(core.settings.execution.outage_failure_threshold):
        core.execution_state.circuits.record_failure("codex", "503")
    core.clock.advance(core.settings.execution.outage_probe_interval_seconds)  # its probe is due
    other.lock()
    assert await runs_while_it_waits(other, ex.probe_due) == ["other task ran", "done"]
    assert fake.stats("codex").requests == 1
    assert not core.execution_state.circuits.state("codex").is_open  # answered: the outage is over


async def test_a_failed_probe_is_recorded_without_blocking_the_loop(settings, clock, monkeypatch):
    core, ex, other = unavailable_everywhere(settings, clock, ("codex",))
    threshold = settings.execution.outage_failure_threshold
    for _ in range(threshold):
        core.execution_state.circuits.record_failure("codex", "503")
    clock.advance(settings.execution.outage_probe_interval_seconds)
    answered = outages.answered

    def locked_as_it_is_judged(error):  # another process writes once the probe's request is recorded
        other.lock()
        return answered(error)

    monkeypatch.setattr(outages, "answered", locked_as_it_is_judged)
    assert await runs_while_it_waits(other, ex.probe_due) == ["other task ran", "done"]
    other.close()
    assert core.execution_state.circuits.state("codex").failures == threshold + 1
    assert "codex" in core.execution_state.holds.active()  # its retry-after


async def test_the_repair_after_a_clock_step_waits_for_the_lock_off_the_loop(locked):
    core = locked[0]
    core.clock.set(core.clock.now() - 600)  # set back ten minutes
    result = await dispatched_while_locked(locked)
    assert result.outcome.status == "success"


async def test_a_call_cancelled_in_flight_is_charged_without_blocking_the_loop(settings, clock, monkeypatch):
    core = make_core(settings, clock)
    short_busy_timeout(core.db, 2.0)
    other = OtherWriter(core.db.path)
    calling = anyio.Event()

    class Hangs(ScriptedAdapter):
        async def complete(self, request):
            calling.set()
            await anyio.sleep_forever()

    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("gemini", "claude")}
    adapters["codex"] = Hangs(settings.provider("codex"))
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)

    async def cancelled_in_flight() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(dispatch, core, ex, CODE_TASK)
            await calling.wait()
            other.lock()  # another process writes as the host cancels the call
            tg.cancel_scope.cancel()

    assert await runs_while_it_waits(other, cancelled_in_flight) == ["other task ran", "done"]
    other.close()
    codex = next(p for p in core.budget().providers if p.provider == "codex")
    assert codex.spent > 0 and codex.reserved == 0 and core.leases.in_use() == {}  # charged at its estimate


async def test_a_batchs_plan_maintenance_waits_for_the_lock_off_the_loop(locked):
    core, ex, other, begun = locked
    dead = AgentLeases(core.db, core.clock, ELSEWHERE, ttl_seconds=60).acquire("code-writer", 2)
    core.clock.advance(61)  # its lease ran out: the batch's capacity read finds it dead, and deletes it after
    other.lock()
    runs = []

    async def run() -> None:
        runs.append(await run_batch(core, ex, [("a", CODE_TASK)]))

    assert await runs_while_it_waits(other, run, begun) == ["other task ran", "done"]
    assert runs[0].outcome.outcomes[0].status == "success"
    assert core.db.query("SELECT id FROM agent_leases WHERE id = ?", (dead,)) == []


async def test_a_batch_tasks_lease_is_released_without_blocking_the_loop(settings, clock, monkeypatch):
    core, ex, other = unavailable_everywhere(settings, clock, ("codex", "gemini", "claude"))
    locked_as_it_ends(monkeypatch, ex, other)
    runs = []

    async def run() -> None:
        runs.append(await run_batch(core, ex, [("a", CODE_TASK)]))

    assert await runs_while_it_waits(other, run) == ["other task ran", "done"]
    other.close()
    assert runs[0].outcome.outcomes[0].status == "parked" and core.leases.in_use() == {}


async def test_a_call_that_fails_with_a_bug_is_recorded_without_blocking_the_loop(settings, clock):
    core, ex, other = unavailable_everywhere(settings, clock, ())

    async def bug(request):  # another process writes as the adapter fails with something no provider said
        other.lock()
        raise KeyError("a bug")

    ex.adapters["codex"].complete = bug

    async def run() -> None:
        with pytest.raises(KeyError):
            await dispatch(core, ex, CODE_TASK)

    assert await runs_while_it_waits(other, run) == ["other task ran", "done"]
    other.close()
    assert core.db.query("SELECT holder FROM usage_events WHERE provider = 'codex'")[0][0] is None  # it counts
