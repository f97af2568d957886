"""The full routing decision for one task: what the recommender saw and what it chose.

A ``RoutingDecision`` is what the tools, the CLI and the audit trail each render in
their own form; nothing in it is computed again by them. A batch's plan (``BatchPlan``,
``BatchItemPlan``, ``ProviderBatchPlan``) is exported here too, from ``batch_decision.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

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
from router_core.slot_init import slot_init

if TYPE_CHECKING:  # at run time, __getattr__ below loads them on first use
    from router_core.batch_decision import BatchItemPlan, BatchPlan, ProviderBatchPlan

__all__ = ["RoutingDecision", "BatchItemPlan", "ProviderBatchPlan", "BatchPlan"]


@slot_init
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

    def with_lease(self, lease_id: str | None) -> RoutingDecision:
        """This decision with ``lease_id`` (as ``dataclasses.replace`` would make it, for half its cost: a
        dispatch takes its agent's lease after routing, with the first budget reservation)."""
        values = list(_INIT_VALUES(self))
        values[_LEASE_AT] = lease_id
        return RoutingDecision(*values)

    @property
    def alerts(self) -> list[str]:
        """The thresholds this decision claimed, then the recommendation's budget alerts, each once: a threshold
        claimed now is also among today's passed ones (budget.alerts), which the budget alerts begin with."""
        return list(dict.fromkeys([a.message for a in self.new_alerts] + list(self.recommendation.budget_alerts)))


_INIT_FIELDS = tuple(f.name for f in fields(RoutingDecision) if f.init)
_INIT_VALUES = attrgetter(*_INIT_FIELDS)
_LEASE_AT = _INIT_FIELDS.index("lease_id")

_BATCH_RECORDS = frozenset({"BatchItemPlan", "ProviderBatchPlan", "BatchPlan"})


def __getattr__(name: str) -> Any:
    # The batch plan's records are created on first use, not by every start-up (~1.5 ms of dataclasses).
    if name in _BATCH_RECORDS:
        from router_core import batch_decision

        return getattr(batch_decision, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
