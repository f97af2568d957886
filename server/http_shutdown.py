"""Stopping the HTTP server (Ctrl-C, SIGTERM): open streams end at once, and nothing waits for ever.

uvicorn waits for every response to finish before it stops, and the dashboard's event stream never
finishes: a server with a dashboard tab open never stopped on Ctrl-C or SIGTERM (docker stop, systemd), until
a SIGKILL cut whatever it was doing without an audit line. Here a GET in flight (the dashboard's stream, an
MCP client's GET stream; a GET carries no work) is ended, its response completed, as the server starts
stopping. The SDK's own event streams, tool calls' included, end then too (sse-starlette watches for the
signal), and their tool calls are cancelled when the app stops; a tool call answered in plain JSON (the
2026-07-28 protocol) gets SHUTDOWN_GRACE_SECONDS to finish. A cancelled task is audited as cancelled
(charged at its estimate when a provider call was in flight). The grace stays below docker stop's 10 s.
"""

from __future__ import annotations

import asyncio

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SHUTDOWN_GRACE_SECONDS = 5.0


class StreamsEndOnShutdown:
    """ASGI wrapper: :meth:`stop` (from the server's shutdown, in its event loop) ends the GETs in flight,
    and completes any response left unfinished once stopping."""

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

        async def sending(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        if scope["method"] == "GET":
            await self._ended_on_stop(stopping, scope, receive, sending)
        else:
            await self.app(scope, receive, sending)
        # A stream ended here, or a tool call whose answer the SDK gave up on when it was cancelled: the
        # client sees the response end rather than a cut connection (and uvicorn logs no error).
        if not stopping.is_set() or complete:
            return
        if not started:
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _ended_on_stop(self, stopping: asyncio.Event, scope: Scope, receive: Receive, send: Send) -> None:
        async def end_on_stop(scope_to_cancel: anyio.CancelScope) -> None:
            await stopping.wait()
            scope_to_cancel.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(end_on_stop, tg.cancel_scope)
            await self.app(scope, receive, send)
            tg.cancel_scope.cancel()


def server_for(app: ASGIApp, config_kwargs: dict):
    """A uvicorn Server for ``app`` that ends its streams when it starts stopping (see the module)."""
    import uvicorn

    wrapped = StreamsEndOnShutdown(app)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            wrapped.stop()
            await super().shutdown(sockets)

    return Server(uvicorn.Config(wrapped, timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS, **config_kwargs))
