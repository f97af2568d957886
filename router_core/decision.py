"""The full routing decision for one task: what the recommender saw and what it chose.

A ``RoutingDecision`` is what the tools, the CLI and the audit trail each render in
their own form; nothing in it is computed again by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from router_core.models import (
    AgentChoice,
    Availability,
    BudgetAlert,
    BudgetSnapshot,
    Classification,
    CostEstimate,
    ProviderUsage,
    Recommendation,
)


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """One task's routing: the snapshots the recommender saw, its choice, agent and lease."""

    task_id: str
    task: str
    timestamp: float
    classification: Classification
    usage: dict[str, ProviderUsage]
    availability: dict[str, Availability]
    costs: dict[str, CostEstimate]
    budget: BudgetSnapshot
    recommendation: Recommendation
    agent: AgentChoice | None = None
    lease_id: str | None = None
    new_alerts: tuple[BudgetAlert, ...] = ()
    execution_seconds_estimate: tuple[int, int] = (0, 0)
    repo: str | None = None
    # Renderings of the fields above that several outputs share (see records.provider_states).
    rendered: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def provider(self) -> str:
        return self.recommendation.provider


@dataclass(frozen=True, slots=True)
class BatchItemPlan:
    """One task of a planned batch: its provider, route, cost and sub-batch."""

    index: int
    task_id: str
    task: str
    classification: Classification
    provider: str
    route: str
    reason: str
    cost: CostEstimate
    sub_batch: int
    starts_after_seconds: float
    exceeds_budget: bool = False


@dataclass(frozen=True, slots=True)
class ProviderBatchPlan:
    """One provider's share of a batch: its tasks, sub-batches, room, cost and time."""

    provider: str
    task_indexes: tuple[int, ...]
    sub_batches: tuple[tuple[int, ...], ...]
    requests_room: int
    tokens_room: int
    cost: float
    estimated_seconds: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """A whole batch plan (design 6.2): items, provider groups, cost, time and budget impact."""

    items: tuple[BatchItemPlan, ...]
    providers: tuple[ProviderBatchPlan, ...]
    total_cost: float
    estimated_seconds: float
    sequential_seconds: float
    budget_before: BudgetSnapshot
    budget_remaining_after: float
    exceeds_budget: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)
