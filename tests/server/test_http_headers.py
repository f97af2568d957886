"""Requests whose MCP headers the SDK can't serve get an answer that says what to do (in process, the ASGI app)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from router_core.settings import HttpSettings
from server.app import build_server
from server.http_app import build_http_app
from tests.server.test_http_messages import HEADERS, INIT, session

SERVED = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def serving(settings, keyword_core, **http) -> TestClient:
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    parts = replace(parts, http=HttpSettings(**http)) if http else parts
    return TestClient(build_http_app(parts), base_url="http://127.0.0.1:8765")


@pytest.fixture
def client(settings, keyword_core):
    with serving(settings, keyword_core) as c:
        yield c


@pytest.mark.parametrize("version", ["1999-01-01", "2099-01-01", "garbage", ""])
def test_an_unsupported_protocol_version_header_is_a_400_naming_the_versions_served(client, version):
    # The SDK took any unknown value for the 2026-07-28 protocol and answered -32602 'params._meta must be an object
    # carrying the required ... envelope keys' (a GET or DELETE: a bare 405), which told nobody what was wrong.
    with_session = session(client)
    for method, headers, body in [("POST", HEADERS, INIT), ("POST", with_session, TOOLS_LIST),
                                  ("GET", {"Accept": "text/event-stream", "Mcp-Session-Id": with_session["Mcp-Session-Id"]}, None),
                                  ("DELETE", {"Mcp-Session-Id": with_session["Mcp-Session-Id"]}, None)]:
        r = client.request(method, "/mcp", json=body, headers={**headers, "Mcp-Protocol-Version": version})
        assert r.status_code == 400, (method, r.text)
        error = r.json()["error"]
        assert error["code"] == -32022  # the spec's UnsupportedProtocolVersionError, whose data a client acts on
        assert error["data"] == {"supported": SERVED, "requested": version}
        assert f"Unsupported protocol version {version!r} in the MCP-Protocol-Version header" in error["message"]
        assert ", ".join(SERVED) in error["message"]
    # The session was not touched: a supported header is served as before.
    assert client.post("/mcp", json=TOOLS_LIST, headers=with_session).status_code == 200


def test_a_foreign_host_is_refused_before_its_version_is_read(client):
    r = client.post("/mcp", json=INIT, headers={**HEADERS, "Host": "evil.example", "Mcp-Protocol-Version": "x"})
    assert (r.status_code, r.text) == (421, "Invalid Host header")


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_a_post_that_is_not_json_says_which_content_type_to_send(client, content_type):
    # The SDK's answer was plain text, 'Invalid Content-Type header': 'Server returned an error response' to a client.
    headers = {k: v for k, v in session(client).items() if k != "Content-Type"}
    if content_type:
        headers["Content-Type"] = content_type
    r = client.post("/mcp", content=b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}', headers=headers)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == -32600
    assert error["message"] == (f"Invalid Content-Type {content_type!r}" if content_type else "No Content-Type") + \
        ": POST one JSON-RPC message with Content-Type: application/json"
    foreign = client.post("/mcp", content=b"{}", headers={**headers, "Host": "evil.example"})
    assert (foreign.status_code, foreign.text) == (421, "Invalid Host header")


def test_an_unknown_session_is_a_404_that_says_why_and_what_to_do(client):
    # The SDK said 'Session not found' and no more; Claude Code shows that on every call instead of initializing again.
    headers = session(client)
    assert client.delete("/mcp", headers=headers).status_code == 200
    for r in (client.post("/mcp", json=TOOLS_LIST, headers=headers),
              client.post("/mcp", json=TOOLS_LIST, headers={**headers, "Mcp-Session-Id": "0" * 32}),
              client.get("/mcp", headers={"Accept": "text/event-stream", "Mcp-Session-Id": "feed"})):
        assert r.status_code == 404  # the spec's signal to initialize again, kept
        assert int(r.headers["content-length"]) == len(r.content)
        error = r.json()["error"]
        assert error["code"] == -32600
        assert error["message"].startswith("Session not found: this Switchboard session has ended: 8 hours passed "
                                           "without a request (the server's http.session_idle_timeout_seconds)")
        assert "send initialize without an Mcp-Session-Id header" in error["message"]
        assert "in Claude Code, run /mcp and reconnect the server" in error["message"]


def test_a_request_without_a_session_says_how_to_open_one(client):
    r = client.post("/mcp", json=TOOLS_LIST, headers=HEADERS)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Bad Request: Missing session ID: this server keeps a session per client: send initialize without an "
        "Mcp-Session-Id header, then the Mcp-Session-Id it answers with on every later request (or speak "
        "2026-07-28, which needs no session)")


def test_a_session_lapses_after_the_configured_idle_time(settings, keyword_core):
    # What really happens after http.session_idle_timeout_seconds (the SDK's 30 minutes before): the session is
    # ended, and its next request gets the 404 that names the configured time.
    with serving(settings, keyword_core, session_idle_timeout_seconds=0.2) as client:
        headers = session(client)
        assert client.post("/mcp", json=TOOLS_LIST, headers=headers).status_code == 200
        deadline = time.monotonic() + 30  # a bound for a loaded machine, not a measurement
        while (r := client.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                                headers=headers)).status_code != 404 and time.monotonic() < deadline:
            time.sleep(0.5)  # longer than the idle time: each request restarts its clock
        assert r.status_code == 404
        assert "0.2 seconds passed without a request" in r.json()["error"]["message"]


def test_the_configured_idle_time_reaches_the_sdk(settings, keyword_core):
    with serving(settings, keyword_core, session_idle_timeout_seconds=600) as client:
        r = client.post("/mcp", json=TOOLS_LIST, headers={**HEADERS, "Mcp-Session-Id": "gone"})
        assert "10 minutes passed without a request" in r.json()["error"]["message"]


def test_a_body_that_is_not_utf8_says_so(client):
    # The SDK's -32700 said 'invalid unicode code point at line 1 column 104' and named no encoding.
    body = ('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"classify_task",'
            '"arguments":{"task":"Fix the caf\u00e9 parser"}}}').encode("latin-1")
    r = client.post("/mcp", content=body, headers=session(client))
    assert r.status_code == 400
    assert r.json()["error"] == {"code": -32700, "message": f"Parse error: the body is not UTF-8 (byte 0xe9 at offset "
                                                            f"{body.index(0xe9)}); send the JSON-RPC message encoded as UTF-8"}


def test_a_client_gone_before_its_body_ends_is_not_served_and_logs_no_traceback(client, caplog):
    # A client killed mid-upload (Ctrl-C on a long run_batch): the SDK read on, got ClientDisconnect, and logged
    # 'Error handling POST request' with its traceback at ERROR.
    messages = [{"type": "http.request", "body": b'{"jsonrpc": "2.0", "id": 1, ', "more_body": True},
                {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(b"host", b"127.0.0.1:8765"), (b"content-type", b"application/json"),
               (b"accept", b"application/json, text/event-stream")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/mcp", "raw_path": b"/mcp", "root_path": "", "query_string": b"", "headers": headers,
             "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 50000)}
    client.portal.call(client.app, scope, receive, send)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sent == []
