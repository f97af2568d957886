"""The pool's check that an idle connection was not closed by the server (adapters.readable_without_attribute_maps)."""

from __future__ import annotations

import anyio
import httpx
from anyio.abc import SocketStream

from router_core.execution.adapters import http_client

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


async def _serve(listener, closes_after: int, connections: list[int], closed: list[int] | None = None) -> None:
    """Answer requests on each connection; close a connection after ``closes_after`` answers (server side), noted in
    ``closed``."""

    async def handle(stream: SocketStream) -> None:
        connections.append(0)
        try:
            await _answer(stream, closes_after, connections)
        finally:
            if closed is not None:
                closed.append(1)

    async with listener:
        await listener.serve(handle)


async def _answer(stream: SocketStream, closes_after: int, connections: list[int]) -> None:
    at = len(connections) - 1  # this connection's count of answers
    async with stream:
        buffer = b""
        while connections[at] < closes_after:
            try:
                buffer += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return
            while b"\r\n\r\n" in buffer and connections[at] < closes_after:
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                await stream.send(ANSWER)
                connections[at] += 1


async def _post(client: httpx.AsyncClient, url: str) -> int:
    response = await client.post(url, content=b"{}")
    await response.aread()
    return response.status_code


async def test_an_idle_connection_the_server_closed_is_not_reused(settings):
    connections: list[int] = []
    closed: list[int] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_serve, listener, 1, connections, closed)
        async with http_client(settings) as client:
            url = f"http://127.0.0.1:{port}/v1/responses"
            for sent in range(1, 4):
                assert await _post(client, url) == 200
                with anyio.fail_after(10):  # a guard: the server has closed the connection it answered on
                    while len(closed) < sent:
                        await anyio.sleep(0.01)
        tg.cancel_scope.cancel()
    assert connections == [1, 1, 1]  # each request on a new connection, none sent into a closed one


async def test_the_socket_of_a_pooled_connection_is_looked_up_once(settings, monkeypatch):
    # The pool asks each idle connection whether the server closed it, twice a request; httpcore found the socket
    # through anyio's attribute map each time, which anyio builds whole (a getpeername) for each look-up.
    from anyio._core._typedattr import TypedAttributeProvider

    looked_up: list[object] = []
    extra = TypedAttributeProvider.extra

    def counted(self, attribute, *default):
        if attribute is anyio.abc.SocketAttribute.raw_socket:
            looked_up.append(attribute)
        return extra(self, attribute, *default)

    monkeypatch.setattr(TypedAttributeProvider, "extra", counted)
    connections: list[int] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_serve, listener, 100, connections)
        async with http_client(settings) as client:
            url = f"http://127.0.0.1:{port}/v1/responses"
            for _ in range(5):
                assert await _post(client, url) == 200
        tg.cancel_scope.cancel()
    assert connections == [5]
    assert len(looked_up) == 1
