"""Answers that say what to do, for requests to the MCP endpoint whose headers the SDK can't serve.

* An ``MCP-Protocol-Version`` header naming no version the SDK serves (``1999-01-01``, ``garbage``, empty): the
  SDK took any such value for the stateless 2026-07-28 protocol and answered -32602 "params._meta must be an
  object carrying the required 'io.modelcontextprotocol/protocolVersion' and ... envelope keys", on a GET or
  DELETE a bare 405. The spec (basic/transports, "Protocol Version Header") wants 400 Bad Request; the body here
  is 2026-07-28's UnsupportedProtocolVersionError (-32022, ``data: {supported, requested}``), whose ``supported``
  lists every version served, handshake ones too, so an SDK client picks one and retries or falls back to
  ``initialize``, and the message names them for a person.
* A POST whose Content-Type is not JSON: the SDK's plain-text 'Invalid Content-Type header' reached a Python-SDK
  client as 'Server returned an error response'; here it is a JSON-RPC error naming the type to send.
* A session id the server no longer knows (404, the spec's signal to initialize again) and a request without
  one (400): the SDK said only "Session not found" and "Bad Request: Missing session ID". Here the 404 keeps its
  status and code and says why a session ends (idle for ``http.session_idle_timeout_seconds``, a restart) and
  what to do, for the hosts that show it instead of starting a new session (Claude Code); the 400 says how a
  session is opened.

The SDK's DNS-rebinding guard is asked first, with its own settings, so a foreign page learns nothing new.
"""

from __future__ import annotations

import json

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp.types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http_messages import jsonrpc_error

SUPPORTED = tuple(SUPPORTED_PROTOCOL_VERSIONS)
_SDK_SESSION_NOT_FOUND = "Session not found"
_SDK_NO_SESSION = "Bad Request: Missing session ID"
_HOW_TO_OPEN = ("send initialize without an Mcp-Session-Id header, then the Mcp-Session-Id it answers with on every "
                "later request")


def unsupported_version(requested: str) -> JSONResponse:
    """The answer to an ``MCP-Protocol-Version`` header this server does not serve."""
    shown = requested if len(requested) <= 40 else requested[:40] + "..."
    message = (f"Unsupported protocol version {shown!r} in the MCP-Protocol-Version header: Switchboard serves "
               f"{', '.join(SUPPORTED)}. Send the version initialize agreed on (2025-era clients), 2026-07-28 with "
               "its _meta on each request, or no header; a client that sends another needs an update")
    data = {"supported": list(SUPPORTED), "requested": requested}
    return jsonrpc_error(400, UNSUPPORTED_PROTOCOL_VERSION, message, data=data)


def session_not_found(idle_seconds: float | None) -> str:
    idle = (f"{_duration(idle_seconds)} passed without a request (the server's http.session_idle_timeout_seconds), "
            if idle_seconds else "")
    return (f"Session not found: this Switchboard session has ended: {idle}the server restarted, or the client "
            f"closed it. Start a new one: {_HOW_TO_OPEN}. MCP clients should do so on this 404; in Claude Code, run "
            "/mcp and reconnect the server")


class HeadersExplained:
    """ASGI wrapper of the MCP endpoint: see the module docstring."""

    def __init__(self, app: ASGIApp, sessions: StreamableHTTPSessionManager) -> None:
        self.app, self.idle = app, sessions.session_idle_timeout
        self.guard = TransportSecurityMiddleware(sessions.security_settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        version = _header(scope, b"mcp-protocol-version")
        post = scope["method"] == "POST"
        wrong_type = post and not _header(scope, b"content-type", "").lower().startswith("application/json")
        if (version is not None and version not in SUPPORTED) or wrong_type:
            refused = await self.guard.validate_request(Request(scope))  # Host and Origin only
            if refused is not None:
                return await refused(scope, receive, send)
            if version is not None and version not in SUPPORTED:
                return await unsupported_version(version)(scope, receive, send)
            given = _header(scope, b"content-type")
            message = (f"Invalid Content-Type {given!r}" if given else "No Content-Type") + \
                ": POST one JSON-RPC message with Content-Type: application/json"
            return await jsonrpc_error(400, INVALID_REQUEST, message)(scope, receive, send)
        await self.app(scope, receive, _explaining(send, self.idle))


def _explaining(send: Send, idle: float | None) -> Send:
    """``send`` with the SDK's two session errors (a JSON body, sent whole) given a message that says what to do."""
    held: Message | None = None

    async def sending(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start" and message["status"] in (400, 404):
            held = message
            return
        if held is None or message["type"] != "http.response.body":
            return await send(message)
        start, held = held, None
        body = message.get("body", b"")
        if not message.get("more_body", False):
            body = _explained(body, idle)
            headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
            start = {**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
            message = {**message, "body": body}
        await send(start)
        await send(message)

    return sending


def _explained(body: bytes, idle: float | None) -> bytes:
    try:
        reply = json.loads(body)
        said = reply["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return body
    if said == _SDK_SESSION_NOT_FOUND:
        reply["error"]["message"] = session_not_found(idle)
    elif said == _SDK_NO_SESSION:
        reply["error"]["message"] = (f"Bad Request: Missing session ID: this server keeps a session per client: "
                                     f"{_HOW_TO_OPEN} (or speak 2026-07-28, which needs no session)")
    else:
        return body
    return json.dumps(reply, separators=(",", ":")).encode()


def _duration(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def _header(scope: Scope, name: bytes, default: str | None = None) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return default
