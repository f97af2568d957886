"""Stopping the HTTP server (Ctrl-C, SIGTERM): open streams end at once, and nothing waits for ever.

uvicorn waits for every response to finish before it stops, and some never finish: the dashboard's event
stream, a 2026-07-28 client's ``subscriptions/listen`` stream. A server with a dashboard tab open or such
a client connected never stopped on Ctrl-C or SIGTERM (docker stop, systemd), until a SIGKILL cut whatever
it was doing without an audit line. Here a request that carries no work (a GET: the dashboard's stream, a
2025-era session's GET stream; a listen POST) is ended, its response completed, as the server starts
stopping. A tool call in flight, of either protocol era, gets SHUTDOWN_GRACE_SECONDS to answer, then is
cancelled and its response ended (not logged as an ASGI error). A cancelled task is audited as cancelled
(charged at its estimate when a provider call was in flight). The grace stays below docker stop's 10 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 5.0
LISTEN = "subscriptions/listen"
PEEK_BYTES = 65536  # a listen request is small; a bigger body is some other request's


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
        started = complete = False
        listening = [False]
        body = bytearray()

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= PEEK_BYTES:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    listening[0] = _is_listen(bytes(body))
            return message

        async def sending(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
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
        # A stream ended here, or a request cancelled: the client sees the response end, not a cut connection.
        if not started:
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
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


def server_for(app: ASGIApp, config_kwargs: dict):
    """A uvicorn Server for ``app`` that ends its streams when it starts stopping (see the module)."""
    import uvicorn
    from sse_starlette.sse import AppStatus

    # sse-starlette ends every one of its streams on the signal: a 2025-era session's tool call in flight was
    # cut at once. Here its GET stream ends at once (above) and its calls get the grace, as 2026-07-28 ones do.
    AppStatus.disable_automatic_graceful_drain()
    wrapped = StreamsEndOnShutdown(app)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            wrapped.stop()
            await super().shutdown(sockets)

    return Server(uvicorn.Config(wrapped, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS, **config_kwargs))
