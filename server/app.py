"""The composition root: build the core from settings and serve it over MCP."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import INVALID_PARAMS
from mcp.types import Tool as MCPTool

from resources.registry import register_resources
from router_core.core import REQUEST_SESSION, RouterCore
from router_core.errors import RouterError
from router_core.execution.stopping import Stopping
from router_core.settings import HttpSettings, Settings
from server.core_factory import build_core
from server.live import LiveUpdates
from server.probes import watch_outages
from tools._context import AppState
from tools.progress import HEARTBEAT_SECONDS
from tools.registry import (
    check_call,
    configured_descriptions,
    explained,
    listed_schema,
    output_schemas,
    register_tools,
)

SHOWN_URI_CHARS = 200  # of an unknown resource URI, in the refusal: a host may send one of any length

INSTRUCTIONS = (
    "Switchboard routes subtasks across codex (code), gemini (analysis, docs) and claude (architecture, "
    "planning) within live rate limits and a daily budget. Call recommend_provider before delegating a "
    "subtask and dispatch_agent to run it there; run_batch with dry_run false to run several (by default it only "
    "plans); get_budget before costly work."
)

warnings.filterwarnings("ignore", category=MCPDeprecationWarning)


class SwitchboardServer(MCPServer):
    """An MCPServer whose tools refuse arguments they don't have (the SDK drops them: a misspelt ``max_cost``
    ran the task uncapped) and explain wrong ones in a line each, and whose tools/list is compact."""

    _listed: list[MCPTool] | None = None
    _calls_running = 0  # tool calls in flight, any session
    _calls_done: anyio.Event | None = None  # set when that falls to 0, for whoever waits (calls_finished)

    def __init__(self, *args: Any, described: Mapping[str, dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Arguments' descriptions as configured (build_server: configured_descriptions), this server's own.
        self.described: dict[str, dict[str, str]] = dict(described or {})
        # Told by the transport as the server stops (server/stdio.py, server/http_shutdown.py); run_batch reads it.
        self.stopping = Stopping()

    async def list_tools(self) -> list[MCPTool]:
        """The tools with compact input schemas (listed_schema), made once: the tools never change."""
        if self._listed is None:
            self._listed = [
                t.model_copy(update={"input_schema": listed_schema(t.input_schema, self.described.get(t.name))})
                for t in await super().list_tools()
            ]
        return self._listed

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None) -> Any:
        check_call(name, arguments)
        session = REQUEST_SESSION.set(audit_session(context))
        self._calls_running += 1
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            raise explained(name, exc) from exc.__cause__
        finally:
            REQUEST_SESSION.reset(session)
            self._calls_running -= 1
            if not self._calls_running and self._calls_done is not None:
                self._calls_done.set()
                self._calls_done = None

    @property
    def calls_running(self) -> int:
        return self._calls_running

    async def calls_finished(self) -> None:
        """Return once no tool call is running (server/stdio.py waits so at EOF on stdin)."""
        if self._calls_running:
            if self._calls_done is None:
                self._calls_done = anyio.Event()
            await self._calls_done.wait()

    async def read_resource(self, uri: Any, context: Context | None = None) -> Any:
        """A resource's contents; an unknown URI is refused with the resources there are (the SDK said
        "Unknown resource: budget://yesterday" and no more), as an unknown tool is with the tools."""
        try:
            return await super().read_resource(uri, context)
        except ResourceNotFoundError as exc:
            if str(exc) != f"Unknown resource: {uri}":
                raise  # a resource's own refusal (an unknown provider, a day that is no date) says what to give
            known = [str(r.uri) for r in self._resource_manager.list_resources()]
            known += [t.uri_template for t in self._resource_manager.list_templates()]
            asked = str(uri) if len(str(uri)) <= SHOWN_URI_CHARS else f"{str(uri)[:SHOWN_URI_CHARS]}..."  # 1 MB?
            raise ResourceNotFoundError(f"Unknown resource: {asked}; Switchboard's resources are "
                                        f"{', '.join(known)}") from None

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None,
                         context: Context | None = None) -> Any:
        """Switchboard has no prompts: a request for one is invalid params that say so (the SDK answered a
        ValueError, JSON-RPC code 0 or "Internal server error", and logged a traceback each time)."""
        if self._prompt_manager.get_prompt(name) is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name}; Switchboard has no prompts: its tools "
                                           "(tools/list) and resources (resources/list) are what it offers")
        return await super().get_prompt(name, arguments, context)


def audit_session(context: Context | None) -> str | None:
    """The audit's name for the MCP session of ``context``, None without one (stdio, stateless HTTP): a digest
    of its id, not the id, which lets whoever holds it act in that session and audit://recent shows everyone."""
    try:
        session_id = context.request_context.session._connection.session_id  # type: ignore[union-attr]
    except (AttributeError, ValueError):  # no context, or one outside a request
        return None
    return f"session-{hashlib.sha256(session_id.encode()).hexdigest()[:12]}" if session_id else None


