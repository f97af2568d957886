"""How an HTTP adapter sends its request (providers._http): through the transport the client picks for the
URL, doing nothing the call does not need, and through the client's own ``send`` when that does more."""

from __future__ import annotations

import gzip
import json
import logging

import httpx
import pytest

from router_core.providers import CompletionRequest, OpenAIResponsesAdapter, _http

OK_BODY = {"model": "m", "output": [], "usage": {"input_tokens": 1, "output_tokens": 1}}


def adapter(client: httpx.AsyncClient, clock, base_url: str = "https://api.openai.com/v1") -> OpenAIResponsesAdapter:
    return OpenAIResponsesAdapter(client=client, base_url=base_url, api_key="k", provider="codex", clock=clock,
                                  default_model="m")


async def test_an_answer_setting_a_cookie_costs_no_cookie_work(clock):
    # Every response went through the client's cookie jar (a urllib request built for it, Set-Cookie or not):
    # 9% of a dispatch's CPU, for cookies no call sends.
    answer = httpx.Response(200, json=OK_BODY, headers={"set-cookie": "__cf_bm=abc; Path=/; Secure"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)) as c:
        assert (await adapter(c, clock).complete(CompletionRequest(prompt="x"))).output_tokens == 1
        assert len(c.cookies.jar) == 0


async def test_each_answered_call_is_logged_for_verbose_without_the_query(clock, caplog):
    # httpx logged "HTTP Request: POST <url>" for --verbose until calls went through the transport.
    caplog.set_level(logging.DEBUG, logger=_http.__name__)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport) as c:
        await adapter(c, clock, "https://gw.example/v1?api-key=secret").complete(CompletionRequest(prompt="x"))
    lines = [r.getMessage() for r in caplog.records if r.name == _http.__name__]
    assert lines == ["codex: POST https://gw.example/v1/responses -> HTTP 200"]


async def test_a_gzip_answer_is_decoded(clock):
    body = gzip.compress(json.dumps(OK_BODY).encode())
    answer = httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(body))
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)) as c:
        assert (await adapter(c, clock).complete(CompletionRequest(prompt="x"))).output_tokens == 1


async def test_credentials_in_the_base_url_are_still_sent_as_basic_auth(clock):
    # A gateway behind https://team:pw@host/v1: the client's send turns them into an Authorization header.
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport) as c:
        await adapter(c, clock, "https://team:pw@gateway.example/v1").complete(CompletionRequest(prompt="x"))
    assert seen[0].headers["authorization"] == httpx.BasicAuth("team", "pw")._auth_header


async def test_a_client_with_event_hooks_still_runs_them(clock):
    hooked: list[int] = []

    async def on_response(response: httpx.Response) -> None:
        hooked.append(response.status_code)

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport, event_hooks={"response": [on_response]}) as c:
        await adapter(c, clock).complete(CompletionRequest(prompt="x"))
    assert hooked == [200]


async def test_a_closed_client_sends_nothing(clock):
    calls: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: calls.append(request) or httpx.Response(200, json=OK_BODY))
    c = httpx.AsyncClient(transport=transport)
    await c.aclose()
    with pytest.raises(RuntimeError, match="client has been closed"):
        await adapter(c, clock).complete(CompletionRequest(prompt="x"))
    assert calls == []


async def test_a_client_with_auth_still_applies_it(clock):
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport, auth=httpx.BasicAuth("u", "p")) as c:
        await adapter(c, clock).complete(CompletionRequest(prompt="x"))
    assert seen[0].headers["authorization"] == httpx.BasicAuth("u", "p")._auth_header


async def test_an_httpx_without_the_transport_pick_sends_through_the_client(clock, monkeypatch):
    # AsyncClient._transport_for_url is private: should an httpx release rename it, calls still go out.
    monkeypatch.setattr(_http, "_PICK_TRANSPORT", "_transport_renamed")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport) as c:
        assert (await adapter(c, clock).complete(CompletionRequest(prompt="x"))).output_tokens == 1
