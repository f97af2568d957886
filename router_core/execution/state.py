"""The execution layer's shared state that routing must see: open circuits, provider holds, reported limits.

``RouterCore.capacity`` reads ``ExecutionState.snapshot()`` inside its read transaction and passes its
blocks to the capacity check, so an outage or a quota hold blocks a provider in every recommendation
and in the usage resources; an outage whose probe nobody has sent for a whole probe interval no longer does
(``ExecutionSnapshot.unprobed``), and the usage view says so. Dispatch hands the same snapshot to the
executor, which walks the routed provider on it instead of reading the same rows again a moment later (its
pacing check still reads the provider's hold under the write lock before anything is sent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from router_core.clock import Clock
from router_core.execution.circuit import CircuitBreaker, CircuitState
from router_core.execution.holds import Hold, ProviderHolds
from router_core.models import Block
from router_core.settings import ExecutionSettings, ProviderSettings
from router_core.slot_init import slot_init
from router_core.store.db import Database
from router_core.store.snapshot_cache import Validity


@slot_init
@dataclass(frozen=True, slots=True)
class ExecutionSnapshot:
    """Open circuits and holds in force, by provider, as read at one instant."""

    circuits: dict[str, CircuitState]
    holds: dict[str, Hold]
    # (requests, tokens) per window as the provider's latest rate-limit headers reported them (None: not said)
    reported_limits: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    probe_interval: float = math.inf  # execution.outage_probe_interval_seconds: see unprobed()

    def limited(self, provider: ProviderSettings) -> ProviderSettings:
        """``provider`` with the limits its headers reported where they are lower than the configured ones: the
        key's real tier, which pacing already keeps to (routing counting against a higher one sent tasks to
        wait in the pacer while other providers were free)."""
        requests, tokens = self.reported_limits.get(provider.name, (None, None))
        rpm = min(provider.requests_per_minute, requests) if requests else provider.requests_per_minute
        tpm = min(provider.tokens_per_minute, tokens) if tokens else provider.tokens_per_minute
        if (rpm, tpm) == (provider.requests_per_minute, provider.tokens_per_minute):
            return provider
        return replace(provider, requests_per_minute=rpm, tokens_per_minute=tpm)

    def circuit(self, provider: str) -> CircuitState:
        """The provider's circuit if open, else a closed one (the failure count of a closed circuit is not read)."""
        found = self.circuits.get(provider)
        return found if found is not None else CircuitState(provider, 0, False, None, None, "")

    def due_probes(self, now: float) -> list[str]:
        return [p for p, c in self.circuits.items() if c.next_probe_at is not None and c.next_probe_at <= now]

    def unprobed(self, circuit: CircuitState, now: float) -> bool:
        """Whether an open circuit's probe has been due for a whole probe interval without being sent: no process
        that could send it runs (a server with a key or CLI for the provider probes within seconds of the due
        time, a task on its way; a claim or a probe handed back moves the due time on), so nothing will end the
        outage. It stops blocking routing then, as a breaker goes half-open after its reset timeout: the next
        process that can send to the provider probes it before any task (the circuit stays open), and a host
        that runs the work itself is no longer kept from a provider on an outage nobody can check."""
        due = circuit.next_probe_at
        return circuit.is_open and due is not None and now >= due + self.probe_interval

    def blocks(self, now: float) -> dict[str, tuple[Block, ...]]:
        """Blocks per provider from open circuits (but unprobed ones) and holds in force (providers without any
        are absent)."""
        found: dict[str, list[Block]] = {}
        for provider, circuit in self.circuits.items():
            if not self.unprobed(circuit, now):
                found.setdefault(provider, []).append(circuit.block)
        for provider, hold in self.holds.items():
            found.setdefault(provider, []).append(hold.block)
        return {p: tuple(b) for p, b in found.items()}


# The snapshot's three tables in one statement (one step of the routing read, not three): the reported limits,
# the open circuits (CircuitBreaker.open_circuits) and the holds in force (ProviderHolds.active), told apart by
# the first column.
_SNAPSHOT = (
    "SELECT 0, provider, requests_limit, tokens_limit, NULL, NULL, NULL FROM execution_headroom"
    " UNION ALL SELECT 1, provider, failures, is_open, opened_at, next_probe_at, last_error"
    " FROM execution_circuits WHERE is_open = 1"
    " UNION ALL SELECT 2, provider, kind, until, reason, NULL, NULL FROM execution_holds WHERE until > ?"
)


class ExecutionState:
    def __init__(self, db: Database, clock: Clock, settings: ExecutionSettings) -> None:
        self.circuits = CircuitBreaker(
            db, clock, threshold=settings.outage_failure_threshold,
            probe_interval=settings.outage_probe_interval_seconds,
        )
        self.holds = ProviderHolds(db, clock)
        self._db = db
        self._clock = clock

    def snapshot(self, validity: Validity | None = None) -> ExecutionSnapshot:
        """Open circuits and active holds, from one read transaction (or the caller's).

        ``validity`` learns when a hold lapses; an open circuit changes only by a write (a probe)."""
        reported: dict[str, tuple[int | None, int | None]] = {}
        circuits: dict[str, CircuitState] = {}
        holds: dict[str, Hold] = {}
        with self._db.read() as conn:
            for table, provider, a, b, c, d, e in conn.execute(_SNAPSHOT, (self._clock.now(),)):
                if table == 0:
                    reported[provider] = (a, b)
                elif table == 1:  # as CircuitBreaker.open_circuits() reads it
                    circuits[provider] = CircuitState(provider, a, bool(b), c, d, e)
                else:  # as ProviderHolds.active() reads it
                    holds[provider] = Hold(provider, a, b, c)
        snap = ExecutionSnapshot(circuits, holds, reported, self.circuits.probe_interval)
        if validity is not None:
            for hold in snap.holds.values():
                validity.changes_at(hold.until)
        return snap

    def blocks(self) -> dict[str, tuple[Block, ...]]:
        """Blocks per provider from open circuits and holds in force (providers without any are absent)."""
        return self.snapshot().blocks(self._clock.now())
