"""The execution layer's shared state that routing must see: open circuits and provider holds.

``RouterCore.capacity`` passes ``ExecutionState.blocks()`` to the capacity check as extra blocks, so
an outage or a quota hold blocks a provider in every recommendation and in the usage resources.
"""

from __future__ import annotations

from router_core.clock import Clock
from router_core.execution.circuit import CircuitBreaker
from router_core.execution.holds import ProviderHolds
from router_core.models import Block
from router_core.settings import ExecutionSettings
from router_core.store.db import Database


class ExecutionState:
    def __init__(self, db: Database, clock: Clock, settings: ExecutionSettings) -> None:
        self.circuits = CircuitBreaker(
            db, clock, threshold=settings.outage_failure_threshold,
            probe_interval=settings.outage_probe_interval_seconds,
        )
        self.holds = ProviderHolds(db, clock)

    def blocks(self) -> dict[str, tuple[Block, ...]]:
        """Blocks per provider from open circuits and holds in force (providers without any are absent)."""
        found: dict[str, list[Block]] = {}
        for provider, circuit in self.circuits.open_circuits().items():
            found.setdefault(provider, []).append(circuit.block)
        for provider, hold in self.holds.active().items():
            found.setdefault(provider, []).append(hold.block)
        return {p: tuple(b) for p, b in found.items()}
