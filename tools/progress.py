"""What dispatch_agent and run_batch say while they run: tasks done, waits for capacity, and a heartbeat.

Claude Code over Streamable HTTP aborts a tool call that has sent no response and no progress for 5 minutes
(CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT), and one provider call may take longer than that (a CLI run is allowed
execution.cli_timeout_seconds, 450 s by default). So while a call runs, each ``HEARTBEAT_SECONDS`` without a
report sends one that says what is going on ("t1: codex answering, 95 s so far"; "3/10 done; 4 running on
codex, gemini ...").
"""

# No `from __future__ import annotations`: see tools/registry.py.

import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from mcp.server.mcpserver import Context

logger = logging.getLogger(__name__)

# A constant, not a setting: it only has to stay well inside the hosts' idle timeouts (300 s, Claude Code's,
# the shortest known), which a setting could be raised past, bringing the cut back. Ten beats fit in 300 s,
# so a notice that is late or lost does not matter, and one notice per 30 s costs nothing.
HEARTBEAT_SECONDS = 30.0
MAX_PARK_REASON = 300  # characters of why a task waits, in its progress message


def wants_progress(ctx: Context) -> bool:
    """Whether the call carried a progress token (without one, report_progress is a no-op). Every wire transport
    (stdio, Streamable HTTP, either protocol era) reads it from the request's ``_meta``; the SDK's in-process
    client of the 2026 era passes its callback without a token, and gets no heartbeat."""
    meta = ctx.request_context.meta
    return meta is not None and meta.get("progress_token") is not None


@dataclass(slots=True)
class _Doing:
    since: float
    provider: str | None = None  # the provider answering, else waiting for capacity
    until: float = math.inf  # the end of the wait for capacity


class ProgressReport:
    """The tool call's progress: tasks done, and between them each wait for capacity (said as it begins) and
    each heartbeat, each a fraction of the way to the next task (1/2, 2/3, 3/4, ...: the value only ever grows,
    as MCP requires, and never reaches the next task's, however many are sent)."""

    def __init__(self, ctx: Context, total: int | None, *, every: float = HEARTBEAT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ctx, self._total, self._every, self._clock = ctx, total, every, clock
        self._reported, self._fractions, self._done = 0.0, 0, 0
        self._started = self._last = clock()
        self._doing: dict[str, _Doing] = {}  # by task id
        self._task: str | None = None  # the last task heard of (a dispatch has one)
        self._lock = anyio.Lock()  # one notice at a time, so they go out in the order of their values

    async def done(self, done: int, total: int, message: str) -> None:
        async with self._lock:
            self._done = max(self._done, done)
            if done <= self._reported:  # (tasks end in order of their count; kept strictly growing regardless)
                return
            self._reported, self._fractions, self._last = float(done), 0, self._clock()
            await self._notify(done, total, message)

    async def parked(self, task_id: str, seconds: float, why: str) -> None:
        await self._waiting(task_id, seconds, f"waiting {seconds:.0f}s for capacity", why)

    async def paced(self, task_id: str, provider: str, seconds: float | None, why: str) -> None:
        """The task waits for room at ``provider`` (its rate window, a hold: pace_notes.py); ``seconds`` None: until
        a request in flight is answered."""
        how_long = "" if seconds is None else f" {math.ceil(seconds)}s"
        await self._waiting(task_id, self._every if seconds is None else seconds,
                            f"waiting{how_long} for {provider}", why)

    async def _waiting(self, task_id: str, seconds: float, what: str, why: str) -> None:
        """``task_id`` waits about ``seconds``: noted for the heartbeats, and said now (``what``: ``why``)."""
        now = self._clock()
        self._task, self._doing[task_id] = task_id, _Doing(now, until=now + seconds)
        cause = why if len(why) <= MAX_PARK_REASON else f"{why[: MAX_PARK_REASON - 1]}…"
        await self._between(f"{task_id}: {what}: {cause}")

    def call(self, task_id: str, provider: str | None) -> None:
        """A provider call of ``task_id`` starts (``provider``) or ends (None)."""
        self._task = task_id
        if provider is None:
            self._doing.pop(task_id, None)
        else:
            self._doing[task_id] = _Doing(self._clock(), provider)

    @asynccontextmanager
    async def beating(self) -> AsyncIterator[None]:
        """Heartbeats while the body runs, if the call carried a progress token; they end with it. The body's
        exception comes out as raised (not in an ExceptionGroup), for tool_errors to read."""
        if not wants_progress(self._ctx):
            yield
            return
        error: Exception | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._beat)
            try:
                yield
            except Exception as exc:
                error = exc
            finally:
                tg.cancel_scope.cancel()
        if error is not None:
            raise error

    async def _beat(self) -> None:
        while True:
            await anyio.sleep(max(0.0, self._last + self._every - self._clock()))
            if self._clock() - self._last >= self._every:
                await self._between(self.summary())

    async def _between(self, message: str) -> None:
        """Report ``message`` at the next fraction of the way to the next task."""
        async with self._lock:
            self._last = self._clock()
            whole = math.floor(self._reported)
            step = whole + 1 - 1 / (self._fractions + 2)
            if not self._reported < step < whole + 1:  # (some 67 million notices without a task done)
                return
            self._reported, self._fractions = step, self._fractions + 1
            await self._notify(step, self._total, message)

    async def _notify(self, progress: float, total: int | None, message: str) -> None:
        try:
            await self._ctx.report_progress(progress, total, message)
        except Exception:  # a notice: a client that went away must not fail the task, nor lose its result
            logger.warning("progress report failed", exc_info=True)

    def summary(self) -> str:
        """What the call is doing now, in a line."""
        now = self._clock()
        calls = sorted((d for d in self._doing.values() if d.provider), key=lambda d: d.since)
        waits = [d for d in self._doing.values() if d.provider is None and d.until > now]
        if self._total is None:
            who = self._task or "the task"
            if calls:
                return f"{who}: {calls[0].provider} answering, {now - calls[0].since:.0f} s so far"
            if waits:
                return f"{who}: waiting for capacity, {now - waits[0].since:.0f} s so far"
            return f"{who}: running, {now - self._started:.0f} s so far"
        parts = [f"{self._done}/{self._total} done"]
        if calls:
            providers = ", ".join(dict.fromkeys(str(d.provider) for d in calls))
            parts.append(f"{len(calls)} running on {providers} (longest {now - calls[0].since:.0f} s so far)")
        if waits:
            parts.append(f"{len(waits)} waiting for capacity")
        parts.append(f"{now - self._started:.0f} s in all")
        return "; ".join(parts)
