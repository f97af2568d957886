"""What routing reads from the shared database: budget, usage windows, circuits and holds, agent leases.

One read transaction (the caller's) gives one consistent snapshot. While nobody commits and no row in it
changes meaning with time, the last read is returned again instead of querying (store/snapshot_cache.py):
exactly what a fresh read would find, for the cost of one ``PRAGMA data_version``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from router_core.budget import BudgetLedger
from router_core.clock import Clock
from router_core.execution.state import ExecutionSnapshot, ExecutionState
from router_core.leases import AgentLeases
from router_core.models import BudgetSnapshot, WindowCounts
from router_core.slot_init import slot_init
from router_core.store.db import Database
from router_core.store.snapshot_cache import SnapshotCache, Validity
from router_core.usage import UsageTracker


@slot_init
@dataclass(frozen=True, slots=True)
class SharedState:
    """The shared state in one snapshot, before anything is derived with the time. Shared between the
    decisions that reuse it: read it, never change it."""

    budget: BudgetSnapshot
    execution: ExecutionSnapshot
    windows: dict[str, WindowCounts]
    in_use: dict[str, int]  # live leases per agent


class SharedStateReader:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        providers: tuple[str, ...],
        *,
        ledger: BudgetLedger,
        usage: UsageTracker,
        execution: ExecutionState,
        leases: AgentLeases,
    ) -> None:
        self._db, self._clock, self._providers = db, clock, providers
        self._ledger, self._usage, self._execution, self._leases = ledger, usage, execution, leases
        self._threads = threading.local()  # a cache per thread, as each thread has its own connection

    def read(self) -> SharedState:
        """The shared state, in the caller's read transaction (``Database.read``)."""
        # A snapshot holds the budget's limits too: the same rows read under an edited configuration differ.
        version, now = (self._db.version(), self._ledger.generation), self._clock.now()
        cache = getattr(self._threads, "cache", None)
        if cache is None:
            cache = self._threads.cache = SnapshotCache()
        found = cache.get(version, now)
        if found is not None:
            return found
        validity = Validity()
        state = SharedState(
            budget=self._ledger.snapshot(validity),
            execution=self._execution.snapshot(validity),
            windows=self._usage.windows(self._providers, validity),
            in_use=self._leases.in_use(validity),
        )
        cache.put(version, now, state, validity)
        return state

    def forget(self) -> None:
        """Drop this thread's cached read: the next read queries."""
        cache = getattr(self._threads, "cache", None)
        if cache is not None:
            cache.clear()
