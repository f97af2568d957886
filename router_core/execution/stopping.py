"""The server is stopping (SIGTERM, Ctrl-C, SIGHUP): what a batch running in it is told, in two steps.

``stop()``: no task of a batch starts any more (one that has not called a provider yet is left, not run: nothing
sent, nothing charged); the calls in flight go on, but no task starts another (no retry, no fallback: it ends
cancelled, with the call that failed; executor.Job.stopping). ``cut()``: those calls are cancelled now (audited
as cancelled, charged at their estimate), so that the batch returns what it has while the transport can still
answer. The server says when: over HTTP, stop() as uvicorn starts its graceful shutdown and cut() a little before
its grace ends (server/http_shutdown.py); over stdio, stop() at EOF on stdin and cut() a little before its grace
ends, or both at a signal (server/stdio.py). Before, a stopping server
let run_batch start task after task, each cancelled at the end of the grace and charged, and the call's answer
was a bare "Switchboard stopped" error: the tasks that had finished, billed, were lost and billed again when the
host called again. ``switchboard batch`` needs none of this: it cancels at the signal and prints what finished.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio

STOPPING = "the server was stopping (SIGTERM, Ctrl-C, SIGHUP, or its host closed stdin)"


class ServerStopping(Exception):
    """Raised where a task would start a provider call (a try, a retry, a fallback) once the server stops."""


class Stopping:
    """Set once, from the server's event loop (its signal handling, its shutdown)."""

    def __init__(self) -> None:
        self.stopped = False
        self.cut_off = False
        self._stopped: anyio.Event | None = None  # made on the loop by the first wait (anyio's need one)
        self._cut: anyio.Event | None = None
        self.batches = 0  # run_batch calls running (tools/dispatch.py): what a SIGTERM on stdio waits for
        self._batches_done: anyio.Event | None = None

    def stop(self) -> None:
        self.stopped = True
        if self._stopped is not None:
            self._stopped.set()

    def cut(self) -> None:
        self.stop()
        self.cut_off = True
        if self._cut is not None:
            self._cut.set()

    def check(self) -> None:
        """Raise ServerStopping once stopped: no provider call starts after the stop (executor, attempts)."""
        if self.stopped:
            raise ServerStopping(STOPPING)

    async def wait_stopped(self) -> None:
        if not self.stopped:
            if self._stopped is None:
                self._stopped = anyio.Event()
            await self._stopped.wait()

    async def wait_cut(self) -> None:
        if not self.cut_off:
            if self._cut is None:
                self._cut = anyio.Event()
            await self._cut.wait()

    @contextmanager
    def batch_running(self) -> Iterator[None]:
        """Around a run_batch call: counted in ``batches`` while it runs."""
        self.batches += 1
        try:
            yield
        finally:
            self.batches -= 1
            if not self.batches and self._batches_done is not None:
                self._batches_done.set()
                self._batches_done = None

    async def batches_ended(self) -> None:
        """Return once no run_batch call runs."""
        if self.batches:
            if self._batches_done is None:
                self._batches_done = anyio.Event()
            await self._batches_done.wait()
