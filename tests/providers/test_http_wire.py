"""What an HTTP adapter puts on the wire is httpx's own: the request is built without ``httpx.Request(content=...)``'s
per-request work, and that may change no byte sent."""

from __future__ import annotations

import httpx
import pytest

from router_core.providers import CompletionRequest
from router_core.providers._http import _JSON_HEADERS, json_body
from tests.providers.test_base_urls import ADAPTERS


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
@pytest.mark.parametrize("base_url", ["https://api.example/v1", "http://127.0.0.1:8123/v1?x=1", "http://[::1]:9/"])
async def test_the_request_sent_is_the_one_httpx_builds_from_its_headers_and_body(kind, base_url, clock):
    cls, answer = ADAPTERS[kind]
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=answer)

    request = CompletionRequest(prompt="héllo \U0001f600", system_prompt="be brief", max_output_tokens=50)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as c:
        adapter = cls(client=c, base_url=base_url, api_key="k-1", provider="p", clock=clock, default_model="m")
        await adapter.complete(request)
        url, headers, body = adapter._build(request, "m")
        expected = httpx.Request("POST", adapter._url(url)[0], headers={**_JSON_HEADERS, **headers},
                                 content=json_body(body))
    (got,) = sent
    assert got.url == expected.url
    assert got.headers.raw == expected.headers.raw  # the same names, values and order (Host first)
    assert got.content == expected.content
