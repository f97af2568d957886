"""Budget and usage tools: get_budget (read-only) and record_usage (manual entry)."""

# No `from __future__ import annotations`: see tools/registry.py.

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from router_core.models import BudgetSnapshot
from router_core.settings import ExecutionSettings
from router_core.usage import check_usage_record
from tools._context import core_of, in_worker, state_from
from tools.errors import tool_errors
from tools.schemas import BudgetOut

Provider = Literal["codex", "gemini", "claude"]
WINDOW = ExecutionSettings().rate_window_seconds  # the shipped one; a server lists its own
WINDOW_NAMES = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}


def used_description(what: str, window_seconds: float) -> str:
    """record_usage's ``requests`` or ``tokens``: the count in one rate window, as configured (the core holds a
    count entered as the window's, execution.rate_window_seconds; tools.registry.configured_descriptions)."""
    return f"{what} used in the last {WINDOW_NAMES.get(float(window_seconds), f'{window_seconds:g} seconds')}."


async def get_budget(ctx: Context) -> BudgetOut:
    """Today's budget: total, spent, reserved and remaining, per provider, with alerts and next reset."""
    with tool_errors():
        core = await core_of(ctx)
        return BudgetOut.of(await in_worker(core.budget))  # (a snapshot may write: expired reservations)


async def record_usage(
    provider: Provider,
    ctx: Context,
    requests: Annotated[int | None, Field(ge=0, description=used_description("Requests", WINDOW))] = None,
    tokens: Annotated[int | None, Field(ge=0, description=used_description("Tokens", WINDOW))] = None,
    cost_usd: Annotated[float, Field(ge=0, description="Spend to add to today's budget.")] = 0.0,
) -> BudgetOut:
    """Enter usage observed elsewhere (e.g. a provider console) when it can't be polled."""
    state = state_from(ctx)
    with tool_errors():
        check_usage_record(requests, tokens, cost_usd, provider=provider, hint="get_budget shows the budget it counts")
        core = await state.ready_core()

        def record() -> BudgetSnapshot:  # a write: off the event loop (tools/_context.py, in_worker)
            core.record_usage(provider, requests=requests, tokens=tokens, cost_usd=cost_usd, manual=True)
            return core.budget()

        budget = await in_worker(record)
    if state.notify_changed is not None:
        await state.notify_changed()
    return BudgetOut.of(budget)
