"""A server meant for a team, started without its token: what the admin and a teammate are told.

The token is easily lost on the way to the server (``sudo`` drops the environment, a systemd unit or a new shell
lacks it): the server then serves this machine only, and every teammate naming it gets 421.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from server.app import build_server
from server.http_app import build_http_app


def test_a_wide_bind_without_a_token_tells_the_admin_how_to_serve_the_team(caplog):
    # Before, the warning said only that anyone could use the endpoint: an admin who meant to serve a team
    # (and whose teammates all got 421 Invalid Host header) was not told the token was missing.
    from server.commands.serve import _check_host

    _check_host("0.0.0.0")

    said = caplog.text
    assert "--host 0.0.0.0: the HTTP endpoint has no authentication" in said
    assert "SWITCHBOARD_HTTP_TOKEN" in said
    assert "other machines" in said and "421" in said


def test_a_teammate_opening_the_dashboard_of_a_server_without_a_token_is_told_why(settings, keyword_core):
    # Before: 'Host not allowed: open the dashboard at http://127.0.0.1:<port>/dashboard', which on the
    # teammate's machine is their own machine.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=None), base_url="http://switchboard-host.lan:8765") as c:
        r = c.get("/dashboard")

    assert r.status_code == 421
    assert "this machine" in r.text and "SWITCHBOARD_HTTP_TOKEN" in r.text
