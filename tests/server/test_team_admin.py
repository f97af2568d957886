"""A server meant for a team: what its admin is told at start, and what a teammate is told when it has no token.

The token is easily lost on the way to the server (``sudo`` drops the environment, a systemd unit or a new shell
lacks it): the server then serves this machine only, and every teammate naming it gets 421.
"""

from __future__ import annotations

import os
import socket

import pytest
from starlette.testclient import TestClient

from server.app import build_server
from server.cli import main
from server.http_app import build_http_app

TOKEN = "team-token-0123456789-abcdefXYZ"


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


def not_served(monkeypatch, served: dict) -> None:
    """``served`` gets what the command would serve (app, host, port); nothing binds or serves."""
    monkeypatch.setattr("server.commands.serve._listening_socket", lambda host, port: socket.socket())
    monkeypatch.setattr("server.commands.serve.serve_app", lambda app, sock, **kw: served.update(app=app, **kw))


@pytest.mark.parametrize("argv", [["serve", "--http", "--host", "0.0.0.0"], ["dashboard", "--no-open"]], ids=" ".join)
def test_the_admin_is_told_which_state_and_budget_the_server_shares(cli_env, monkeypatch, capsys, argv):
    # Before, start-up said the URL and the token's use only: an admin whose service ran under another account
    # or SWITCHBOARD_HOME than their shell saw the team's spend nowhere (`switchboard budget` read another dir).
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN", TOKEN)
    (cli_env / ".switchboard.toml").write_text('classifier = "keywords"\n[budget]\ndaily_total = 25.0\n'
                                               '[budget.allocation]\ncodex = 5.0\ngemini = 10.0\nclaude = 10.0\n')
    not_served(monkeypatch, {})

    assert main(argv) == 0

    err = capsys.readouterr().err
    state_dir = os.environ["SWITCHBOARD_HOME"]
    assert f"state dir {state_dir} " in err and "daily budget $25.00 (UTC)" in err
    # the total is the configuration's, not the state dir's: `switchboard budget` with the dir alone showed $100
    assert "run `switchboard budget` with this state dir and configuration" in err
    assert str(cli_env / ".switchboard.toml") in err and TOKEN not in err


def test_a_token_from_a_file_is_not_said_to_be_the_variables_value(cli_env, monkeypatch, capsys):
    # Before: "(the value of SWITCHBOARD_HTTP_TOKEN)", a variable the admin had not set.
    path = cli_env / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    monkeypatch.delenv("SWITCHBOARD_HTTP_TOKEN", raising=False)
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN_FILE", str(path))
    not_served(monkeypatch, {})

    assert main(["serve", "--http", "--host", "0.0.0.0"]) == 0

    err = capsys.readouterr().err
    assert "the token in the file SWITCHBOARD_HTTP_TOKEN_FILE names" in err
    assert "the value of SWITCHBOARD_HTTP_TOKEN" not in err and TOKEN not in err
