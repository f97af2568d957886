"""Waiting for budget that running tasks hold (design 6.2, 8): refused for money that is held, not spent.

A reservation holds a task's estimate (often well above what the answer then costs) until the task settles. A
task refused only because of such holds (the day's spend alone leaves room for its estimate: BudgetExceeded.held)
would mostly fit seconds later, so a task that may wait (a batch's, dispatch with wait=true) waits here for one
of the holds to go away and tries again. It is woken when a reservation of this process settles or is released
(``freed``), and looks every ``poll_seconds`` for those of other processes. When none of the holds it waits on
goes away within the longest call's timeout, the wait ends and the task is refused as before: a hold that
outlives every call belongs to a process that stopped answering, whose reservations end with their TTL.

Waiting spends nothing: the task tries its reservation again, and the reservation stays the only way to spend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from router_core.store import ledger

if TYPE_CHECKING:
    from router_core.core import RouterCore

# What a task's wait notice (progress, the CLI's stderr) and its last refusal say of the wait.
WAITING = ("budget held by running tasks: it runs as they settle (each pays what it used, often less than it "
           "holds), or is refused if none settles in that time")


class BudgetWaits:
    """Where the tasks of one process wait for held budget to come back."""

    poll_seconds = 0.5  # how often a waiting task looks for other processes' settlements

    def __init__(self, core: RouterCore, wait: Callable[[float], Awaitable[Any]]) -> None:
        self._core = core
        self._wait = wait  # the executor's: a fake clock's sleep in tests; heartbeats meanwhile
        self._freed: anyio.Event | None = None  # made by the first waiter (an Event needs the event loop)

    @property
    def longest_seconds(self) -> float:
        """How long a task waits for any of the holds it saw to go away before it is refused."""
        return self._core.settings.execution.longest_call_seconds

    def freed(self) -> None:
        """A reservation of this process settled or was released: wake the tasks waiting to try theirs again."""
        event, self._freed = self._freed, None
        if event is not None:
            event.set()

    async def until_freed(self) -> bool:
        """Wait until one of the reservations live now stops holding money (True), or until ``longest_seconds``
        pass with all of them still live (False)."""
        holds = self._live()
        if not holds:
            return True  # settled between the refusal and now
        clock = self._core.clock  # monotonic: a wall clock set back an hour meanwhile made the wait an hour longer
        deadline = clock.monotonic() + self.longest_seconds
        while (left := deadline - clock.monotonic()) > 0:
            await self._tick(min(self.poll_seconds, left))
            if not holds <= self._live():
                return True
        return False

    def _live(self) -> frozenset[str]:
        with self._core.db.read() as conn:
            return frozenset(row["id"] for row in ledger.live_reservations(conn))

    async def _tick(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if a reservation of this process settles meanwhile."""
        if self._freed is None:
            self._freed = anyio.Event()
        freed = self._freed
        async with anyio.create_task_group() as tg:

            async def poll() -> None:
                await self._wait(seconds)
                tg.cancel_scope.cancel()

            tg.start_soon(poll)
            await freed.wait()
            tg.cancel_scope.cancel()
