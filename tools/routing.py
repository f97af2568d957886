"""Read-only routing tools: classify_task and recommend_provider.

classify_task runs on the event loop: it reads the classifier, in memory, and nothing else. recommend_provider
decides in a worker thread: a decision may write the shared database (maintenance found due, a budget alert
claimed, rows repaired after a clock step), which waits for another process's write lock up to the busy
timeout, and the event loop is every session's."""

# No `from __future__ import annotations`: see tools/__init__.py.

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from tools._context import core_of, in_worker
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
        core = await core_of(ctx)
        return await in_worker(lambda: recommendation_record(core.decide(task, repo=repo)))
