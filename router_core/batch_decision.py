"""A batch's plan (design section 6.2): the record ``batch_plan.plan_batch`` gives for each task and
each provider, and for the whole batch.

Kept apart from ``router_core.decision`` (which still exports them) so that a process that never
plans a batch does not create these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_core.models import BudgetSnapshot, Classification, CostEstimate


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
    agent: str | None = None  # a plan only (dry run): the agent it would be assigned now, unleased


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
