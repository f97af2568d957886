"""The Starlette app for HTTP serving: the MCP endpoint at /mcp plus the dashboard."""

from __future__ import annotations

from starlette.applications import Starlette

from server.app import ServerParts
from server.http_messages import MalformedMessagesAnswered

MCP_PATH = "/mcp"


def build_http_app(parts: ServerParts) -> Starlette:
    app = parts.mcp.streamable_http_app(streamable_http_path=MCP_PATH)
    for route in app.router.routes:
        if getattr(route, "path", None) == MCP_PATH:
            route.app = MalformedMessagesAnswered(route.app, parts.mcp.session_manager)
    try:
        from server.dashboard import dashboard_routes
        from server.dashboard_state import dashboard_state_factory
    except ImportError:  # the dashboard ships with issue 5's work; MCP serving doesn't need it
        return app
    for route in dashboard_routes(dashboard_state_factory(parts.get_core)):
        app.router.routes.append(route)
    return app
