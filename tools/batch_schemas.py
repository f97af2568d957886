"""Output models of run_batch."""

from __future__ import annotations

from pydantic import BaseModel

from router_core.decision import BatchPlan


class BatchItemOut(BaseModel):
    index: int
    task_id: str
    provider: str
    task_type: str
    route: str
    cost_usd: float
    sub_batch: int
    starts_after_seconds: float
    exceeds_budget: bool


class ProviderGroupOut(BaseModel):
    tasks: list[int]
    sub_batches: list[list[int]]
    cost_usd: float
    estimated_seconds: float
    requests_room: int
    tokens_room: int


class BatchPlanOut(BaseModel):
    """Design 6.2's plan: tasks grouped per provider, sub-batched within rate limits."""

    dry_run: bool
    items: list[BatchItemOut]
    providers: dict[str, ProviderGroupOut]
    total_cost_usd: float
    estimated_seconds: float
    sequential_seconds: float
    budget_remaining_before: float
    budget_remaining_after: float
    exceeds_budget: bool
    warnings: list[str]

    @classmethod
    def of(cls, plan: BatchPlan, *, dry_run: bool = True) -> BatchPlanOut:
        return cls(
            dry_run=dry_run,
            items=[
                BatchItemOut(
                    index=it.index,
                    task_id=it.task_id,
                    provider=it.provider,
                    task_type=it.classification.task_type,
                    route=it.route,
                    cost_usd=it.cost.usd,
                    sub_batch=it.sub_batch,
                    starts_after_seconds=it.starts_after_seconds,
                    exceeds_budget=it.exceeds_budget,
                )
                for it in plan.items
            ],
            providers={
                pp.provider: ProviderGroupOut(
                    tasks=list(pp.task_indexes),
                    sub_batches=[list(s) for s in pp.sub_batches],
                    cost_usd=pp.cost,
                    estimated_seconds=pp.estimated_seconds,
                    requests_room=pp.requests_room,
                    tokens_room=pp.tokens_room,
                )
                for pp in plan.providers
            },
            total_cost_usd=plan.total_cost,
            estimated_seconds=plan.estimated_seconds,
            sequential_seconds=plan.sequential_seconds,
            budget_remaining_before=round(plan.budget_before.remaining, 6),
            budget_remaining_after=plan.budget_remaining_after,
            exceeds_budget=plan.exceeds_budget,
            warnings=list(plan.warnings),
        )