@dataclass
class ServerParts:
    mcp: MCPServer
    get_core: Callable[[], RouterCore]
    live: LiveUpdates
    http: HttpSettings = HttpSettings()  # read when an HTTP app is built (server/http_app.py)


def create_server(
    settings: Settings,
    *,
    core_factory: Callable[[], RouterCore] | None = None,
    live_interval: float | None = 1.0,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> MCPServer:
    """An MCPServer whose lifespan builds one RouterCore per process (per app over HTTP)."""
    return build_server(settings, core_factory=core_factory, live_interval=live_interval,
                        heartbeat_seconds=heartbeat_seconds).mcp


def build_server(
    settings: Settings,
    *,
    core_factory: Callable[[], RouterCore] | None = None,
    live_interval: float | None = 1.0,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> ServerParts:
    holder: dict[str, RouterCore] = {}
    building = threading.Lock()
    bus = InMemorySubscriptionBus()

    def get_core() -> RouterCore:
        if "core" not in holder:
            with building:  # the warm-up thread and a first request may race here
                if "core" not in holder:
                    # (no baseline for change notifications here: the first subscriber takes it)
                    holder["core"] = (core_factory or (lambda: build_core(settings)))()
        return holder["core"]

    live = LiveUpdates(get_core, bus)

    def warm_up() -> None:
        try:
            get_core()
        except RouterError as exc:  # a state dir locked or damaged: its message says what to do; no traceback
            logging.getLogger(__name__).error("building the routing core failed (%s: %s); each request tries again "
                                              "and says why", type(exc).__name__, exc)
        except Exception:  # a failure here would end the lifespan, and every later request got 'Connection closed'
            logging.getLogger(__name__).exception("building the routing core failed; each request tries again "
                                                  "and says why")

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[AppState]:
        state = AppState(get_core=get_core, notify_changed=live.after_change, built=lambda: holder.get("core"),
                         heartbeat_seconds=heartbeat_seconds, stopping=mcp.stopping)
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, warm_up)  # load while the handshake runs
            tg.start_soon(live.announce)  # tools' changes, to subscribers
            if live_interval:
                tg.start_soon(live.run, live_interval)
                tg.start_soon(watch_outages, state)  # probes while no task runs
            try:
                yield state
            finally:
                tg.cancel_scope.cancel()
                # The provider HTTP client is made on the first execution (issue 3), not at start-up.
                client = state.extras.get("http_client")
                if client is not None:
                    await client.aclose()

    mcp = SwitchboardServer(
        "switchboard",
        version=_version(),
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        subscriptions=bus,
        log_level="WARNING",
        described=configured_descriptions(settings.execution),
    )
    register_tools(mcp)
    register_resources(mcp, get_core)
    _register_output_schemas(mcp)
    live.install(mcp)
    logging.getLogger("mcp").setLevel(logging.WARNING)
    return ServerParts(mcp, get_core, live, settings.http)


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
