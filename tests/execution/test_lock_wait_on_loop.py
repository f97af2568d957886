"""A dispatch waiting for the state database's write lock, held by another process, waits on the event loop: the
loop's other tasks (other sessions, pings, progress notices) go on meanwhile. SQLite's busy handler slept in the
loop's thread instead, freezing them all for as long as the other process held the lock (up to 15 s a try)."""

from __future__ import annotations

import anyio
import pytest

from router_core.errors import ProviderUnavailable, StateUnusable
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep
from tests.fakes.lock_wait import OtherWriter, lock_waits, short_busy_timeout

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex first


async def dispatch_while_another_process_writes(core, ex, other: OtherWriter) -> tuple[list[str], object]:
    """Dispatch; a second task releases ``other``'s lock once the dispatch waits for it. What happened, in order."""
    events: list[str] = []
    result = None
    with lock_waits() as waits:
        async def run() -> None:
            nonlocal result
            try:
                result = await dispatch(core, ex, CODE_TASK)
                events.append("dispatched")
            finally:
                tg.cancel_scope.cancel()  # the other task, if it never ran

        async def other_task() -> None:
            await waits.started.wait()  # the loop runs it while the dispatch waits
            events.append("other task ran")
            other.release()

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            tg.start_soon(other_task)
    return events, result


async def test_a_dispatch_waits_for_another_processs_write_lock_without_blocking_the_loop(
        settings, build_executor, fake):
    core, ex = build_executor(settings)
    short_busy_timeout(core.db, 2.0)  # before: the loop's thread slept in SQLite, then the dispatch failed
    other = OtherWriter(core.db.path)
    other.lock()
    events, result = await dispatch_while_another_process_writes(core, ex, other)
    other.close()
    assert events == ["other task ran", "dispatched"]
    o = result.outcome
    assert (o.status, o.provider, o.warning) == ("success", "codex", None)
    assert fake.stats("codex").requests == 1
    codex = next(p for p in core.budget().providers if p.provider == "codex")
    assert codex.spent == pytest.approx(o.cost_usd) and codex.reserved == 0 and core.leases.in_use() == {}


def locked_codex(settings, clock, codex_adapter) -> tuple:
    """A core with a 0.05 s busy timeout whose codex is ``codex_adapter`` (which takes the lock with ``other``, another
    process's connection), the executor, and ``other``."""
    core = make_core(settings, clock)
    short_busy_timeout(core.db, 0.05)
    other = OtherWriter(core.db.path)
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("gemini", "claude")}
    adapters["codex"] = codex_adapter(settings.provider("codex"), other)
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5), other


async def other_runs_during_the_second_wait(other: OtherWriter, work) -> list[str]:
    """Run ``work`` while ``other`` holds the lock; another task runs when the loop's second lock wait begins (the
    first timed out) and gives the lock back. The order things happened in."""
    events: list[str] = []
    with lock_waits() as waits:
        async def run() -> None:
            try:
                await work()
                events.append("done")
            finally:
                tg.cancel_scope.cancel()

        async def other_task() -> None:
            await waits.reached(2).wait()
            events.append("other task ran")
            other.release()

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            tg.start_soon(other_task)
    other.close()
    return events


class LockedAsItAnswers(ScriptedAdapter):
    """Answers; the first time, another process takes the state database's write lock as the answer arrives."""

    def __init__(self, provider, other: OtherWriter) -> None:
        super().__init__(provider)
        self.other = other
        self.locked = False

    async def complete(self, request):
        completion = await super().complete(request)
        if not self.locked:
            self.locked = True
            self.other.lock()
        return completion


