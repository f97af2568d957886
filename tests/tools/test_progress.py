"""ProgressReport (tools/progress.py): values that only grow, and a heartbeat that lives exactly as long as the call."""

from __future__ import annotations

import re
from types import SimpleNamespace

import anyio
import pytest

from router_core.errors import InvalidRequest
from tools.progress import ProgressReport

EVERY = 0.01  # heartbeat interval of these tests: seconds


class FakeContext:
    """A tool call's context: the request's _meta (with a progress token unless ``token`` is None) and the
    notices sent; ``gone`` makes every notice fail, as for a client that went away."""

    def __init__(self, token: int | None = 7, *, gone: bool = False) -> None:
        self.request_context = SimpleNamespace(meta=None if token is None else {"progress_token": token})
        self.sent: list[tuple[float, float | None, str | None]] = []
        self.tries = 0
        self.gone = gone
        self._told: list[tuple[int, anyio.Event]] = []

    async def report_progress(self, progress, total=None, message=None):
        self.tries += 1
        for count, event in self._told:
            if self.tries >= count:
                event.set()
        if self.gone:
            raise BrokenPipeError("the client went away")
        self.sent.append((progress, total, message))

    async def tried(self, count: int) -> None:
        """Return once ``count`` notices were tried."""
        event = anyio.Event()
        self._told.append((count, event))
        if self.tries >= count:
            return
        with anyio.fail_after(10):  # never reached: a bound for a heartbeat that does not beat
            await event.wait()


async def beats_after(ctx: FakeContext) -> int:
    """Notices tried over several heartbeat intervals after the call ended (0: its heartbeat stopped)."""
    before = ctx.tries
    await anyio.sleep(EVERY * 10)
    return ctx.tries - before


def assert_growing(values: list[float]) -> None:
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values


async def test_waits_and_heartbeats_never_reach_the_next_task_however_many():
    # Each wait went halfway to the next task: after some 53 of them the value reached the next whole number,
    # so the next task's report repeated it (MCP: progress must increase) and the one after overshot it.
    ctx = FakeContext()
    report = ProgressReport(ctx, 2)
    for _ in range(200):
        await report.parked("t1", 45.0, "every provider is blocked")
    await report.done(1, 2, "t1: success on codex")
    await report.parked("t2", 45.0, "every provider is blocked")
    await report.done(2, 2, "t2: success on gemini")
    values = [v for v, _, _ in ctx.sent]
    assert len(values) == 203
    assert_growing(values)
    assert values[0] == 0.5 and all(v < 1 for v in values[:200])
    assert values[200:] == [1, 1.5, 2]


async def test_a_dispatch_heartbeat_says_which_provider_is_answering_and_for_how_long():
    now = [100.0]
    ctx = FakeContext()
    report = ProgressReport(ctx, None, every=EVERY, clock=lambda: now[0])
    assert report.summary() == "the task: running, 0 s so far"
    report.call("t1", "codex")
    now[0] += 95
    assert report.summary() == "t1: codex answering, 95 s so far"
    report.call("t1", None)
    await report.parked("t1", 60.0, "every provider is blocked")
    now[0] += 20
    assert report.summary() == "t1: waiting for capacity, 20 s so far"
    now[0] += 60  # the wait is over: pacing, a backoff, routing again
    assert report.summary() == "t1: running, 175 s so far"


async def test_a_batch_heartbeat_counts_what_is_done_running_and_waiting():
    now = [0.0]
    ctx = FakeContext()
    report = ProgressReport(ctx, 10, every=EVERY, clock=lambda: now[0])
    for task, provider in [("a", "codex"), ("b", "gemini"), ("c", "codex"), ("d", "gemini"), ("e", "claude")]:
        report.call(task, provider)
        now[0] += 5
    report.call("e", None)
    await report.parked("f", 30.0, "every provider is blocked")
    for done in (1, 2, 3):
        await report.done(done, 10, f"t{done}: success on claude")
    now[0] += 10
    assert report.summary() == "3/10 done; 4 running on codex, gemini (longest 35 s so far); 1 waiting for capacity; 35 s in all"


async def test_the_heartbeat_stops_with_the_call_and_its_error_comes_out_as_raised():
    ctx = FakeContext()
    report = ProgressReport(ctx, 4, every=EVERY)
    report.call("t1", "codex")
    with pytest.raises(InvalidRequest, match="bad"):  # not an ExceptionGroup: tool_errors reads it
        async with report.beating():
            await ctx.tried(2)
            raise InvalidRequest("bad")
    assert await beats_after(ctx) == 0
    assert len(ctx.sent) >= 2 and all(re.fullmatch(r"0/4 done; 1 running on codex \(longest \d+ s so far\); \d+ s in all",
                                                   m) for _, _, m in ctx.sent)
    assert_growing([v for v, _, _ in ctx.sent])

    async with report.beating():  # a call that ends well
        await ctx.tried(ctx.tries + 1)
    assert await beats_after(ctx) == 0


async def test_the_heartbeat_stops_when_the_call_is_cancelled():
    ctx = FakeContext()
    report = ProgressReport(ctx, None, every=EVERY)
    with anyio.CancelScope() as scope:
        async with report.beating():
            await ctx.tried(2)
            scope.cancel()
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert await beats_after(ctx) == 0


async def test_a_heartbeat_the_client_cannot_take_does_not_fail_the_call(caplog):
    ctx = FakeContext(gone=True)
    report = ProgressReport(ctx, None, every=EVERY)
    async with report.beating():
        await ctx.tried(3)  # it goes on beating after a failure
    assert "progress report failed" in caplog.text


async def test_no_progress_token_no_heartbeat():
    ctx = FakeContext(token=None)
    report = ProgressReport(ctx, None, every=EVERY)
    async with report.beating():
        assert await beats_after(ctx) == 0
    ticking = FakeContext(token=0)  # a token of 0 is a token
    async with ProgressReport(ticking, None, every=EVERY).beating():
        await ticking.tried(1)


async def test_a_task_done_notice_the_client_cannot_take_does_not_fail_the_call(caplog):
    # The heartbeat and wait notices swallowed (and logged) a failed notice, the task-done one raised: the tool
    # call failed, its task's result with it, because the client went away mid-call.
    ctx = FakeContext(gone=True)
    report = ProgressReport(ctx, 2, every=EVERY)
    await report.done(1, 2, "t1 done")
    await report.done(2, 2, "t2 done")
    assert ctx.tries == 2 and "progress report failed" in caplog.text
    assert "2/2 done" in report.summary()


async def test_a_wait_for_room_at_a_provider_is_said_and_counted_as_waiting():
    now = [100.0]
    ctx = FakeContext()
    report = ProgressReport(ctx, 4, every=EVERY, clock=lambda: now[0])
    await report.paced("t2", "codex", 41.5, "its rate window is full (3 requests/min)")
    await report.paced("t3", "gemini", None, "its rate window is full (9 requests/min), with requests still being "
                                             "answered: it waits for one to end")
    assert [m for _, _, m in ctx.sent] == [
        "t2: waiting 42s for codex: its rate window is full (3 requests/min)",
        "t3: waiting for gemini: its rate window is full (9 requests/min), with requests still being answered: it "
        "waits for one to end"]
    now[0] += 5
    assert report.summary() == "0/4 done; 1 waiting for capacity; 5 s in all"  # t3's poll: a heartbeat's length
