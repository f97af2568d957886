"""/mcp/ and /dashboard/: a trailing slash reaches the same endpoint, with no absolute http:// redirect.

Behind a proxy that terminates TLS, Starlette's own redirect (307 to http://HOST/mcp, built from the scheme the
server saw) sent a client configured with https://HOST/mcp/ to plain http: refused, or its token sent in clear.
"""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app

TOKEN = "team-token-0123456789-abcdefXYZ"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
AUTH = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
# What a TLS proxy on another machine forwards: uvicorn does not trust its X-Forwarded-Proto, so the scheme is http.
PROXIED = "http://switchboard-host.lan:8765"


@pytest.fixture
def parts(settings, keyword_core):
    return build_server(settings, core_factory=lambda: keyword_core, live_interval=None)


def rpc_result(r) -> dict:
    assert r.status_code == 200, (r.status_code, r.headers, r.text)
    if r.headers["content-type"].startswith("text/event-stream"):
        return json.loads(next(x[5:] for x in r.text.splitlines() if x.startswith("data:")))
    return r.json()


def test_mcp_with_a_trailing_slash_is_the_endpoint_itself(parts):
    with TestClient(build_http_app(parts, token=TOKEN), base_url=PROXIED) as c:
        r = c.post("/mcp/", json=INIT, headers={**AUTH, "X-Forwarded-Proto": "https"}, follow_redirects=False)
        assert rpc_result(r)["result"]["serverInfo"]["name"]
        session = {**AUTH, "Mcp-Session-Id": r.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
        listed = c.post("/mcp/", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=session)
        assert "dispatch_agent" in {t["name"] for t in rpc_result(listed)["result"]["tools"]}
        # Still guarded: without the token it is the same 401 as /mcp's.
        assert c.post("/mcp/", json=INIT, headers=HEADERS, follow_redirects=False).status_code == 401


def test_mcp_with_a_trailing_slash_without_a_token_keeps_the_local_only_guard(parts):
    with TestClient(build_http_app(parts), base_url="http://127.0.0.1:8765") as c:
        assert rpc_result(c.post("/mcp/", json=INIT, headers=HEADERS, follow_redirects=False))["result"]
    with TestClient(build_http_app(parts), base_url=PROXIED) as c:
        assert c.post("/mcp/", json=INIT, headers=HEADERS, follow_redirects=False).status_code == 421


def test_the_dashboard_with_a_trailing_slash_redirects_relatively(parts):
    with TestClient(build_http_app(parts, token=TOKEN), base_url=PROXIED) as c:
        c.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False)
        r = c.get("/dashboard/?transport=poll", follow_redirects=False)
        assert r.status_code in (307, 308)
        assert r.headers["location"] == "../dashboard?transport=poll"  # the browser keeps its https://
        assert c.get("/dashboard/", follow_redirects=True).url.path == "/dashboard"


@pytest.mark.parametrize("path", ["/dashboard/state.json/", "/dashboard/events/", "/nowhere/"])
def test_no_path_is_redirected_to_an_absolute_url(parts, path):
    with TestClient(build_http_app(parts, token=TOKEN), base_url=PROXIED) as c:
        r = c.get(path, headers={"Authorization": f"Bearer {TOKEN}"}, follow_redirects=False)
        assert not r.headers.get("location", "").startswith("http"), r.headers


def test_the_root_says_where_the_mcp_endpoint_and_the_dashboard_are(parts):
    # GET / was a bare 404: someone who opened the server's address in a browser learnt nothing.
    with TestClient(build_http_app(parts), base_url="http://127.0.0.1:8765") as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 200 and "/mcp" in r.text and "/dashboard" in r.text
    with TestClient(build_http_app(parts, token=TOKEN), base_url=PROXIED) as c:
        assert c.get("/", follow_redirects=False).status_code == 401  # a token server guards it as it guards all
        assert "/dashboard" in c.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).text
