"""Signing in to a team server's dashboard (server/http_auth.py): what the login form takes and where it leads."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urljoin, urlsplit

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


def form_action(page_url: str, html: str) -> str:
    """Where the login page's form posts, resolved as the browser resolves it against the page's URL."""
    action = re.search(r"<form method=post action='([^']*)'", html)
    assert action, html
    return urljoin(page_url, unescape(action.group(1)))


def test_the_dashboard_url_s_query_is_kept_through_sign_in(team):
    # Before: the login page's form posted to /dashboard/login and signing in led to /dashboard, so a teammate who
    # opened /dashboard?transport=poll (the page's polling mode, for a proxy that buffers event streams) lost it.
    page_url = f"{TEAM}/dashboard?transport=poll"
    page = team.get(page_url)
    assert page.status_code == 401
    bad = team.post(form_action(page_url, page.text), data={"token": "x" * 20}, follow_redirects=False)
    assert bad.status_code == 401  # a wrong token's page keeps it too
    r = team.post(form_action(str(bad.url), bad.text), data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303
    landed = urlsplit(urljoin(str(r.url), r.headers["location"]))
    assert (landed.netloc, landed.path, landed.query) == ("switchboard-host.lan:8765", "/dashboard", "transport=poll")
    assert team.get(urljoin(str(r.url), r.headers["location"])).status_code == 200


@pytest.mark.parametrize("query", ["next=https://evil.example/", "x=%0d%0aSet-Cookie:%20a=b", "=//evil.example",
                                   "a=1&a=2&b=", "t=%E2%9C%93"])
def test_only_the_dashboard_is_led_to_whatever_the_query(team, query):
    r = team.post(f"/dashboard/login?{query}", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    assert "\r" not in location and "\n" not in location and "set-cookie: a" not in str(r.headers).lower()
    landed = urlsplit(urljoin(str(r.url), location))
    assert (landed.scheme, landed.netloc, landed.path) == ("http", "switchboard-host.lan:8765", "/dashboard")
    assert parse_qsl(landed.query, keep_blank_values=True) == parse_qsl(query, keep_blank_values=True)


def test_the_dashboard_with_a_slash_leads_to_the_login_with_its_query(team):
    # Before: /dashboard/ without the cookie was a plain-text 401, not the way to the login form.
    r = team.get("/dashboard/?transport=poll", follow_redirects=False)
    assert r.status_code == 307 and "set-cookie" not in r.headers
    page_url = urljoin(str(r.url), r.headers["location"])
    assert page_url == f"{TEAM}/dashboard?transport=poll"
    assert "<form" in team.get(page_url).text


def test_signing_in_and_out_under_a_proxy_s_sub_path(settings, keyword_core):
    # A proxy serving the server at https://host/switchboard/ (stripping the prefix). Before, the form posted to
    # /dashboard/login, the sign-in led to /dashboard and the cookie was for Path=/dashboard: all outside it.
    from tests.dashboard.test_dashboard_sign_in_browser import under

    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    app = under("/switchboard", build_http_app(parts, token=TOKEN))
    with TestClient(app, base_url="https://sb.example") as browser:
        page_url = "https://sb.example/switchboard/dashboard?transport=poll"
        login = form_action(page_url, browser.get(page_url).text)
        assert login == "https://sb.example/switchboard/dashboard/login?transport=poll"
        signed_in = browser.post(login, data={"token": TOKEN})
        assert signed_in.status_code == 200 and str(signed_in.url) == page_url
        assert browser.get("https://sb.example/switchboard/dashboard/state.json").status_code == 200
        sign_out = re.search(r'<form method="post" action="([^"]*)"', signed_in.text).group(1)
        out = browser.post(urljoin(page_url, sign_out))
        assert str(out.url) == "https://sb.example/switchboard/dashboard" and out.status_code == 401
        assert COOKIE not in browser.cookies
