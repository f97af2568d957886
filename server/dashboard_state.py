"""The dashboard's state document, built from the same views as the MCP resources."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from resources.views import budget_view, usage_summary
from router_core.core import RouterCore
from router_core.records import iso

SPEND_DAYS = 14
RECENT = 30


def dashboard_state(core: RouterCore) -> dict[str, Any]:
    summary = usage_summary(core)
    providers = []
    for name, view in summary["providers"].items():
        providers.append(
            {
                **{k: view[k] for k in ("provider", "display_name", "requests_used", "requests_limit",
                                        "requests_percent", "tokens_used", "tokens_limit", "tokens_percent",
                                        "available", "blocks")},
                "backend": getattr(core, "backend_name", lambda _n: "none")(name),
                "outage": any(b["reason"].startswith("outage") for b in view["blocks"]),
            }
        )
    return {
        "generated_at": iso(core.clock.now()),
        "providers": providers,
        "budget": budget_view(core.budget()),
        "spend_by_day": core.ledger.spend_by_day(SPEND_DAYS),
        "recent": core.audit.tail(RECENT),
        "agents_in_use": core.leases.in_use(),
    }


def dashboard_state_factory(get_core: Callable[[], RouterCore]) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def get_state() -> dict[str, Any]:
        return await anyio.to_thread.run_sync(dashboard_state, get_core())

    return get_state
