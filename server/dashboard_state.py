"""The dashboard's state document, built from the same views as the MCP resources."""

from __future__ import annotations

import os
import shutil
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from resources.views import budget_view, usage_summary
from router_core.core import RouterCore
from router_core.errors import NotConfigured
from router_core.providers.registry import choose_backend
from router_core.records import iso

SPEND_DAYS = 14
RECENT = 30


def backend_names(
    core: RouterCore, environ: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> dict[str, str]:
    """Which backend each provider would execute on: api, cli or none (no key, no CLI)."""
    env = os.environ if environ is None else environ
    names = {}
    for p in core.settings.providers:
        try:
            names[p.name] = choose_backend(p, environ=env, which=which).backend
        except NotConfigured:
            names[p.name] = "none"
    return names


def dashboard_state(core: RouterCore, backends: Mapping[str, str] | None = None) -> dict[str, Any]:
    backends = backend_names(core) if backends is None else backends
    summary = usage_summary(core)
    providers = []
    for name, view in summary["providers"].items():
        providers.append(
            {
                **{k: view[k] for k in ("provider", "display_name", "requests_used", "requests_limit",
                                        "requests_percent", "tokens_used", "tokens_limit", "tokens_percent",
                                        "available", "blocks")},
                "backend": backends[name],
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
    backends: dict[str, str] = {}

    async def get_state() -> dict[str, Any]:
        core = get_core()
        if not backends:  # env and PATH are read once per process, like the executor does
            backends.update(backend_names(core))
        return await anyio.to_thread.run_sync(dashboard_state, core, backends)

    return get_state
