"""Stopping the HTTP server (Ctrl-C, SIGTERM): open streams end at once, and nothing waits for ever.

uvicorn waits for every response to finish before it stops, and some never finish: the dashboard's event
stream, a 2026-07-28 client's ``subscriptions/listen`` stream. A server with a dashboard tab open or such
a client connected never stopped on Ctrl-C or SIGTERM (docker stop, systemd), until a SIGKILL cut whatever
it was doing without an audit line. Here a request that carries no work (a GET: the dashboard's stream, a
2025-era session's GET stream; a listen POST) is ended, its response completed, as the server starts
stopping. A tool call in flight, of either protocol era, gets SHUTDOWN_GRACE_SECONDS to answer, then is
cancelled and its response ended (not logged as an ASGI error) with a JSON-RPC error for its request that says
so: a 503 when nothing was sent yet, else an event on its stream (a stream that just ended left the TypeScript
SDK's client, Claude Code's, waiting for the answer until its own tool timeout). A cancelled task is audited as
cancelled (charged at its estimate when a provider call was in flight). The grace stays below docker stop's 10 s.
A run_batch call starts no task once the server stops, and its calls in flight are cut off CUT_BEFORE_SECONDS
before the grace ends, so that it answers with what it has (router_core/execution/stopping.py), not that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import signal
import threading
from collections.abc import Callable

import anyio
from mcp.types import INTERNAL_ERROR
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router_core.execution.stopping import Stopping
from server.stop_signals import stopping_signals

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 5.0
CUT_BEFORE_SECONDS = 1.0  # a batch's answer, cut off then, is sent within the grace
LISTEN = "subscriptions/listen"
PEEK_BYTES = 65536  # a listen request is small; a bigger body is some other request's
STOPPED = (f"Switchboard stopped (Ctrl-C or SIGTERM) while this call ran: it was cancelled {SHUTDOWN_GRACE_SECONDS:g}s "
           "later, and its task is audited as cancelled; call again once the server is back")


class StreamsEndOnShutdown:
    """ASGI wrapper: :meth:`stop` (from the server's shutdown, in its event loop) ends the requests in flight
    that carry no work, and completes any response left unfinished once stopping."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.stopping: asyncio.Event | None = None  # made in the server's loop, by the first request

    def stop(self) -> None:
        if self.stopping is None:
            self.stopping = asyncio.Event()
        self.stopping.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.stopping is None:
            self.stopping = asyncio.Event()
        stopping = self.stopping
        started = complete = streaming = False
        listening = [False]
        body, tail = bytearray(), bytearray()  # the first PEEK_BYTES, the last 256 bytes (for the request's id)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if len(body) <= PEEK_BYTES:
                    body.extend(chunk)
                tail[:] = (tail + chunk)[-256:]
                if not message.get("more_body", False):
                    listening[0] = _is_listen(bytes(body))
            return message

        async def sending(message: Message) -> None:
            nonlocal started, complete, streaming
            if message["type"] == "http.response.start":
                started = True
                streaming = any(name.lower() == b"content-type" and value.startswith(b"text/event-stream")
                                for name, value in message.get("headers", ()))
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        no_work: Callable[[], bool] = (lambda: True) if scope["method"] == "GET" else (lambda: listening[0])
        try:
            await self._ended_on_stop(stopping, no_work, scope, receiving, sending)
        except asyncio.CancelledError:  # uvicorn's, once the grace has passed: the work is cancelled now
            if not stopping.is_set():
                raise
            log.warning("%s %s was still running %gs after the server began stopping: cancelled",
                        scope["method"], scope["path"], SHUTDOWN_GRACE_SECONDS)
        if not stopping.is_set() or complete:
            return
        # A stream ended here, or a request cancelled: the client sees the response end, not a cut connection, and
        # a cancelled call's error.
        request_id = None if no_work() else _request_id(bytes(body), bytes(tail))
        reply = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": {"code": INTERNAL_ERROR, "message": STOPPED}})
        if not started:
            content = b"" if no_work() else reply.encode()
            headers = [(b"content-length", str(len(content)).encode())]
            if content:
                headers.append((b"content-type", b"application/json"))
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": content, "more_body": False})
            return
        if streaming and request_id is not None:
            await send({"type": "http.response.body", "body": f"event: message\r\ndata: {reply}\r\n\r\n".encode(),
                        "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _ended_on_stop(self, stopping: asyncio.Event, no_work: Callable[[], bool], scope: Scope,
                             receive: Receive, send: Send) -> None:
        async def end_on_stop(scope_to_cancel: anyio.CancelScope) -> None:
            await stopping.wait()
            if no_work():
                scope_to_cancel.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(end_on_stop, tg.cancel_scope)
            await self.app(scope, receive, send)
            tg.cancel_scope.cancel()


def _is_listen(body: bytes) -> bool:
    if LISTEN.encode() not in body:  # most bodies: no JSON parsed twice
        return False
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(message, dict) and message.get("method") == LISTEN


_HEAD_ID = re.compile(rb'\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*[,}]')
_TAIL_ID = re.compile(rb',\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*\}\s*$')


def _request_id(head: bytes, tail: bytes) -> int | str | None:
    """The id of the JSON-RPC request whose body begins with ``head`` and ends with ``tail``; None if not found.
    A body past PEEK_BYTES is not parsed: its id is read where clients write it, first member (or after
    "jsonrpc": the Python SDK) or last (the TypeScript SDK), where it can only be the request's own."""
    if len(head) <= PEEK_BYTES:
        try:
            message = json.loads(head)
        except (ValueError, RecursionError):
            return None
        found = message.get("id") if isinstance(message, dict) and "method" in message else None
        return found if isinstance(found, int | str) and not isinstance(found, bool) else None
    match = _HEAD_ID.match(head) or _TAIL_ID.search(tail)
    return json.loads(match.group(1)) if match else None


def server_for(app: ASGIApp, config_kwargs: dict, *, stopping: Stopping | None = None):
    """A uvicorn Server for ``app`` that ends its streams when it starts stopping (see the module), and tells
    ``stopping``: at once, and to cut off CUT_BEFORE_SECONDS before the grace ends."""
    import uvicorn
    from sse_starlette.sse import AppStatus

    # sse-starlette ends every one of its streams on the signal: a 2025-era session's tool call in flight was
    # cut at once. Here its GET stream ends at once (above) and its calls get the grace, as 2026-07-28 ones do.
    AppStatus.disable_automatic_graceful_drain()
    wrapped = StreamsEndOnShutdown(app)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            wrapped.stop()
            if stopping is not None:
                stopping.stop()
                asyncio.get_running_loop().call_later(SHUTDOWN_GRACE_SECONDS - CUT_BEFORE_SECONDS, stopping.cut)
            await super().shutdown(sockets)

        @contextlib.contextmanager
        def capture_signals(self):
            """uvicorn's (SIGINT, SIGTERM), and SIGHUP as SIGTERM (stop_signals.py: a closed terminal killed the
            server where it stood, the calls in flight unaudited)."""
            hup = signal.SIGHUP in stopping_signals() and threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGHUP, self.handle_exit) if hup else None
            try:
                with super().capture_signals():
                    yield
                    # uvicorn raises the signal again once stopped, its default action restored: the server died
                    # of its SIGTERM (-15) where `serve` says it exits 0, and a test could not tell a server that
                    # stopped gracefully from one with no handler. Stopped: exit 0, as run_http and the CLI say.
                    captured = getattr(self, "_captured_signals", None)  # uvicorn's own: a rename fails the tests,
                    if isinstance(captured, list):  # not the server's shutdown
                        captured.clear()
            finally:
                if hup and previous is not None:  # None: a handler set outside Python, which signal() cannot restore
                    signal.signal(signal.SIGHUP, previous)

    return Server(uvicorn.Config(wrapped, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS, **config_kwargs))
