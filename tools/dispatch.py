"""Tools that act: dispatch_agent and run_batch."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from tools._context import core_from
from tools.batch_schemas import BatchPlanOut
from tools.errors import tool_errors
from tools.routing import Task
from tools.schemas import RecommendationRecordOut

Provider = Literal["codex", "gemini", "claude"]


class BatchTaskIn(BaseModel):
    task: Annotated[str, Field(description="The subtask text.")]
    id: Annotated[str | None, Field(description="Your id for it.")] = None


def dispatch_agent(
    task: Task,
    ctx: Context,
    provider: Annotated[Provider | None, Field(description="Force a provider; default: recommended.")] = None,
) -> RecommendationRecordOut:
    """Route a subtask and lease the best agent for it on the chosen provider."""
    with tool_errors():
        return RecommendationRecordOut.of(
            core_from(ctx).decide(task, provider=provider, lease_agent=True, event="dispatch")
        )


def run_batch(
    tasks: Annotated[list[BatchTaskIn], Field(min_length=1, max_length=500)],
    ctx: Context,
    parallel: Annotated[int | None, Field(ge=1, le=64, description="Concurrency cap.")] = None,
    dry_run: Annotated[bool, Field(description="Plan only.")] = True,
) -> BatchPlanOut:
    """Plan a batch: classify each task, group per provider, sub-batch within rate limits, with cost,
    time and budget impact."""
    with tool_errors():
        plan = core_from(ctx).plan_batch([(t.id, t.task) for t in tasks], concurrency=parallel)
        return BatchPlanOut.of(plan, dry_run=True)
