"""The tools' output models: the design's record shapes, typed for structuredContent.

Descriptions are kept short on purpose: every field here costs each host context tokens.
A tool's result leaves out every field at its default (``exclude_defaults``, see tools.registry.as_result): the
defaults are chosen so that absent means nothing to say (no block, no wait, no lease, no alerts), and the
published schemas (schema://tool-outputs) carry each default. The CLI's ``--json`` keeps every field.
No ``from __future__ import annotations`` here or in batch_schemas.py: pydantic then takes the field
types as objects instead of evaluating a string per field while the server starts (~1 ms).
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

from router_core.budget_text import money, percent_used
from router_core.budget_view import budget_view
from router_core.decision import RoutingDecision
from router_core.models import BudgetSnapshot, Classification
from router_core.records import classification_dict, iso, provider_states


class OutputModel(BaseModel):
    """A tool's output shape. Its validator and serializer are built on first use (pydantic's
    defer_build): start-up only declares the classes, which the tools' annotations name."""

    model_config = ConfigDict(defer_build=True)


class ClassificationOut(OutputModel):
    primary_provider: str
    primary_score: int
    fallback_chain: list[str]
    all_scores: dict[str, int]
    task_type: str
    reasons: list[str]
    classifier: str

    @classmethod
    def of(cls, c: Classification) -> "ClassificationOut":
        return cls(**classification_dict(c))


class ProviderAvailabilityOut(OutputModel):
    requests: str
    tokens: str
    available: bool
    daily_cost_so_far: str
    daily_budget: str
    reason: str | None = None
    blocked_until: str | None = None


class RecommendationOut(OutputModel):
    provider: str
    reason: str
    route: str
    model: str
    cost_estimate: str
    cost_estimate_usd: float
    execution_time_estimate: str
    wait_seconds: float | None = None
    resets_at: str | None = None


class AgentOut(OutputModel):
    agent_id: str
    specialization: str
    model: str
    reason: str
    lease_id: str | None = None


class AlternativeOut(OutputModel):
    provider: str
    reason: str
    cost: str
    available: bool


class BudgetStatusOut(OutputModel):
    spent: str
    total: str
    percent: float
    remaining: str


class RecommendationRecordOut(OutputModel):
    """Design section 4.2's detailed record."""

    task_id: str
    task_classification: ClassificationOut
    provider_availability: dict[str, ProviderAvailabilityOut]
    recommendation: RecommendationOut
    agent_assigned: AgentOut | None = None
    alternatives: list[AlternativeOut]
    budget_status: BudgetStatusOut
    alerts: list[str] = []

    @classmethod
    def of(cls, d: RoutingDecision) -> "RecommendationRecordOut":
        return cls.model_validate(recommendation_record(d))


# The record as JSON-ready data in RecommendationRecordOut's shape, for a tool to send without building
# and re-serialising ten models per call (tests hold it equal to the model's dump without defaults, field
# order and types included).
RecommendationRecord = Annotated[dict[str, Any], RecommendationRecordOut]


def recommendation_record(d: RoutingDecision) -> dict[str, Any]:
    """Design section 4.2's detailed record of ``d``, exactly as ``RecommendationRecordOut`` dumps it with
    ``exclude_defaults``: a field at its default (None, no alerts) is left out, as tools.registry.as_result does."""
    rec = d.recommendation
    cost = rec.cost
    lo, hi = d.execution_seconds_estimate
    recommendation = {
        "provider": rec.provider,
        "reason": rec.reason,
        "route": rec.route,
        "model": cost.model,
        "cost_estimate": money(cost.usd),
        "cost_estimate_usd": float(cost.usd),
        "execution_time_estimate": f"{lo}-{hi} seconds",
    }
    if rec.wait_seconds is not None:
        recommendation["wait_seconds"] = float(rec.wait_seconds)
    resets_at = iso(rec.resets_at)
    if resets_at is not None:
        recommendation["resets_at"] = resets_at
    record: dict[str, Any] = {
        "task_id": d.task_id,
        "task_classification": classification_dict(d.classification),
        "provider_availability": {name: _availability(s) for name, s in provider_states(d).items()},
        "recommendation": recommendation,
    }
    if d.agent is not None:
        a = d.agent.agent
        agent = {"agent_id": a.id, "specialization": a.specialization, "model": cost.model, "reason": d.agent.reason}
        if d.lease_id is not None:
            agent["lease_id"] = d.lease_id
        record["agent_assigned"] = agent
    record["alternatives"] = [
        {"provider": a.provider, "reason": a.reason, "cost": money(a.cost.usd), "available": a.available}
        for a in rec.alternatives
    ]
    record["budget_status"] = _budget_status(d.budget)
    alerts = d.alerts
    if alerts:
        record["alerts"] = alerts
    return record


def _availability(s: dict[str, Any]) -> dict[str, Any]:
    out = {
        "requests": s["requests"],
        "tokens": s["tokens"],
        "available": s["available"],
        "daily_cost_so_far": s["cost_today"],
        "daily_budget": s["daily_budget"],
    }
    if s.get("block_reason") is not None:
        out["reason"] = s["block_reason"]
    if s.get("blocked_until") is not None:
        out["blocked_until"] = s["blocked_until"]
    return out


def _budget_status(b: BudgetSnapshot) -> dict[str, Any]:
    spent, total = b.spent, b.total  # the percentage as get_budget shows it (rounded down, not up to an alert's)
    return {"spent": money(spent), "total": money(total), "percent": percent_used(spent, total),
            "remaining": money(b.remaining)}


class ProviderBudgetOut(OutputModel):
    allocation: float
    spent: float
    reserved: float
    remaining: float
    percent_used: float  # of the allocation (design 8.1: "$12.50 (42% of allocated)")


class BudgetAlertOut(OutputModel):
    level: str  # info, warning or critical: the highest of its thresholds'
    thresholds: list[int]  # the thresholds passed that it stands for (passed together, they share one message)
    message: str


class BudgetThresholdOut(OutputModel):
    percent: int
    amount: float  # USD: the share of the total
    passed: bool


class BudgetOut(OutputModel):
    """Design section 8.1's daily budget, in USD: router_core.budget_view's shape, which budget://today, the
    dashboard and `switchboard budget --json` give in full."""

    day: str
    timezone: str
    total: float
    spent: float
    reserved: float
    remaining: float
    percent_used: float
    next_reset_at: str
    providers: dict[str, ProviderBudgetOut]
    alerts: list[BudgetAlertOut] = []  # the passed thresholds', each message once
    thresholds: list[BudgetThresholdOut] = []  # every one, passed or not (design 8.1); none with a $0 daily total

    @classmethod
    def of(cls, b: BudgetSnapshot) -> "BudgetOut":
        return cls.model_validate(budget_view(b))
