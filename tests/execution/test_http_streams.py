"""httpcore's streams as http_client leaves them: the pool's check that an idle connection was not closed by the server
(httpcore_patches.readable_without_attribute_maps), and reads and writes without a timeout (socket_io_without_open_deadlines)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
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


@asynccontextmanager
async def _client_to(settings, serve, *args) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """http_client and a URL of a local server, ``serve(listener, *args)``, which runs until the block ends."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(serve, listener, *args)
        async with http_client(settings) as client:
            yield client, f"http://127.0.0.1:{port}/v1/responses"
        tg.cancel_scope.cancel()


async def _post(client: httpx.AsyncClient, url: str) -> int:
    response = await client.post(url, content=b"{}")
    await response.aread()
    return response.status_code


async def test_an_idle_connection_the_server_closed_is_not_reused(settings):
    connections: list[int] = []
    closed: list[int] = []
    async with _client_to(settings, _serve, 1, connections, closed) as (client, url):
        for sent in range(1, 4):
            assert await _post(client, url) == 200
            with anyio.fail_after(10):  # a guard: the server has closed the connection it answered on
                while len(closed) < sent:
                    await anyio.sleep(0.01)
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
    async with _client_to(settings, _serve, 100, connections) as (client, url):
        for _ in range(5):
            assert await _post(client, url) == 200
    assert connections == [5]
    assert len(looked_up) == 1


async def _hang(listener) -> None:
    """Accept connections and never answer."""

    async def handle(stream: SocketStream) -> None:
        async with stream:
            await anyio.sleep_forever()

    async with listener:
        await listener.serve(handle)


async def test_reads_and_writes_without_a_timeout_open_no_cancel_scope(settings, monkeypatch):
    # httpcore wrapped each socket read and write in anyio.fail_after(timeout): for our calls (no read or write
    # timeout: the whole call has one deadline) two context managers and a cancel scope per read and write.
    import httpcore._backends.anyio as backend

    scopes: list[object] = []
    fail_after = backend.anyio.fail_after

    def counted(*args, **kwargs):
        scopes.append(args)
        return fail_after(*args, **kwargs)

    monkeypatch.setattr(backend.anyio, "fail_after", counted)
    connections: list[int] = []
    async with _client_to(settings, _serve, 100, connections) as (client, url):
        response = await client.post(url, content=b"{}", timeout=httpx.Timeout(None, connect=5.0, pool=5.0))
        assert (response.status_code, response.content) == (200, b"{}")
    assert scopes == [(5.0,)]  # the connect's, which has a timeout; none for the reads and writes


async def test_a_read_with_a_timeout_still_times_out(settings):
    async with _client_to(settings, _hang) as (client, url):
        with pytest.raises(httpx.ReadTimeout), anyio.fail_after(10):  # a guard: a read timeout lost waits forever
            await client.post(url, content=b"{}", timeout=httpx.Timeout(5.0, read=0.05))


async def test_a_connection_the_server_drops_mid_answer_is_a_read_error(settings):
    # As httpcore maps it with or without a timeout: the answer's end never comes (RemoteProtocolError), or the
    # socket fails (ReadError); a bare anyio error would escape the adapters' error mapping.
    async def drop(stream: SocketStream) -> None:
        async with stream:
            await stream.receive()
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")

    async def serve(listener) -> None:
        async with listener:
            await listener.serve(drop)

    async with _client_to(settings, serve) as (client, url):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            response = await client.post(url, content=b"{}", timeout=httpx.Timeout(None, connect=5.0, pool=5.0))
            await response.aread()
