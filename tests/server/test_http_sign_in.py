"""Signing in to a team server's dashboard (server/http_auth.py): what the login form takes and where it leads."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app
from server.http_auth import COOKIE

TOKEN = "team-token-0123456789-abcdefXYZ"
TEAM = "http://switchboard-host.lan:8765"


@pytest.fixture
def team(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=TOKEN), base_url=TEAM) as c:
        yield c


@pytest.mark.parametrize("pasted", [f" {TOKEN}", f"{TOKEN} ", f"{TOKEN}\n", f"\t{TOKEN}\r\n", f"\u00a0{TOKEN}"])
def test_a_token_pasted_with_surrounding_whitespace_signs_in(team, pasted):
    # Before: 401 'That is not this server's token.' for the right token copied with a space or a line end (a
    # terminal's selection, a chat message), while an MCP client's 'Bearer  <token> ' was trimmed. A token never
    # holds whitespace (token_from_env refuses one that does), so trimming takes nothing from it.
    r = team.post("/dashboard/login", data={"token": pasted}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["set-cookie"].startswith(f"{COOKIE}=")
    assert team.get("/dashboard/state.json").status_code == 200


def test_whitespace_inside_the_token_is_still_wrong(team):
    r = team.post("/dashboard/login", data={"token": f"{TOKEN[:8]} {TOKEN[8:]}"}, follow_redirects=False)
    assert r.status_code == 401 and "not this server&#x27;s token" in r.text
