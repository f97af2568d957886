"""The process's HTTP client (adapters.http_client) against the fake server: its pool is never what fails a call."""

from __future__ import annotations

import anyio

import router_core.providers._http as http
from router_core.batch_limits import MAX_BATCH_PARALLEL
from router_core.execution.adapters import build_adapters, http_client
from router_core.providers.base import CompletionRequest
from tests.execution.fakes import fake_environ
from tests.fakes.fake_provider import Fault


async def test_a_batch_at_its_widest_leaves_room_for_another_request(settings, clock, fake, monkeypatch):
    # A batch at parallel 64 (or several smaller ones, dispatches beside them on one server) filled the pool of
    # 64 connections: any other request of the process (an outage probe, another session's task) waited for a
    # connection, then failed as "codex timed out after 2m00s (PoolTimeout)", a ProviderUnavailable that counts
    # towards codex's outage circuit (shared by every process), though codex was never asked.
    fake.script("gemini", [Fault.hang(30)] * MAX_BATCH_PARALLEL)  # answered when the fake closes
    request = CompletionRequest(prompt="Fix the bug in the data loader", max_output_tokens=20, timeout=60.0)
    async with http_client(settings) as client:
        adapters = build_adapters(settings, client=client, clock=clock, environ=fake_environ(fake), which=lambda _: None)
        async with anyio.create_task_group() as tg:
            for _ in range(MAX_BATCH_PARALLEL):
                tg.start_soon(adapters["gemini"].complete, request)
            with anyio.fail_after(30):  # a guard, not a measure
                while fake.stats("gemini").in_flight < MAX_BATCH_PARALLEL:
                    await anyio.sleep(0.01)
            # The pool's wait cut short only now, so the old code fails at once: set before the batch, it bounded
            # each of the 64 connects made together too, which took longer than that on a loaded machine.
            monkeypatch.setattr(http, "CONNECT_SECONDS", 1.0)
            answer = await adapters["codex"].complete(request)
            tg.cancel_scope.cancel()
    assert answer.text.startswith("codex fake answer to: Fix the bug")
    assert fake.stats("codex").requests == 1


async def test_requests_started_together_each_take_a_free_connection_at_the_first_try(settings, clock, fake, monkeypatch):
    # httpcore's connection locks yielded even when free: a request handed an idle connection yielded before
    # marking it busy, each request started meanwhile was handed the same one, and all but one found it busy
    # (ConnectionNotAvailable inside httpcore) and ran the pool's assignment again, checking every connection.
    import httpcore
    from httpcore._async.connection import AsyncHTTPConnection

    refused: list[object] = []
    send = AsyncHTTPConnection.handle_async_request

    async def counted(self, request):
        try:
            return await send(self, request)
        except httpcore.ConnectionNotAvailable:
            refused.append(request)
            raise

    monkeypatch.setattr(AsyncHTTPConnection, "handle_async_request", counted)
    request = CompletionRequest(prompt="Fix the bug in the data loader", max_output_tokens=20, timeout=60.0)
    async with http_client(settings) as client:
        adapters = build_adapters(settings, client=client, clock=clock, environ=fake_environ(fake), which=lambda _: None)
        for _ in range(2):  # the second wave finds the first's eight connections idle in the pool
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(adapters["codex"].complete, request)
    assert fake.stats("codex").requests == 16
    assert refused == []
