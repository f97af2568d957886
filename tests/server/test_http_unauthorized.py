"""What an MCP client without the right token is told (server/http_auth.py): which of its token's problems it has."""

from __future__ import annotations

import html

import pytest
from mcp.types import JSONRPCError, jsonrpc_message_adapter
from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app
from server.http_auth import COOKIE, STALE_COOKIE, cookie_value

TOKEN = "team-token-0123456789-abcdefXYZ"
WRONG = "team-token-0123456789-abcdefXYQ"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


@pytest.fixture
def team(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=TOKEN), base_url="http://switchboard-host.lan:8765") as c:
        yield c


def told(team, authorization: str | None) -> str:
    headers = HEADERS if authorization is None else {**HEADERS, "Authorization": authorization}
    r = team.post("/mcp", json=INIT, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    reply = jsonrpc_message_adapter.validate_json(r.content, by_name=False)
    assert isinstance(reply, JSONRPCError), r.text
    assert TOKEN not in r.text and WRONG not in r.text
    return reply.error.message


def test_a_missing_header_and_a_wrong_token_are_told_apart(team):
    # Before, both were told 'this Switchboard requires its token ... send the header': a teammate whose
    # variable held last month's token was told to send a header it already sent.
    missing, wrong = told(team, None), told(team, f"Bearer {WRONG}")
    assert missing != wrong
    assert "carried none" in missing and "send the header 'Authorization: Bearer <token>'" in missing
    assert "--token-env" in missing and "--header" in missing  # how: install's option, or the host's own
    assert "is not this server's" in wrong and "carried none" not in wrong
    assert "holds the server's current token" in wrong and "restart the client" in wrong


@pytest.mark.parametrize(("authorization", "says"), [
    ("Bearer ", "carried no token"),  # the client's variable is unset or empty: said as such, not as a wrong token
    ("Bearer    ", "carried no token"),
    ("Bearer", "carried no token"),
    (f"Basic {TOKEN}", "is not 'Bearer <token>'"),
    (TOKEN, "is not 'Bearer <token>'"),
    (f"bearer {WRONG}", "is not this server's"),
    (f"Bearer {TOKEN}x", "is not this server's"),
])
def test_each_way_of_sending_a_token_wrongly_is_named(team, authorization, says):
    assert says in told(team, authorization)


def test_the_dashboard_says_the_same_in_plain_text(team):
    r = team.get("/dashboard/state.json", headers={"Authorization": f"Bearer {WRONG}"})
    assert r.status_code == 401 and "is not this server's" in r.text and WRONG not in r.text
    r = team.get("/dashboard/state.json")
    assert r.status_code == 401 and "carried none" in r.text and "Browsers: open the dashboard and sign in" in r.text
    assert "/dashboard" not in r.text  # under a proxy's sub-path (https://host/switchboard/dashboard) not the path


def test_a_dashboard_cookie_of_an_old_token_is_told_to_sign_in_again_not_that_it_sent_none(team):
    # Before: 'the request carried none ... Browsers: open /dashboard and enter it': false for a browser whose
    # cookie the token's change made invalid, and a path a proxy's sub-path puts elsewhere.
    old = cookie_value(WRONG)
    r = team.get("/dashboard/state.json", headers={"Cookie": f"{COOKIE}={old}"})
    assert r.status_code == 401 and "carried none" not in r.text and "/dashboard" not in r.text
    assert "sign-in is no longer valid" in r.text and "token" in r.text and "changed" in r.text
    assert "sign in again" in r.text and old not in r.text
    page = team.get("/dashboard", headers={"Cookie": f"{COOKIE}={old}"})
    assert page.status_code == 401 and "no longer valid" in page.text and "<form" in page.text
    assert "no longer valid" not in team.get("/dashboard").text  # no cookie: the plain form
    # One wording on the form and in plain text (the form had its own, without the variable's name).
    assert r.text == STALE_COOKIE + "\n" and html.escape(STALE_COOKIE) in page.text
