"""The composition root: build the core from settings and serve it over MCP."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from mcp.server import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPDeprecationWarning

from resources import register_resources
from router_core.core import RouterCore
from router_core.execution.adapters import build_adapters, http_client
from router_core.execution.executor import Executor
from router_core.settings import Settings
from server.core_factory import build_core
from server.live import LiveUpdates
from tools import output_schemas, register_tools
from tools._context import AppState

INSTRUCTIONS = (
    "Switchboard routes subtasks across codex (code), gemini (analysis, docs) and claude (architecture, "
    "planning) within live rate limits and a daily budget. Call recommend_provider before delegating a "
    "subtask; run_batch for several; get_budget before costly work."
)

warnings.filterwarnings("ignore", category=MCPDeprecationWarning)


@dataclass
class ServerParts:
    mcp: MCPServer
    get_core: Callable[[], RouterCore]
    live: LiveUpdates


def create_server(
    settings: Settings,
    *,
    core_factory: Callable[[], RouterCore] | None = None,
    live_interval: float | None = 1.0,
) -> MCPServer:
    """An MCPServer whose lifespan builds one RouterCore per process (per app over HTTP)."""
    return build_server(settings, core_factory=core_factory, live_interval=live_interval).mcp


def build_server(
    settings: Settings,
    *,
    core_factory: Callable[[], RouterCore] | None = None,
    live_interval: float | None = 1.0,
) -> ServerParts:
    holder: dict[str, RouterCore] = {}
    bus = InMemorySubscriptionBus()

    def get_core() -> RouterCore:
        if "core" not in holder:
            holder["core"] = (core_factory or (lambda: build_core(settings)))()
        return holder["core"]

    live = LiveUpdates(get_core, bus)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[AppState]:
        core = get_core()
        live.prime()
        # One HTTP client per process for every provider call (issue 3); closed with the server.
        async with http_client(core.settings) as client, anyio.create_task_group() as tg:
            executor = Executor(core, build_adapters(core.settings, client=client, clock=core.clock))
            if live_interval:
                tg.start_soon(live.run, live_interval)
            try:
                yield AppState(core=core, notify_changed=live.check, extras={"executor": executor})
            finally:
                tg.cancel_scope.cancel()

    mcp = MCPServer(
        "switchboard",
        version=_version(),
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        subscriptions=bus,
        log_level="WARNING",
    )
    register_tools(mcp)
    register_resources(mcp, get_core)
    _register_output_schemas(mcp)
    live.install(mcp)
    logging.getLogger("mcp").setLevel(logging.WARNING)
    return ServerParts(mcp, get_core, live)


def _register_output_schemas(mcp: MCPServer) -> None:
    @mcp.resource("schema://tool-outputs", name="tool-output-schemas", mime_type="application/json")
    def tool_output_schemas() -> str:
        """JSON Schemas of every tool's structuredContent (left out of tools/list to save context)."""
        return json.dumps(output_schemas(), indent=2)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("switchboard-mcp")
    except PackageNotFoundError:
        return "0.0.0"
