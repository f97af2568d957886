"""A team server's dashboard can be signed out of: its cookie stays in the browser until then.

The cookie holds a value derived from the team's token and lasts as long as the browser's session (a browser that
restores its tabs keeps it for ever), so a teammate who opened the dashboard on a shared screen or someone else's
machine had no way to leave it closed to the next person but to clear the browser's cookies by hand.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app
from server.http_auth import COOKIE

TOKEN = "team-token-0123456789-abcdefXYZ"
TEAM = "http://switchboard-host.lan:8765"


def policy_of(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))


def test_a_signed_in_teammate_can_sign_out(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=TOKEN), base_url=TEAM) as browser:
        signed_in = browser.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=True)
        assert signed_in.status_code == 200 and COOKIE in browser.cookies
        # The page offers it, and its policy lets that form post to this server (and nowhere else).
        assert 'action="dashboard/logout"' in signed_in.text  # relative to /dashboard: under a proxy's sub-path too
        assert policy_of(signed_in)["form-action"] == "'self'"

        out = browser.post("/dashboard/logout", follow_redirects=False)

        assert out.status_code == 303 and out.headers["location"] == "../dashboard"
        cleared = out.headers["set-cookie"]  # the cookie the login set: no Path, the browser's default (/dashboard)
        assert cleared.startswith(f"{COOKIE}=") and "Max-Age=0" in cleared and "path=" not in cleared.lower()
        assert COOKIE not in browser.cookies
        again = browser.get("/dashboard")
        assert again.status_code == 401 and "name=token" in again.text  # the login form
        assert browser.get("/dashboard/state.json").status_code == 401


def test_a_dashboard_without_a_token_has_nothing_to_sign_out_of(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=None), base_url="http://127.0.0.1:8765") as browser:
        page = browser.get("/dashboard")
        assert page.status_code == 200 and "dashboard/logout" not in page.text
        assert policy_of(page)["form-action"] == "'none'"
        assert browser.post("/dashboard/logout").status_code in (404, 405)
