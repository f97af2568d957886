"""A batch's tasks while the server stops (stopping.py): those that have not called a provider yet are not run,
those calling are left to finish until the server cuts them off; the batch then returns what it has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from router_core.execution.executor import CallNotice
from router_core.execution.stopping import Stopping

NOT_STARTED = ("not started: the server was stopping (SIGTERM, Ctrl-C or SIGHUP); nothing was sent and nothing "
               "charged: run it again once the server is back")


class BatchStop:
    def __init__(self, stopping: Stopping | None) -> None:
        self.stopping = stopping
        self._waiting: dict[int, anyio.CancelScope] = {}  # the tasks that have not called a provider yet
        self._calling: set[int] = set()

    @property
    def stopped(self) -> bool:
        return self.stopping is not None and self.stopping.stopped

    @contextmanager
    def task(self, index: int) -> Iterator[None]:
        """Around the task at ``index``: cancelled when the server stops, unless it has called a provider by then."""
        scope = anyio.CancelScope()
        if self.stopped:
            scope.cancel()
        self._waiting[index] = scope
        try:
            with scope:
                yield
        finally:
            self._waiting.pop(index, None)

    def told(self, index: int, on_call: CallNotice | None) -> CallNotice:
        """The task's call notice: ``on_call``'s, which also marks the task as started at its first call."""

        def notice(task_id: str, provider: str | None) -> None:
            if provider is not None:
                self._calling.add(index)
                self._waiting.pop(index, None)
            if on_call is not None:
                on_call(task_id, provider)

        return notice

    def not_started(self, index: int) -> bool:
        """Whether the task at ``index`` was stopped before it called a provider."""
        return self.stopped and index not in self._calling

    async def watch(self, batch: anyio.CancelScope) -> None:
        """Cancel the tasks not calling as the server stops, and ``batch`` (every task) as it cuts off."""
        if self.stopping is None:
            return
        await self.stopping.wait_stopped()
        for scope in list(self._waiting.values()):
            scope.cancel()
        await self.stopping.wait_cut()
        batch.cancel()
