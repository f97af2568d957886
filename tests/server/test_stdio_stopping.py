"""What the stdio transport tells a run_batch call as it stops (router_core/execution/stopping.py), on a fake server:
at EOF on stdin (the host's way to stop it) the batch starts no task more and is cut off before the grace ends, so
it answers with what it has; at a SIGTERM only a batch is waited for, any other call cancelled at once."""

from __future__ import annotations

import logging

import anyio

from router_core.execution.stopping import Stopping
from server import stdio
from server.http_shutdown import CUT_BEFORE_SECONDS


class FakeServer:
    """``calls_running`` and ``calls_finished`` as SwitchboardServer has them; its one call ends when ``ends()`` does."""

    def __init__(self, ends) -> None:
        self.stopping = Stopping()
        self.calls_running = 1
        self._ends = ends
        self.waited_for = False

    async def calls_finished(self) -> None:
        self.waited_for = True
        await self._ends(self.stopping)
        self.calls_running = 0


async def test_eof_on_stdin_stops_a_batch_and_cuts_it_off_before_the_grace_ends(caplog):
    # Before, EOF never told the batch: it went on starting tasks, new billed calls, until the SIGTERM 2 s later
    # or the grace's end, which cancelled the call and its answer.
    async def a_batch(stopping: Stopping) -> None:
        await stopping.wait_cut()  # a batch whose call hangs answers once cut off

    slept = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        assert mcp.stopping.stopped and not mcp.stopping.cut_off  # stopped at EOF, cut only after the wait

    mcp = FakeServer(a_batch)
    with caplog.at_level(logging.WARNING, logger=stdio.__name__), anyio.fail_after(60):  # a bound, not a timing
        await stdio.finish_calls(mcp, grace=3600, sleep=sleep)
    assert slept == [3600 - CUT_BEFORE_SECONDS]
    assert mcp.stopping.cut_off
    assert "still running" not in caplog.text  # answered within the grace, not cancelled at its end


async def _answered(mcp, monkeypatch) -> bool:
    """Whether _batches_answered is done once every task is blocked (STOPPED_ANSWER_SECONDS made an hour)."""
    monkeypatch.setattr(stdio, "STOPPED_ANSWER_SECONDS", 3600.0)
    done = []
    async with anyio.create_task_group() as tg:
        async def answered() -> None:
            await stdio._batches_answered(mcp)
            done.append(True)

        tg.start_soon(answered)
        await anyio.wait_all_tasks_blocked()
        result = bool(done)
        tg.cancel_scope.cancel()
    return result


async def test_a_sigterm_waits_for_no_call_but_a_batch(monkeypatch):
    # Before, it waited up to 0.5 s for any call running (a dispatch), which a SIGTERM is said to cancel at once.
    mcp = FakeServer(lambda stopping: anyio.sleep_forever())  # a dispatch calling a provider that hangs
    assert await _answered(mcp, monkeypatch)
    assert mcp.stopping.cut_off and not mcp.waited_for


async def test_a_sigterm_waits_for_a_batch_to_answer(monkeypatch):
    mcp = FakeServer(lambda stopping: anyio.sleep_forever())
    with mcp.stopping.batch_running():
        assert not await _answered(mcp, monkeypatch)  # waits while the batch runs (up to the bound)
    assert await _answered(mcp, monkeypatch)  # ended: nothing more to wait for
