"""SWITCHBOARD_HTTP_TOKEN: one server for a team. Every request must carry the token; then any Host is fine."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from starlette.testclient import TestClient

from resources.views import effective_config
from server.app import build_server
from server.cli import main
from server.http_app import build_http_app
from server.http_auth import COOKIE, TokenProblem, token_from_env

TOKEN = "team-token-0123456789-abcdefXYZ"
WRONG = "team-token-0123456789-abcdefXYQ"  # same length, last character differs
TEAM = "http://switchboard-host.lan:8765"  # a teammate names the server's machine, not 127.0.0.1
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
AUTH = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


@pytest.fixture
def parts(settings, keyword_core):
    return build_server(settings, core_factory=lambda: keyword_core, live_interval=None)


@pytest.fixture
def team(parts):
    with TestClient(build_http_app(parts, token=TOKEN), base_url=TEAM) as c:
        yield c


def rpc(client: TestClient, headers: dict[str, str], body: dict) -> dict:
    r = client.post("/mcp", json=body, headers=headers)
    assert r.status_code == 200, r.text
    if r.headers["content-type"].startswith("text/event-stream"):
        return json.loads(next(x[5:] for x in r.text.splitlines() if x.startswith("data:")))
    return r.json()


@pytest.mark.parametrize("auth", [None, f"Bearer {WRONG}", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"])
def test_mcp_without_the_right_token_is_401(team, auth):
    headers = HEADERS if auth is None else {**HEADERS, "Authorization": auth}
    r = team.post("/mcp", json=INIT, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <token>" in r.text
    assert TOKEN not in r.text and "mcp-session-id" not in r.headers



def test_an_mcp_client_without_the_token_is_told_why_in_a_json_rpc_error(team):
    # The 401 was plain text, which MCP clients don't show: the Python SDK's answered the teammate's initialize
    # with 'Server returned an error response' and nothing about the token.
    from mcp.types import JSONRPCError, jsonrpc_message_adapter

    for path in ("/mcp", "/.well-known/oauth-protected-resource"):
        r = team.post(path, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {WRONG}"})
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        reply = jsonrpc_message_adapter.validate_json(r.content, by_name=False)
        assert isinstance(reply, JSONRPCError), r.text
        assert "header 'Authorization: Bearer <token>' is not this server's" in reply.error.message
        assert WRONG not in r.text

def test_the_right_token_initializes_and_calls_a_tool_from_another_host(team):
    r = team.post("/mcp", json=INIT, headers=AUTH)
    assert r.status_code == 200, r.text
    session = {**AUTH, "Mcp-Session-Id": r.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
    team.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "classify_task", "arguments": {"task": "Design distributed system architecture"}}}
    result = rpc(team, session, call)["result"]
    assert not result.get("isError"), result
    assert result["structuredContent"]["primary_provider"] == "claude"
    # Without the token, even inside the session, nothing is answered.
    no_token = {k: v for k, v in session.items() if k != "Authorization"}
    assert team.post("/mcp", json={**call, "id": 3}, headers=no_token).status_code == 401


def test_the_bearer_scheme_is_case_insensitive(team):
    assert team.post("/mcp", json=INIT, headers={**HEADERS, "Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_a_page_of_another_origin_is_refused_even_with_the_token(team):
    r = team.post("/mcp", json=INIT, headers={**AUTH, "Origin": "http://evil.example"})
    assert r.status_code == 403
    # Same origin as the Host, or as the proxy's X-Forwarded-Host: fine.
    assert team.post("/mcp", json=INIT, headers={**AUTH, "Origin": TEAM}).status_code == 200
    proxied = {**AUTH, "Origin": "https://switchboard.team.example", "X-Forwarded-Host": "switchboard.team.example"}
    assert team.post("/mcp", json=INIT, headers=proxied).status_code == 200


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/state.json", "/dashboard/events"])
def test_the_dashboard_requires_the_token(team, path):
    r = team.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert team.get(path, headers={"Authorization": f"Bearer {WRONG}"}).status_code == 401


def test_the_dashboard_with_the_bearer_header(team):
    r = team.get("/dashboard/state.json", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert team.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_dashboard_login_form_sets_a_strict_cookie_not_holding_the_token(team):
    page = team.get("/dashboard")
    assert page.status_code == 401 and "<form" in page.text and 'name=token' in page.text
    bad = team.post("/dashboard/login", data={"token": WRONG}, follow_redirects=False)
    assert bad.status_code == 401 and COOKIE not in bad.headers.get("set-cookie", "")
    assert WRONG not in bad.text
    r = team.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "../dashboard"  # relative: /dashboard, under a sub-path too
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    # No Path: the browser's default, the login URL's directory (/dashboard), keeps it to the dashboard.
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "path=" not in cookie.lower()
    assert TOKEN not in cookie
    assert team.get("/dashboard").status_code == 200  # the client keeps the cookie
    assert team.get("/dashboard/state.json").status_code == 200
    # The cookie opens the dashboard only, not the MCP endpoint.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert team.post("/mcp", json=INIT, headers={**HEADERS, "Cookie": f"{COOKIE}={value}"}).status_code == 401


def test_a_login_from_another_origin_is_refused(team):
    r = team.post("/dashboard/login", data={"token": TOKEN}, headers={"Origin": "http://switchboard-host.lan:9999"},
                  follow_redirects=False)
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_the_token_never_reaches_logs_or_answers(team, caplog):
    caplog.set_level(logging.DEBUG)
    answers = [team.post("/mcp", json=INIT, headers={**HEADERS, "Authorization": f"Bearer {WRONG}"}),
               team.post("/mcp", json=INIT, headers=AUTH),
               team.post("/dashboard/login", data={"token": WRONG}),
               team.post("/dashboard/login", data={"token": TOKEN}, follow_redirects=False),
               team.get("/dashboard/state.json", headers={"Authorization": f"Bearer {TOKEN}"})]
    seen = caplog.text + "".join(r.text + json.dumps(dict(r.headers)) for r in answers)
    assert TOKEN not in seen and WRONG not in seen


def test_without_a_token_only_local_names_are_answered_as_before(parts):
    with TestClient(build_http_app(parts), base_url=TEAM) as c:
        assert c.post("/mcp", json=INIT, headers=HEADERS).status_code == 421
        assert c.get("/dashboard").status_code == 421
        # A token sent anyway changes nothing: there is none to check.
        assert c.post("/mcp", json=INIT, headers=AUTH).status_code == 421
    with TestClient(build_http_app(parts), base_url="http://127.0.0.1:8765") as c:
        assert c.post("/mcp", json=INIT, headers=HEADERS).status_code == 200
        assert c.get("/dashboard/state.json").status_code == 200


@pytest.mark.parametrize("value", ["", "short", "x" * 15, "sixteen chars ok", "caf\u00e9-token-0123456789"])
def test_a_weak_or_unsendable_token_is_refused(value):
    with pytest.raises(TokenProblem) as problem:
        token_from_env({"SWITCHBOARD_HTTP_TOKEN": value})
    assert "secrets.token_urlsafe(32)" in str(problem.value)
    if value:
        assert value not in str(problem.value)


def test_a_good_token_or_none():
    assert token_from_env({}) is None
    assert token_from_env({"SWITCHBOARD_HTTP_TOKEN": TOKEN}) == TOKEN


def test_effective_config_masks_the_token(keyword_core):
    shown = effective_config(keyword_core, environ={"SWITCHBOARD_HTTP_TOKEN": TOKEN})
    assert TOKEN not in json.dumps(shown)
    assert shown["environment"]["SWITCHBOARD_HTTP_TOKEN"] == "set (masked)"


# -- the command ----------------------------------------------------------------------------------


def not_served(monkeypatch, served: dict) -> None:
    """``served`` gets what the command would serve (app, host, port); nothing binds or serves."""
    monkeypatch.setattr("server.commands.serve._listening_socket", lambda host, port: socket.socket())
    monkeypatch.setattr("server.commands.serve.serve_app", lambda app, sock, **kw: served.update(app=app, **kw))


def test_serve_refuses_a_short_token_at_start(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN", "hunter2hunter2")
    monkeypatch.setattr("server.commands.serve.serve_app", lambda *a, **k: pytest.fail("served with a weak token"))
    assert main(["serve", "--http", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "SWITCHBOARD_HTTP_TOKEN is 14 characters long" in err and "secrets.token_urlsafe(32)" in err
    assert "hunter2" not in err


def test_serve_with_a_token_beyond_loopback_says_where_without_warning(cli_env, monkeypatch, capsys, caplog):
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN", TOKEN)
    served = {}
    not_served(monkeypatch, served)
    assert main(["serve", "--http", "--host", "0.0.0.0", "--port", "8765"]) == 0
    err = capsys.readouterr().err
    assert served["host"] == "0.0.0.0" and served["port"] == 8765
    assert "no authentication" not in caplog.text and caplog.records == []
    assert "listening on all interfaces" in err and "Authorization: Bearer <token>" in err
    assert TOKEN not in err + caplog.text
    with TestClient(served["app"], base_url=TEAM) as c:  # the app it served asks for the token
        assert c.post("/mcp", json=INIT, headers=HEADERS).status_code == 401
        assert c.post("/mcp", json=INIT, headers=AUTH).status_code == 200


def test_serve_without_a_token_still_warns_beyond_loopback(cli_env, monkeypatch, capsys, caplog):
    monkeypatch.delenv("SWITCHBOARD_HTTP_TOKEN", raising=False)
    served = {}
    not_served(monkeypatch, served)
    assert main(["serve", "--http", "--host", "0.0.0.0", "--port", "8765"]) == 0
    assert "--host 0.0.0.0: the HTTP endpoint has no authentication" in caplog.text
    assert "Bearer" not in capsys.readouterr().err
    with TestClient(served["app"], base_url="http://127.0.0.1:8765") as c:
        assert c.post("/mcp", json=INIT, headers=HEADERS).status_code == 200


def test_the_dashboard_command_honours_the_token(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN", TOKEN)
    served = {}
    not_served(monkeypatch, served)
    assert main(["dashboard", "--no-open", "--port", "8765"]) == 0
    with TestClient(served["app"], base_url="http://127.0.0.1:8765") as c:
        assert c.get("/dashboard/state.json").status_code == 401


def test_a_proxy_naming_the_default_port_is_the_same_site_and_a_bad_port_is_foreign():
    # nginx's `proxy_set_header X-Forwarded-Host $host:$server_port` sends 'sb.example:443' for a page at
    # https://sb.example: the dashboard's login was refused 403 behind it.
    from starlette.datastructures import Headers

    from server.http_auth import foreign_origin

    def headers(**h):
        return Headers({k.replace("_", "-"): v for k, v in h.items()})

    assert not foreign_origin(headers(origin="https://sb.example", host="127.0.0.1:8765",
                                      x_forwarded_host="sb.example:443"))
    assert not foreign_origin(headers(origin="http://sb.example", host="sb.example:80"))
    assert foreign_origin(headers(origin="https://sb.example:8443", host="sb.example"))
    assert foreign_origin(headers(origin="https://evil.example", host="sb.example"))
    assert foreign_origin(headers(origin="https://sb.example", host="sb.example:notaport"))


def test_the_token_may_come_from_a_file(tmp_path):
    # A Docker or systemd secret: the token out of the environment and shell history, with the file's line end.
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    assert token_from_env({"SWITCHBOARD_HTTP_TOKEN_FILE": str(secret)}) == TOKEN


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot be read"), (b"short\n", "5 characters long"), (b"\xff\xfe" * 20, "not text"),
    (b"x" * 5000, "over 4 KiB"),
])
def test_an_unusable_token_file_is_refused_naming_it(tmp_path, content, says):
    secret = tmp_path / "token"
    if content is not None:
        secret.write_bytes(content)
    with pytest.raises(TokenProblem) as problem:
        token_from_env({"SWITCHBOARD_HTTP_TOKEN_FILE": str(secret)})
    assert says in str(problem.value) and str(secret) in str(problem.value)


@pytest.mark.parametrize("path", ["", "  "])
def test_an_empty_token_file_variable_is_refused_not_read_as_no_token(path):
    # SWITCHBOARD_HTTP_TOKEN_FILE= (a compose file's ${TOKEN_FILE} unset, a unit's Environment= line left blank)
    # was read as no token at all: the server started without authentication, where an empty
    # SWITCHBOARD_HTTP_TOKEN is refused.
    with pytest.raises(TokenProblem) as problem:
        token_from_env({"SWITCHBOARD_HTTP_TOKEN_FILE": path})
    assert "SWITCHBOARD_HTTP_TOKEN_FILE is set but empty" in str(problem.value)


def test_a_token_and_a_token_file_together_are_refused(tmp_path):
    with pytest.raises(TokenProblem, match="set one of them"):
        token_from_env({"SWITCHBOARD_HTTP_TOKEN": TOKEN, "SWITCHBOARD_HTTP_TOKEN_FILE": str(tmp_path / "t")})


def test_the_login_page_may_not_be_framed_nor_run_scripts(team):
    # Before, the token form came without X-Frame-Options or a policy: a page could frame it under a decoy.
    for r in (team.get("/dashboard"), team.post("/dashboard/login", data={"token": WRONG})):
        assert r.status_code == 401 and "<form" in r.text
        policy = r.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
        assert "script-src" not in policy  # none runs: default-src 'none' covers scripts
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("base", "headers", "secure"), [
    (TEAM, {}, False),  # plain HTTP on a trusted network: a Secure cookie would never come back
    ("https://switchboard-host.lan", {}, True),
    (TEAM, {"X-Forwarded-Proto": "https"}, True),  # a TLS proxy on another machine (uvicorn trusts 127.0.0.1's only)
    (TEAM, {"X-Forwarded-Proto": "https, http"}, True),
])
def test_the_cookie_is_secure_whenever_the_browser_used_tls(parts, base, headers, secure):
    # Before, behind a TLS proxy on another machine the cookie lacked Secure: a plain http:// visit sent it in clear.
    with TestClient(build_http_app(parts, token=TOKEN), base_url=base) as c:
        r = c.post("/dashboard/login", data={"token": TOKEN}, headers=headers, follow_redirects=False)
    assert r.status_code == 303
    assert ("; secure" in r.headers["set-cookie"].lower()) is secure


@pytest.mark.parametrize(("mode", "warned"), [(0o644, "every user on this machine"), (0o640, "its group"),
                                              (0o600, None), (0o400, None)])
def test_a_token_file_others_can_read_is_warned_of_once_with_the_chmod(cli_env, monkeypatch, tmp_path, capsys,
                                                                       caplog, mode, warned):
    # A token file written with the usual umask (0644) let every user of the machine read the token, unsaid.
    secret = tmp_path / "my token"
    secret.write_text(TOKEN + "\n")
    secret.chmod(mode)
    monkeypatch.delenv("SWITCHBOARD_HTTP_TOKEN", raising=False)
    monkeypatch.setenv("SWITCHBOARD_HTTP_TOKEN_FILE", str(secret))
    not_served(monkeypatch, {})
    assert main(["serve", "--http", "--port", "8765"]) == 0  # served all the same
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if warned is None:
        assert said == []
        return
    assert len(said) == 1 and f"which {warned} can read (mode 0{mode:o})" in said[0]
    assert f"chmod 600 '{secret}'" in said[0] and TOKEN not in said[0]


def test_a_secret_mounted_read_only_or_owned_by_another_user_is_not_warned_of(tmp_path):
    # Docker mounts a secret 0444, Kubernetes 0644, root's and read-only: chmod could not change it.
    from server.http_auth import who_else_may

    secret = tmp_path / "token"
    secret.write_text(TOKEN)
    secret.chmod(0o444)
    st = secret.stat()
    assert who_else_may(st, uid=st.st_uid, read_only=False) == "every user on this machine"
    assert who_else_may(st, uid=st.st_uid, read_only=True) is None
    assert who_else_may(st, uid=st.st_uid + 1, read_only=False) is None
