"""The one place that reads the server's lifespan state from a tool or resource context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context

from router_core.core import RouterCore


@dataclass
class AppState:
    """What the server's lifespan hands every tool and resource."""

    # The process's core, built on first use (the server warms it in the background at start-up).
    get_core: Callable[[], RouterCore]
    # Set by the server: called after a tool changes usage or budget so subscribers hear of it.
    notify_changed: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def core(self) -> RouterCore:
        return self.get_core()


def state_from(ctx: Context) -> AppState:
    return ctx.request_context.lifespan_context


def core_from(ctx: Context) -> RouterCore:
    return state_from(ctx).core
