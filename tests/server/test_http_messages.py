"""POSTs the SDK's HTTP transport misreads get a JSON-RPC -32600, the rest reach it unchanged (in process)."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app

HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


@pytest.fixture
def client(settings, keyword_core):
    app = build_http_app(build_server(settings, core_factory=lambda: keyword_core, live_interval=None))
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c


def session(client: TestClient) -> dict[str, str]:
    r = client.post("/mcp", json=INIT, headers=HEADERS)
    headers = {**HEADERS, "Mcp-Session-Id": r.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
    client.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


@pytest.mark.parametrize("body", [[INIT], []])
def test_a_batch_is_an_invalid_request(client, body):
    r = client.post("/mcp", json=body, headers=HEADERS)
    assert r.status_code == 400
    assert r.json()["error"] == {"code": -32600, "message": "Invalid Request: a batch; MCP takes one JSON-RPC "
                                                            "message per POST"}


@pytest.mark.parametrize("request_id", [{"a": 1}, 1.5, [1], True])
def test_a_request_with_a_forbidden_id_is_answered(client, request_id):
    r = client.post("/mcp", json={"jsonrpc": "2.0", "id": request_id, "method": "tools/list"}, headers=session(client))
    assert r.status_code == 400  # not 202 Accepted, as if it were a notification nobody answers
    assert r.json()["error"]["code"] == -32600
    assert "id must be a string or an integer" in r.json()["error"]["message"]


def test_a_wrong_field_names_the_request(client):
    r = client.post("/mcp", json={"jsonrpc": "1.0", "id": 7, "method": "tools/list"}, headers=session(client))
    assert r.status_code == 400
    assert r.json()["id"] == 7
    assert r.json()["error"]["code"] == -32600
    assert "validation error" not in r.text.lower()


def test_the_sdk_still_answers_what_it_reads_well(client):
    headers = session(client)
    assert client.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers).status_code == 200
    assert client.post("/mcp", content=b"{nope", headers=HEADERS).json()["error"]["code"] == -32700
    assert client.post("/mcp", json=[], headers={**HEADERS, "Host": "evil.example"}).status_code == 421
    big = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    assert client.post("/mcp", content=big, headers=HEADERS).status_code == 413


@pytest.mark.parametrize(("headers", "status", "words"), [({"Host": "evil.example"}, 421, "Invalid Host header"),
                                                          ({"Origin": "http://evil.example"}, 403, "Invalid Origin header")])
def test_a_refused_request_is_answered_and_logged_once(client, caplog, headers, status, words):
    # The guard was run here and then again by the SDK, so every DNS-rebinding attempt logged two warnings.
    r = client.post("/mcp", json=INIT, headers={**HEADERS, **headers})
    assert (r.status_code, r.text) == (status, words)
    assert [rec.getMessage().split(":")[0] for rec in caplog.records] == [words]


def test_a_body_over_the_limit_is_a_json_rpc_error_that_says_what_to_do(client):
    # The SDK's 413 was plain text: a Python-SDK client answered a run_batch of twenty 200,000-character tasks
    # (each within the tool's limits) with 'Server returned an error response' and no reason.
    from mcp.types import JSONRPCError, jsonrpc_message_adapter

    headers = session(client)
    tasks = [{"task": "Write unit tests for the parser " + "x" * 190_000} for _ in range(25)]
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "run_batch", "arguments": {"tasks": tasks}}}
    body = json.dumps(call).encode()

    def chunks():  # no Content-Length: the size is found reading
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]

    for content in (body, chunks()):
        r = client.post("/mcp", content=content, headers=headers)
        assert r.status_code == 413
        reply = jsonrpc_message_adapter.validate_json(r.content, by_name=False)
        assert isinstance(reply, JSONRPCError) and reply.error.code == -32600
        assert "at most 4 MiB in one message" in reply.error.message and "several run_batch calls" in reply.error.message
    assert client.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"}, headers=headers).status_code == 200


def test_a_lone_surrogate_in_a_task_is_served_as_over_stdio(client):
    # A host that cuts a string inside an emoji sends half of it ("\ud83d"); the SDK's parser refused the
    # whole POST ('Parse error: unexpected end of hex escape'), where stdio serves it with U+FFFD in its place.
    body = ('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"classify_task",'
            '"arguments":{"task":"Fix the parser \\ud83d (caf\u00e9) \\ud83d\\ude00 crash"}}}').encode()
    r = client.post("/mcp", content=body, headers=session(client))
    assert r.status_code == 200
    data = json.loads(r.text.split("data: ", 1)[1])
    assert data["id"] == 3 and data["result"]["isError"] is False
    assert data["result"]["structuredContent"]["primary_provider"] == "codex"
