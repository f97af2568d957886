"""Wrong tokens from one address: past 10 in a minute, its token attempts are answered 429 until the minute ends."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from router_core.clock import FakeClock
from server.app import build_server
from server.http_app import build_http_app
from server.http_auth import COOKIE
from server.token_throttle import FailedTokens

TOKEN = "team-token-0123456789-abcdefXYZ"
WRONG = "team-token-0123456789-abcdefXYQ"
TEAM = "http://switchboard-host.lan:8765"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def bearer(token: str) -> dict[str, str]:
    return {**HEADERS, "Authorization": f"Bearer {token}"}


@pytest.fixture
def throttle_clock() -> FakeClock:
    """The throttle's own clock, apart from the core's (conftest's ``clock``)."""
    return FakeClock()


class From:
    """The app, asked from ``address`` (one TestClient: the MCP session manager runs once per app)."""

    def __init__(self, app) -> None:
        self.app, self.address = app, "203.0.113.5"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "client": (self.address, 50000)}
        await self.app(scope, receive, send)


@pytest.fixture
def app(settings, keyword_core, throttle_clock):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    return From(build_http_app(parts, token=TOKEN, clock=throttle_clock))


@pytest.fixture
def team(app):
    with TestClient(app, base_url=TEAM) as c:
        yield c


def test_ten_wrong_tokens_in_a_minute_make_the_next_attempts_wait_the_minute_out(team, app, throttle_clock,
                                                                                 caplog):
    # Before, an address could send wrong tokens as fast as it liked, each answered 401.
    for _ in range(10):
        assert team.post("/mcp", json=INIT, headers=bearer(WRONG)).status_code == 401
        throttle_clock.advance(1)
    r = team.post("/mcp", json=INIT, headers=bearer(WRONG))
    assert r.status_code == 429 and r.headers["retry-after"] == "50"  # the window began with the first, 10 s ago
    assert "wait 50 s before sending one again" in r.json()["error"]["message"] and WRONG not in r.text
    # The right token waits too: were it checked, a guesser would learn at full speed which guess was right.
    assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 429
    assert [r.getMessage() for r in caplog.records if r.name == "server.token_throttle"] == [
        "10 wrong tokens from 203.0.113.5 within 60 s: its requests with a token are answered 429 for 51 s"]
    app.address = "198.51.100.7"  # another address: as before
    assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 200
    assert team.post("/mcp", json=INIT, headers=bearer(WRONG)).status_code == 401
    app.address = "203.0.113.5"
    throttle_clock.advance(49.5)
    assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 429
    assert team.post("/mcp", json=INIT, headers=bearer(WRONG)).headers["retry-after"] == "1"
    throttle_clock.advance(0.5)
    assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 200


def test_right_tokens_and_requests_without_one_are_not_counted(team, throttle_clock):
    for _ in range(30):
        assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 200
        assert team.post("/mcp", json=INIT, headers=HEADERS).status_code == 401  # an MCP client asking first
        assert team.get("/dashboard").status_code == 401  # the login page
        assert team.get("/dashboard/state.json", headers={"Cookie": f"{COOKIE}=stale"}).status_code == 401
    for _ in range(9):
        assert team.post("/mcp", json=INIT, headers=bearer(WRONG)).status_code == 401
    assert team.post("/mcp", json=INIT, headers=bearer(TOKEN)).status_code == 200


def test_the_login_form_counts_wrong_tokens_and_an_open_dashboard_carries_on(team, app, throttle_clock):
    r = team.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False)
    opened = {"Cookie": r.headers["set-cookie"].split(";")[0]}  # a page opened before the guessing, same address
    team.cookies.clear()
    for _ in range(10):
        assert team.post("/dashboard/login", data={"token": WRONG}, follow_redirects=False).status_code == 401
    page = team.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False)
    assert page.status_code == 429 and page.headers["retry-after"] == "60" and "set-cookie" not in page.headers
    assert "Too many wrong tokens were sent from your address: wait 60 s" in page.text and "<form" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    r = team.get("/dashboard/state.json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 429 and r.text.startswith("Too many wrong tokens")
    assert team.get("/dashboard/state.json", headers=opened).status_code == 200  # the cookie: no guess, not held up
    throttle_clock.advance(60)
    assert team.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303


def test_memory_is_bounded_and_ended_windows_are_forgotten():
    clock = FakeClock()
    throttle = FailedTokens(clock, limit=2, window=60, max_addresses=3)
    for n in range(5):
        throttle.failed(f"192.0.2.{n}")
        throttle.failed(f"192.0.2.{n}")
    assert throttle.tracked == 3
    assert throttle.retry_after("192.0.2.0") is None  # the oldest went first
    assert throttle.retry_after("192.0.2.4") == 60
    clock.advance(60)
    throttle.failed("192.0.2.9")
    assert throttle.tracked == 1 and throttle.retry_after("192.0.2.4") is None


def test_an_ipv6_host_counts_with_its_64_and_a_mapped_ipv4_as_itself():
    throttle = FailedTokens(FakeClock(), limit=2)
    throttle.failed("2001:db8:1:2::1")
    throttle.failed("2001:db8:1:2:ffff::9")  # the same /64: one host picking new addresses
    assert throttle.retry_after("2001:db8:1:2::77") == 60 and throttle.retry_after("2001:db8:1:3::1") is None
    throttle.failed("::ffff:192.0.2.1")
    throttle.failed("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") == 60
    throttle.failed(None)  # no address (a Unix socket): counted as one
    assert throttle.retry_after(None) is None
