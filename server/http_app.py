"""The Starlette app for HTTP serving: the MCP endpoint at /mcp plus the dashboard.

Without a token only requests naming this machine are answered (the SDK's DNS-rebinding guard on /mcp, the
dashboard's own); with one (SWITCHBOARD_HTTP_TOKEN, server/http_auth.py) every request must carry it, and
may name the server by any host, as teammates on other machines do.
"""

from __future__ import annotations

from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from router_core.clock import Clock, SystemClock
from server.app import ServerParts
from server.http_headers import HeadersExplained
from server.http_messages import MalformedMessagesAnswered

MCP_PATH = "/mcp"
# What the server's root says to someone who opened http://HOST:8765/ in a browser or with curl: where things are.
# Relative paths, so a proxy that serves Switchboard under a prefix keeps them right.
ROOT_TEXT = ("Switchboard MCP server.\n"
             "MCP endpoint (Streamable HTTP): /mcp  (e.g. claude mcp add --transport http switchboard http://HOST:PORT/mcp)\n"
             "Dashboard: /dashboard\n")


async def _root(request: Request) -> PlainTextResponse:
    return PlainTextResponse(ROOT_TEXT, headers={"Cache-Control": "no-store"})


def build_http_app(parts: ServerParts, *, token: str | None = None, clock: Clock | None = None) -> ASGIApp:
    """``clock``: what times the wrong-token limit (server/token_throttle.py); the system's by default."""
    # With a token the SDK's Host/Origin guard is off: TokenRequired authenticates and checks Origin instead.
    security = None if token is None else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = parts.mcp.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security,
                                        session_idle_timeout=parts.http.session_idle_timeout_seconds)
    sessions = parts.mcp.session_manager
    for route in app.router.routes:
        if getattr(route, "path", None) == MCP_PATH:
            route.app = endpoint = HeadersExplained(MalformedMessagesAnswered(route.app, sessions), sessions)
    # /mcp/ is /mcp itself. Starlette's redirect_slashes answered it 307 with an absolute URL of the scheme the server
    # saw: http:// behind a TLS proxy, where a client then lost its connection or sent its token in clear. No path
    # gets that redirect now (/dashboard/ has a relative one of its own).
    app.router.routes.append(Route(MCP_PATH + "/", endpoint=endpoint, name="mcp_trailing_slash"))
    app.router.redirect_slashes = False
    app.router.routes.append(Route("/", _root, methods=["GET"], name="root"))  # was a bare 404
    from server.dashboard import dashboard_routes
    from server.dashboard_state import dashboard_state_factory

    state = dashboard_state_factory(parts.get_core)
    app.router.routes.extend(dashboard_routes(state, host_guard=token is None))
    if token is None:
        return app
    from server.http_auth import TokenRequired
    from server.token_throttle import FailedTokens

    return TokenRequired(app, token, FailedTokens(SystemClock() if clock is None else clock))
