"""What an HTTP adapter puts on the wire and how it reads an answer's body are httpx's and json's own: the
request is built without ``httpx.Request(content=...)``'s per-request work and the body parsed by pydantic_core,
and neither may change a byte sent or a value read."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from router_core.providers import CompletionRequest
from router_core.providers._http import _JSON_HEADERS, json_answer, json_body
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


@pytest.mark.parametrize("body", [
    b'{"a": 123456789012345678901234567890, "b": -9223372036854775809}',
    b'{"a": 1e400, "b": -1e400, "c": 5e-324, "d": 0.30000000000000004, "e": 1E5, "f": -0.0, "g": -0}',
    b'{"a": 1, "a": 2}',
    b'{"t": "\\ud83d\\ude00 \\u00e9 \xc3\xa9 \\u0000", "n": null, "b": [true, false]}',
    b'{"lone": "\\ud800"}',  # pydantic_core refuses it; json.loads keeps the lone surrogate
    b'\xef\xbb\xbf{"bom": 1}',  # likewise
    b"[" * 300 + b"]" * 300,  # nesting pydantic_core refuses
    b' {"a": 1} ',
])
def test_an_answer_body_reads_as_json_loads_reads_it(body):
    got, expected = json_answer(body), json.loads(body)
    assert json.dumps(got) == json.dumps(expected)
    assert _types(got) == _types(expected)


def test_an_answer_body_reads_nan_as_json_loads_does():
    assert all(map(math.isnan, (json_answer(b'{"a": NaN}')["a"], json.loads(b'{"a": NaN}')["a"])))


@pytest.mark.parametrize("body", [b"", b"[1,2", b'{"a": 1} x', b'{"a": 01}', b"\xff", b'{"a": "\x01"}'])
def test_a_body_that_is_no_json_fails_as_json_loads_fails(body):
    with pytest.raises(ValueError) as expected:
        json.loads(body)
    with pytest.raises(ValueError) as got:
        json_answer(body)
    assert type(got.value) is type(expected.value)


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


async def test_the_connect_timeout_follows_connect_seconds_after_calls_of_the_same_timeout(clock, monkeypatch):
    # The per-phase timeouts are made once per timeout value; a changed CONNECT_SECONDS (tests/execution/
    # test_http_pool.py lowers it so a starved pool fails at once) must not be hidden by the ones made before it.
    import router_core.providers._http as http

    seen: list[httpx.Request] = []
    cls, answer = ADAPTERS["responses"]
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=answer))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = cls(client=c, base_url="https://api.example/v1", api_key="k", provider="p", clock=clock,
                      default_model="m")
        await adapter.complete(CompletionRequest(prompt="x", timeout=61.0))
        monkeypatch.setattr(http, "CONNECT_SECONDS", 0.5)
        await adapter.complete(CompletionRequest(prompt="x", timeout=61.0))
    assert [r.extensions["timeout"]["connect"] for r in seen] == [10.0, 0.5]
    assert seen[1].extensions["timeout"]["pool"] == 0.5
