"""Answer POSTs to the MCP endpoint that the SDK's HTTP transport misreads, as stdio does (server/stdio.py).

The SDK answers a body that is JSON but no JSON-RPC message (a batch array, a wrong field) with -32602
"Invalid params" and pydantic's dump of four union errors, and takes a request whose id JSON-RPC forbids
(an object, a float) for a notification: 202 Accepted, and no answer ever. Here both get HTTP 400 with a
JSON-RPC -32600 "Invalid Request" saying what is wrong. A request the SDK's DNS-rebinding guard refuses is
checked first, with the SDK's own settings, and gets the guard's own answer (so a foreign page learns
nothing new). A body over the SDK's size limit gets its HTTP 413 as a JSON-RPC error that names the limit and
what to do (the SDK's plain text reached a Python-SDK client as 'Server returned an error response': a run_batch
of twenty long tasks was refused over HTTP with no reason). A body that is not UTF-8 gets a -32700 that says so (the
SDK's named a column and no encoding). A body with an escaped lone surrogate (half an emoji) reaches
the SDK with U+FFFD in its place, as over stdio. A client that disconnects before its body ends is not served (the
SDK logged a ClientDisconnect traceback at ERROR). Everything else reaches the SDK unchanged, one that is not JSON too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp.types import INVALID_REQUEST, PARSE_ERROR, jsonrpc_message_adapter
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router_core.inputs import lone_surrogates_replaced

log = logging.getLogger(__name__)


def jsonrpc_error(status: int, code: int, message: str, *, request_id: Any = None, data: Any = None,
                  headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An HTTP answer whose body is a JSON-RPC error: an MCP client's SDK shows its message (a plain-text body
    reached a Python-SDK client as 'Server returned an error response')."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": error}, status, headers=headers)


def invalid_message(data: Any) -> tuple[Any, str] | None:
    """(the id to answer with, what is wrong) when ``data`` (parsed JSON) is no message MCP accepts."""
    if isinstance(data, list):
        return None, "a batch; MCP takes one JSON-RPC message per POST"
    request_id = data.get("id") if isinstance(data, dict) else None
    if request_id is not None and (isinstance(request_id, bool) or not isinstance(request_id, int | str)):
        return None, "the id must be a string or an integer"
    try:
        jsonrpc_message_adapter.validate_python(data, by_name=False)
    except ValidationError:
        return request_id, "not a valid JSON-RPC 2.0 message (jsonrpc \"2.0\", a method or a result, an id)"
    return None


class MalformedMessagesAnswered:
    """ASGI wrapper of the MCP endpoint: see the module docstring."""

    def __init__(self, app: ASGIApp, sessions: StreamableHTTPSessionManager) -> None:
        self.app, self.max_body = app, sessions.max_request_body_size
        self.guard = TransportSecurityMiddleware(sessions.security_settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _json_content(scope):
            return await self.app(scope, receive, send)
        refused = await self.guard.validate_request(Request(scope), is_post=True)
        if refused is not None:  # the SDK's answer, as it would give it (its check logs once; twice before)
            return await refused(scope, receive, send)
        if _declared_size(scope) > self.max_body:
            return await self._too_large(scope, receive, send)
        read: list[Message] = []
        size, complete = 0, False
        while size <= self.max_body:
            message = await receive()
            read.append(message)
            if message["type"] == "http.disconnect":  # gone before its body ended: there is nobody to answer
                log.info("a client disconnected before its request's body ended; not served")
                return
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                complete = True
                break
        if size > self.max_body:
            return await self._too_large(scope, receive, send)
        if complete:
            body = b"".join(m.get("body", b"") for m in read)
            try:
                found = invalid_message(json.loads(body.decode("utf-8")))
            except UnicodeDecodeError as exc:
                return await self._not_utf8(exc, scope, receive, send)
            except (ValueError, RecursionError):
                found = None  # not JSON: the SDK's -32700 says so
            if found is not None:
                request_id, what = found
                return await jsonrpc_error(400, INVALID_REQUEST, f"Invalid Request: {what}", request_id=request_id)(
                    scope, receive, send)

            if b"\\ud" in body or b"\\uD" in body:  # escaped lone surrogates: served, as over stdio
                read, scope = _surrogates_replaced(body, scope)

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await self.app(scope, replay, send)

    async def _not_utf8(self, exc: UnicodeDecodeError, scope: Scope, receive: Receive, send: Send) -> None:
        # The SDK's 'Parse error: invalid unicode code point at line 1 column 104' named no encoding; a host or script
        # that sends Latin-1 or Windows-1252 text (an 'é' as the byte 0xe9) learns here which one MCP expects.
        message = (f"Parse error: the body is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                   "send the JSON-RPC message encoded as UTF-8")
        await jsonrpc_error(400, PARSE_ERROR, message)(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        mib = self.max_body / (1024 * 1024)
        message = (f"Request body too large: this server takes at most {mib:g} MiB in one message; send less in each "
                   "call (a batch's tasks over several run_batch calls, a shorter context)")
        await jsonrpc_error(413, INVALID_REQUEST, message)(scope, receive, send)


def _surrogates_replaced(body: bytes, scope: Scope) -> tuple[list[Message], Scope]:
    """The request as one message whose body has each escaped lone surrogate as U+FFFD, and its scope with the new
    length. A host that cuts a string inside an emoji sends one (``"\\ud83d"``): JSON to JavaScript and Python, but
    the SDK's parser refused the whole message with 'Parse error: unexpected end of hex escape'."""
    # Latin-1 maps each byte to one character and back: the rest of the body, UTF-8 or not, is left as it was.
    fixed = lone_surrogates_replaced(body.decode("latin-1")).encode("latin-1")
    headers = [(k, v) for k, v in scope.get("headers", ()) if k != b"content-length"]
    headers.append((b"content-length", str(len(fixed)).encode()))
    return [{"type": "http.request", "body": fixed, "more_body": False}], {**scope, "headers": headers}


def _declared_size(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server's HTTP parser refuses such a request before it gets here
    return 0


def _json_content(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/json"
    return False