async def test_an_answer_arriving_while_another_process_writes_is_settled_without_blocking_the_loop(
        settings, clock):
    core = make_core(settings, clock)
    short_busy_timeout(core.db, 2.0)
    other = OtherWriter(core.db.path)
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("gemini", "claude")}
    adapters["codex"] = LockedAsItAnswers(settings.provider("codex"), other)
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)
    events, result = await dispatch_while_another_process_writes(core, ex, other)
    other.close()
    assert events == ["other task ran", "dispatched"]
    o = result.outcome
    assert (o.status, o.provider, o.warning) == ("success", "codex", None)  # before: "could not be recorded"
    codex = next(p for p in core.budget().providers if p.provider == "codex")
    assert codex.spent == pytest.approx(o.cost_usd) and codex.reserved == 0


async def test_a_dispatch_locked_out_past_the_busy_timeout_says_what_to_do(settings, build_executor, fake):
    core, ex = build_executor(settings)
    short_busy_timeout(core.db, 0.05)
    other = OtherWriter(core.db.path)
    other.lock()
    with pytest.raises(StateUnusable, match="stayed locked by another process's write.*try again.*fuser"):
        await dispatch(core, ex, CODE_TASK)
    other.close()
    assert fake.stats("codex").requests == 0 and core.budget().reserved == 0 and core.leases.in_use() == {}


async def test_an_answer_whose_settlement_timed_out_releases_its_lease_without_blocking_the_loop(settings, clock):
    # Another process keeps the write lock past the busy timeout as the answer arrives: the settlement fails (the
    # answer stands, its cost is recorded later). Its agent's lease was then released with a blocking write, which
    # froze the loop for another busy timeout and failed too; now it waits on the loop, and goes through once the
    # lock is given back.
    core, ex, other = locked_codex(settings, clock, LockedAsItAnswers)
    results = []

    async def run() -> None:
        results.append(await dispatch(core, ex, CODE_TASK))

    # the settlement's wait timed out; the lease's release waits
    assert await other_runs_during_the_second_wait(other, run) == ["other task ran", "done"]
    o = results[0].outcome
    assert (o.status, o.provider) == ("success", "codex") and "could not be recorded" in o.warning
    assert core.leases.in_use() == {}


async def test_a_lease_whose_release_timed_out_too_is_deleted_by_the_next_heartbeat(settings, clock):
    core, ex, other = locked_codex(settings, clock, LockedAsItAnswers)
    result = await dispatch(core, ex, CODE_TASK)  # the lock is never given back while it runs
    assert "could not be recorded" in result.outcome.warning and core.leases.in_use() != {}
    other.close()
    core.leases.heartbeat()
    assert core.leases.in_use() == {}


class LockedAsItFails(ScriptedAdapter):
    """Fails (unavailable, not billed) with another process holding the write lock from then on."""

    def __init__(self, provider, other: OtherWriter) -> None:
        super().__init__(provider)
        self.other = other

    async def complete(self, request):
        self.requests.append(request)
        self.other.lock()
        raise ProviderUnavailable("codex: 503", provider=self.name, status_code=503)


async def test_a_failed_try_locked_out_releases_its_reservation_without_blocking_the_loop(settings, clock):
    # The failed try's record timed out on the lock (the task ends with what to do); its reservation was then
    # released with a blocking write, freezing the loop for another busy timeout. Now it waits on the loop.
    core, ex, other = locked_codex(settings, clock, LockedAsItFails)

    async def run() -> None:
        with pytest.raises(StateUnusable, match="stayed locked"):
            await dispatch(core, ex, CODE_TASK)

    # the try's record timed out; the reservation's release waits
    assert await other_runs_during_the_second_wait(other, run) == ["other task ran", "done"]
    assert core.budget().reserved == 0 and core.leases.in_use() == {}


async def test_a_reservation_whose_release_timed_out_too_is_released_by_the_next_heartbeat(settings, clock):
    core, ex, other = locked_codex(settings, clock, LockedAsItFails)
    with pytest.raises(StateUnusable, match="stayed locked"):
        await dispatch(core, ex, CODE_TASK)  # the lock is never given back while it runs
    other.close()
    assert core.budget().reserved > 0
    core.ledger.heartbeat()
    assert core.budget().reserved == 0
