"""Read-only routing tools: classify_task and recommend_provider.

They run on the event loop, not a worker thread: their SQLite work is reads (WAL readers never wait
for writers) and one audit append, well under a millisecond, and the thread hop would cost as much."""

# No `from __future__ import annotations`: see tools/__init__.py.

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from tools._context import core_of
from tools.errors import tool_errors
from tools.schemas import ClassificationOut, RecommendationRecord, recommendation_record

Task = Annotated[str, Field(description="The subtask, in plain words.")]


async def classify_task(task: Task, ctx: Context) -> ClassificationOut:
    """Classify a subtask: best provider (codex, gemini, claude), scores, fallback chain, task type, reasons."""
    with tool_errors():
        return ClassificationOut.of((await core_of(ctx)).classify(task))


async def recommend_provider(
    task: Task,
    ctx: Context,
    repo: Annotated[str | None, Field(description="Repository name, for the audit log.")] = None,
) -> RecommendationRecord:
    """Recommend a provider for a subtask given live capacity and today's budget, with fallbacks,
    cost estimate, agent and alternatives. Logged to the audit trail."""
    with tool_errors():
        return recommendation_record((await core_of(ctx)).decide(task, repo=repo))
