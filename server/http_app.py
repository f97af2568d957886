"""The Starlette app for HTTP serving: the MCP endpoint at /mcp plus the dashboard."""

from __future__ import annotations

from starlette.applications import Starlette

from server.app import ServerParts


def build_http_app(parts: ServerParts) -> Starlette:
    app = parts.mcp.streamable_http_app()
    try:
        from server.dashboard import dashboard_routes
        from server.dashboard_state import dashboard_state_factory
    except ImportError:  # the dashboard ships with issue 5's work; MCP serving doesn't need it
        return app
    for route in dashboard_routes(dashboard_state_factory(parts.get_core)):
        app.router.routes.append(route)
    return app
