"""Read-only routing tools: classify_task and recommend_provider.

Both run on the event loop, not a worker thread. classify_task reads the classifier, in memory. A decision's
SQLite work is reads (WAL readers never wait for writers) and one audit append, well under a millisecond; it
writes only now and then (maintenance found due, a budget alert claimed, rows repaired after a clock step), and
only those writes go to a worker thread, where they may wait for another process's write lock
(router_core/loop_decisions.py). A thread hop for every call would cost ~0.2 ms, which took
the stdio round trip from 1.23-1.32x the minimal server's to 1.33-1.42x (target 1.3x; bench/mcp_overhead.py,
run alternately). record_usage, get_budget and a dry-run run_batch, off the hot path, go through in_worker."""

# No `from __future__ import annotations`: see tools/registry.py.

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from router_core.loop_decisions import decide_on_loop
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
        decision, _ = await decide_on_loop(await core_of(ctx), task, repo=repo)
        return recommendation_record(decision)
