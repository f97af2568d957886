"""Tools that act: dispatch_agent and run_batch (issue 3: they execute on the providers)."""

# No `from __future__ import annotations`: see tools/registry.py.

from typing import TYPE_CHECKING, Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, ConfigDict, Field

from router_core.batch_limits import MAX_BATCH_PARALLEL, MAX_BATCH_TASKS
from router_core.settings import ExecutionSettings
from tools._context import AppState, in_worker, state_from
from tools.batch_schemas import BatchPlanOut, DispatchRecord, dispatch_record
from tools.errors import tool_errors
from tools.progress import ProgressReport
from tools.routing import Task

if TYPE_CHECKING:
    from router_core.execution.executor import Executor

# The execution stack (router_core.execution) is imported by the first call of these tools, not at
# server start-up: a routing-only session never loads it.

Provider = Literal["codex", "gemini", "claude"]
EXECUTOR_KEY = "executor"


def parallel_description(batch_concurrency: int) -> str:
    """run_batch's ``parallel`` with its default as configured (tools.registry.configured_descriptions)."""
    return f"Concurrency cap (default {batch_concurrency}: execution.batch_concurrency)."


class BatchTaskIn(BaseModel):
    # A per-task "provider" or "context" it doesn't have must not be dropped silently (tools/registry.py).
    model_config = ConfigDict(extra="forbid")

    task: Annotated[str, Field(description="The subtask text.")]
    id: Annotated[str | None, Field(description="Your id for it.")] = None


def executor_of(state: AppState) -> "Executor":
    """The process's executor and its HTTP client, made on the first execution; the server's lifespan
    closes the client."""
    executor = state.extras.get(EXECUTOR_KEY)
    if executor is None:
        from router_core.execution.adapters import build_adapters, http_client
        from router_core.execution.executor import Executor

        client = state.extras.setdefault("http_client", http_client(state.core.settings))
        executor = Executor(state.core, build_adapters(state.core.settings, client=client, clock=state.core.clock))
        state.extras[EXECUTOR_KEY] = executor
    return executor


async def dispatch_agent(
    task: Task,
    ctx: Context,
    provider: Annotated[Provider | None, Field(description="Force a provider (no fallback); default: routed.")] = None,
    context: Annotated[str | None, Field(description="Context for the agent: files, notes, constraints.")] = None,
    max_cost: Annotated[float | None, Field(gt=0, description="USD cap for this task, retries and fallbacks "
                                                          "included; bounds each try's output.")] = None,
    wait: Annotated[bool, Field(description="If every provider (or the one forced) is blocked, wait for capacity instead of "
                                            "returning the ETA.")] = False,
    execute: Annotated[bool, Field(description="Run it; false: route and lease the agent only.")] = True,
) -> DispatchRecord:
    """Run a subtask on the best provider with a specialised agent, within rate limits and budget, falling
    back on errors. Returns the result, provider, tokens, cost and the path taken; audited."""
    from router_core.execution.dispatch import dispatch

    state = state_from(ctx)
    report = ProgressReport(ctx, None, every=state.heartbeat_seconds)
    with tool_errors():
        core = await state.ready_core()
        async with report.beating():
            result = await dispatch(core, executor_of(state), task, provider=provider, context=context,
                                    max_cost=max_cost, wait=wait, execute=execute, on_park=report.parked,
                                    on_call=report.call, on_pace=report.paced)
    if state.notify_changed is not None:
        await state.notify_changed()
    return dispatch_record(result.decision, result.outcome)


async def run_batch(
    tasks: Annotated[list[BatchTaskIn], Field(min_length=1, max_length=MAX_BATCH_TASKS)],
    ctx: Context,
    parallel: Annotated[int | None, Field(ge=1, le=MAX_BATCH_PARALLEL, description=parallel_description(ExecutionSettings().batch_concurrency))] = None,
    dry_run: Annotated[bool, Field(description="Plan only (default); false runs the tasks.")] = True,
) -> BatchPlanOut:
    """Plan or run a batch: classify each task, group per provider, sub-batch within rate limits, with cost,
    time and budget impact. With dry_run false, runs the groups in parallel (paced, with progress) and
    returns each task's result in input order."""
    state = state_from(ctx)
    pairs = [(t.id, t.task) for t in tasks]
    with state.stopping.batch_running():  # a SIGTERM on stdio waits for it to answer (server/stdio.py)
        with tool_errors():
            core = await state.ready_core()
            if dry_run:
                return BatchPlanOut.of(await in_worker(lambda: core.plan_batch(pairs, concurrency=parallel)), dry_run=True)

            from router_core.execution.batch import run_batch as execute_batch

            report = ProgressReport(ctx, len(pairs), every=state.heartbeat_seconds)
            async with report.beating():
                run = await execute_batch(core, executor_of(state), pairs, parallel=parallel, progress=report.done,
                                          on_park=report.parked, on_call=report.call, on_pace=report.paced,
                                          stopping=state.stopping)
        if state.notify_changed is not None:
            await state.notify_changed()
        return BatchPlanOut.executed(run.plan, run.outcome, run.agents)
