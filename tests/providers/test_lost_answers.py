"""A call whose answer was lost may be billed only if the provider got it: the stage at which it failed decides."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest

from router_core.clock import SystemClock
from router_core.errors import ProviderUnavailable, RateLimited
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter


def adapter(client: httpx.AsyncClient, base_url: str = "http://gw") -> OpenAIResponsesAdapter:
    return OpenAIResponsesAdapter(client=client, base_url=base_url, api_key="k", provider="codex",
                                  clock=SystemClock(), default_model="gpt-5.1-codex")


class _BrokenBody(httpx.AsyncByteStream):
    async def __aiter__(self):
        yield b'{"id": "resp_1", "output": ['
        raise httpx.ReadError("connection reset by peer")


async def failure(handler) -> ProviderUnavailable:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderUnavailable) as caught:
            await adapter(client).complete(CompletionRequest(prompt="x"))
    return caught.value


async def test_an_answer_cut_while_it_was_read_may_be_billed():
    error = await failure(lambda request: httpx.Response(200, stream=_BrokenBody()))
    assert error.maybe_billed and "ReadError" in str(error)


async def test_an_error_response_cut_or_undecodable_is_not_billed():
    # A gateway's 503 with a broken gzip body was charged at the estimate on every retry.
    error = await failure(lambda request: httpx.Response(503, headers={"content-encoding": "gzip"},
                                                         stream=httpx.ByteStream(b"<html>Unavailable</html>")))
    assert not error.maybe_billed, str(error)
    assert error.status_code == 503  # mapped by its status, not as an unreachable host
    assert not (await failure(lambda request: httpx.Response(503, stream=_BrokenBody()))).maybe_billed


async def test_a_429_whose_body_cannot_be_read_is_still_a_rate_limit_with_its_retry_after():
    # It was "unreachable": retried on the usual backoff, its Retry-After and the hold it asks for ignored.
    def limited(request):
        return httpx.Response(429, headers={"content-encoding": "gzip", "retry-after": "7"},
                              stream=httpx.ByteStream(b"not gzip"))

    async with httpx.AsyncClient(transport=httpx.MockTransport(limited)) as client:
        with pytest.raises(RateLimited) as caught:
            await adapter(client).complete(CompletionRequest(prompt="x"))
    assert caught.value.retry_after == 7.0


async def test_a_proxy_that_drops_the_connection_charges_nothing():
    # "Server disconnected without sending a response": the request never reached the provider.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def drop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    threading.Thread(target=drop, daemon=True).start()
    try:
        async with httpx.AsyncClient(proxy=f"http://127.0.0.1:{server.getsockname()[1]}") as client:
            with pytest.raises(ProviderUnavailable) as caught:
                await adapter(client, "https://api.openai.com").complete(CompletionRequest(prompt="x"))
    finally:
        server.close()
    assert not caught.value.maybe_billed, str(caught.value)


async def test_a_host_that_never_accepts_the_connection_is_not_billed():
    # The whole-call deadline won the race against the connect timeout (both were the deadline), so a blackholed
    # host was "timed out (the whole call)" and charged at the estimate on every retry and probe.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):  # fill the accept queue: the next connection's SYN is dropped
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        async with httpx.AsyncClient() as client:
            with pytest.raises(ProviderUnavailable) as caught:
                await adapter(client, f"http://127.0.0.1:{port}").complete(CompletionRequest(prompt="x", timeout=0.5))
    finally:
        server.close()
        for filler in fillers:
            filler.close()
    assert not caught.value.maybe_billed, str(caught.value)
