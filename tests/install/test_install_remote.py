"""`switchboard install HOST --url URL --token-env NAME`: a remote entry for a shared `serve --http` (Team).

The entry holds the variable's name, never the token: each host reads the token from it when it starts.
"""

from __future__ import annotations

import argparse
import io
import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from server.commands.install import register
from server.install import HOSTS, Scope, apply_plan, plan_install, plan_uninstall
from server.install.core import RemoteServer

EXE = "/opt/sb/.venv/bin/switchboard"
URL = "https://build-box.example:8765/mcp"
TOKEN = "tok-s3cret-Value-0123456789abcdef"  # what SWITCHBOARD_TOKEN holds: must never reach a file
HEADER = {"Authorization": "Bearer ${SWITCHBOARD_TOKEN}"}

# The entries README's Team section documents, as each host reads them.
ENTRIES = {
    "claude-code": {"type": "http", "url": URL, "headers": HEADER},
    "codex": {"url": URL, "bearer_token_env_var": "SWITCHBOARD_TOKEN", "required": True, "tool_timeout_sec": 86400},
    "gemini": {"httpUrl": URL, "headers": HEADER, "trust": True, "timeout": 86400000},
}
CONFIGS = {
    ("claude-code", Scope.PROJECT): ".mcp.json",
    ("claude-code", Scope.USER): ".claude.json",
    ("codex", Scope.PROJECT): ".codex/config.toml",
    ("codex", Scope.USER): ".codex/config.toml",
    ("gemini", Scope.PROJECT): ".gemini/settings.json",
    ("gemini", Scope.USER): ".gemini/settings.json",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="switchboard")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def run(argv: list[str], ctx) -> tuple[int, str]:
    args = parse(argv)
    out = io.StringIO()
    return args.func(args, ctx=ctx, out=out), out.getvalue()


def config_path(host: str, scope: Scope, ctx) -> Path:
    return (ctx.project_dir if scope is Scope.PROJECT else ctx.home) / CONFIGS[host, scope]


def read_entry(path: Path) -> dict | None:
    if not path.exists():
        return None
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text()).get("mcp_servers", {}).get("switchboard")
    return json.loads(path.read_text()).get("mcpServers", {}).get("switchboard")


def all_bytes(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.fixture
def team_ctx(ctx):
    """A teammate's machine: the token is in SWITCHBOARD_TOKEN, and backups go to a state dir."""
    return replace(ctx, environ={"SWITCHBOARD_TOKEN": TOKEN}, backup_dir=ctx.home / ".switchboard" / "backups")


@pytest.mark.parametrize(("host", "scope"), list(CONFIGS))
def test_each_host_gets_the_documented_entry_and_uninstall_removes_it(team_ctx, snapshot, host, scope, capsys):
    flag = f"--{scope.value}"
    code, out = run(["install", host, flag, "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)

    assert code == 0, capsys.readouterr().err
    assert read_entry(config_path(host, scope, team_ctx)) == ENTRIES[host]
    assert f"{host} connects to {URL}, with the token from $SWITCHBOARD_TOKEN when it starts\n" in out
    assert capsys.readouterr().err == ""  # https, variable set: nothing to warn about

    code, out = run(["install", host, flag, "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)
    assert (code, out) == (0, f"switchboard is already installed in {host} ({scope} scope): nothing to do\n")

    code, _ = run(["uninstall", host, flag], team_ctx)
    assert code == 0
    assert snapshot(team_ctx.project_dir) == {}
    assert {p.name for p in team_ctx.home.iterdir()} <= {".switchboard", ".codex", ".claude", ".gemini"}
    assert read_entry(config_path(host, scope, team_ctx)) is None


def test_the_json_key_order_is_the_documented_one(team_ctx):
    run(["install", "gemini", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)
    run(["install", "claude-code", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)

    gemini = json.loads((team_ctx.project_dir / ".gemini" / "settings.json").read_text())
    claude = json.loads((team_ctx.project_dir / ".mcp.json").read_text())
    assert list(gemini["mcpServers"]["switchboard"]) == ["httpUrl", "headers", "trust", "timeout"]
    assert list(claude["mcpServers"]["switchboard"]) == ["type", "url", "headers"]
    codex = RemoteServer(URL, "SWITCHBOARD_TOKEN")
    text = HOSTS["codex"].add_server(None, Path("config.toml"), codex)
    assert text == (
        '[mcp_servers.switchboard]\nurl = "https://build-box.example:8765/mcp"\n'
        'bearer_token_env_var = "SWITCHBOARD_TOKEN"\nrequired = true\ntool_timeout_sec = 86400\n'
    )


@pytest.mark.parametrize("host", list(HOSTS))
def test_the_token_value_is_never_written_nor_printed(team_ctx, host, capsys):
    """Not in the config, the notes, the approvals, the backups, the diff or any message."""
    # Existing files, so backups are made too; the Claude user file as `claude mcp add --header` left it.
    (team_ctx.home / ".claude.json").write_text(
        json.dumps({"mcpServers": {"switchboard": {"type": "http", "url": URL, "headers": {"authorization": "x"}}}})
    )
    (team_ctx.project_dir / "CLAUDE.md").write_text("# notes\n")
    for scope in (Scope.PROJECT, Scope.USER):
        argv = ["install", host, f"--{scope.value}", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"]
        _, dry = run([*argv, "--dry-run"], team_ctx)
        code, out = run(argv, team_ctx)
        assert code == 0
        assert TOKEN not in dry + out and "SWITCHBOARD_TOKEN" in dry
        code, _ = run(["uninstall", host, f"--{scope.value}"], team_ctx)
        assert code == 0
        run(argv, team_ctx)

    written = all_bytes(team_ctx.home.parent)
    assert TOKEN.encode() not in written
    assert b"SWITCHBOARD_TOKEN" in written
    assert TOKEN not in "".join(capsys.readouterr())


def test_a_token_pasted_into_a_claude_header_is_replaced_and_other_headers_stay(team_ctx):
    """What `claude mcp add --header "Authorization: Bearer $T"` wrote: the token in ~/.claude.json."""
    path = team_ctx.home / ".claude.json"
    pasted = {"type": "http", "url": URL, "headers": {"authorization": f"Bearer {TOKEN}", "X-Team": "a"}}
    path.write_text(json.dumps({"numStartups": 4, "mcpServers": {"switchboard": pasted}}))

    run(["install", "claude-code", "--user", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)

    doc = json.loads(path.read_text())
    assert doc["numStartups"] == 4
    assert doc["mcpServers"]["switchboard"]["headers"] == {"X-Team": "a", **HEADER}
    assert TOKEN not in path.read_text()


def test_codex_drops_an_authorization_header_for_the_variable_and_keeps_the_rest(team_ctx):
    path = team_ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        "# mine\n[mcp_servers.switchboard]\n"
        f'url = "http://old:8765/mcp"\ntool_timeout_sec = 90\n'
        f'http_headers = {{ Authorization = "Bearer {TOKEN}", X-Team = "a" }}\n'
    )

    run(["install", "codex", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)

    assert read_entry(path) == {**ENTRIES["codex"], "tool_timeout_sec": 90, "http_headers": {"X-Team": "a"}}
    assert path.read_text().startswith("# mine\n")
    assert TOKEN not in path.read_text()


@pytest.mark.parametrize("host", list(HOSTS))
def test_switching_between_the_local_and_the_shared_server_keeps_only_the_new_kinds_keys(ctx, host):
    scope = HOSTS[host].default_scope
    path = config_path(host, scope, ctx)
    remote = replace(ctx, server=RemoteServer(URL, "SWITCHBOARD_TOKEN"))

    apply_plan(plan_install(HOSTS[host], scope, ctx), ctx)  # the local stdio server first
    local = read_entry(path)
    apply_plan(plan_install(HOSTS[host], scope, remote), remote)

    assert read_entry(path) == ENTRIES[host]

    apply_plan(plan_install(HOSTS[host], scope, ctx), ctx)  # and back
    assert read_entry(path) == local
    assert "command" in local and not {"url", "httpUrl", "headers", "bearer_token_env_var"} & set(local)


@pytest.mark.parametrize("host", ["claude-code", "gemini"])
def test_json_hosts_keep_keys_the_user_added_when_the_kind_changes(ctx, host):
    scope = HOSTS[host].default_scope
    path = config_path(host, scope, ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = {"command": "/old/switchboard", "args": ["serve"], "env": {"X": "1"}, "timeout": 30000}
    path.write_text(json.dumps({"mcpServers": {"switchboard": old, "other": {"command": "o"}}}))
    remote = replace(ctx, server=RemoteServer(URL, "SWITCHBOARD_TOKEN"))

    apply_plan(plan_install(HOSTS[host], scope, remote), remote)

    servers = json.loads(path.read_text())["mcpServers"]
    assert servers["switchboard"] == {**ENTRIES[host], "timeout": 30000}
    assert servers["other"] == {"command": "o"}


def test_a_gemini_url_entry_becomes_an_http_url_one(ctx):
    """`gemini mcp add -t http` writes `url` and `"type": "http"`; install writes `httpUrl` alone."""
    path = ctx.project_dir / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"mcpServers": {"switchboard": {"url": "http://old/mcp", "type": "http"}}}))
    remote = replace(ctx, server=RemoteServer(URL, "SWITCHBOARD_TOKEN"))

    apply_plan(plan_install(HOSTS["gemini"], Scope.PROJECT, remote), remote)

    assert read_entry(path) == ENTRIES["gemini"]


@pytest.mark.parametrize("host", list(HOSTS))
def test_without_token_env_the_entry_sends_no_token(ctx, host, capsys):
    """A server without SWITCHBOARD_HTTP_TOKEN (reached over a VPN or a tunnel); a previous token goes."""
    scope = HOSTS[host].default_scope
    run(["install", host, "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], ctx)

    code, out = run(["install", host, "--url", URL], ctx)

    assert code == 0 and f"{host} connects to {URL}, with no token\n" in out
    expected = {k: v for k, v in ENTRIES[host].items() if k not in ("headers", "bearer_token_env_var")}
    assert read_entry(config_path(host, scope, ctx)) == expected


@pytest.mark.parametrize("host", list(HOSTS))
def test_dry_run_shows_the_remote_entry_and_writes_nothing(team_ctx, snapshot, host):
    code, out = run(["install", host, "--url", URL, "--token-env", "SWITCHBOARD_TOKEN", "--dry-run"], team_ctx)

    assert code == 0
    assert snapshot(team_ctx.home.parent) == {}
    assert f"would install into {host} (" in out and "+++ " in out
    if host == "codex":
        assert f'+url = "{URL}"\n+bearer_token_env_var = "SWITCHBOARD_TOKEN"\n+required = true\n' in out
    else:
        assert '+        "Authorization": "Bearer ${SWITCHBOARD_TOKEN}"\n' in out
    assert "connects to" not in out  # said once it is written


def test_uninstall_dry_run_shows_the_remote_entry_going(team_ctx):
    run(["install", "codex", "--url", URL, "--token-env", "SWITCHBOARD_TOKEN"], team_ctx)

    code, out = run(["uninstall", "codex", "--dry-run"], team_ctx)

    assert code == 0 and '-bearer_token_env_var = "SWITCHBOARD_TOKEN"\n' in out
    assert read_entry(team_ctx.home / ".codex" / "config.toml") == ENTRIES["codex"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--token-env", "SWITCHBOARD_TOKEN"], "--token-env needs --url"),
        (["--url", "ftp://build-box/mcp"], "must start with http:// or https://"),
        (["--url", "build-box:8765/mcp"], "must start with http:// or https://"),
        (["--url", "http:///mcp"], "names no host"),
        (["--url", "http://build-box:99999/mcp"], "is not a valid URL"),
        (["--url", "http://build box/mcp"], "without spaces"),
        (["--url", "http://me:pw@build-box/mcp"], "must not hold a user name or password"),
        (["--url", "http://build-box:8765/mcp?token=9f8e7d6c5b4a39281706"], "must not hold a credential"),
        (["--url", URL, "--token-env", "1TOKEN"], "must be the name of an environment variable"),
        (["--url", URL, "--token-env", "MY-TOKEN"], "must be the name of an environment variable"),
        (["--url", URL, "--token-env", "${SWITCHBOARD_TOKEN}"], "must be the name of an environment variable"),
        (["--url", URL, "--token-env", ""], "must be the name of an environment variable"),
    ],
)
@pytest.mark.parametrize("host", list(HOSTS))
def test_bad_arguments_exit_2_and_change_nothing(team_ctx, snapshot, capsys, host, argv, message):
    code, out = run(["install", host, *argv], team_ctx)

    assert (code, out) == (2, "")
    err = capsys.readouterr().err
    assert message in err and err.startswith("switchboard install: ")
    assert snapshot(team_ctx.home.parent) == {}


def test_the_tokens_value_given_for_its_name_is_refused_without_being_echoed(ctx, snapshot, capsys):
    """`--token-env $SWITCHBOARD_TOKEN`: the shell put the token where the name belongs."""
    value = "abcdefghijklmnopqrstuvwxyz012345"  # a valid name too: it would be written as the name
    ctx = replace(ctx, environ={"SWITCHBOARD_TOKEN": value})

    code, _ = run(["install", "codex", "--url", URL, "--token-env", value], ctx)

    err = capsys.readouterr().err
    assert code == 2 and "--token-env SWITCHBOARD_TOKEN (not $SWITCHBOARD_TOKEN)" in err
    assert value not in err
    assert snapshot(ctx.home.parent) == {}


def test_the_invalid_name_message_does_not_echo_it(team_ctx, capsys):
    run(["install", "codex", "--url", URL, "--token-env", TOKEN], team_ctx)  # a token with dashes
    assert TOKEN not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "environ", "warnings"),
    [
        (URL, {"SWITCHBOARD_TOKEN": TOKEN}, []),
        (URL, {}, ["SWITCHBOARD_TOKEN is not set here; gemini reads it when it starts"]),
        (URL, {"SWITCHBOARD_TOKEN": ""}, ["SWITCHBOARD_TOKEN is not set here"]),
        ("http://build-box:8765/mcp", {"SWITCHBOARD_TOKEN": TOKEN}, ["the token travels in clear"]),
        ("http://10.0.0.5:8765/mcp", {"SWITCHBOARD_TOKEN": TOKEN}, ["the token travels in clear"]),
        ("http://127.0.0.1:8765/mcp", {"SWITCHBOARD_TOKEN": TOKEN}, []),
        ("http://localhost:8765/mcp", {"SWITCHBOARD_TOKEN": TOKEN}, []),
        ("http://[::1]:8765/mcp", {"SWITCHBOARD_TOKEN": TOKEN}, []),
        ("http://127.0.0.1:8765/mcp/", {"SWITCHBOARD_TOKEN": TOKEN}, []),  # served as /mcp itself
        ("https://build-box/switchboard", {"SWITCHBOARD_TOKEN": TOKEN}, ["does not end in /mcp"]),
        ("https://build-box", {"SWITCHBOARD_TOKEN": TOKEN}, ["the URL's path '/' does not end in /mcp"]),
    ],
)
def test_warnings_are_printed_and_the_install_goes_on(ctx, capsys, url, environ, warnings):
    ctx = replace(ctx, environ=environ)

    code, _ = run(["install", "gemini", "--url", url, "--token-env", "SWITCHBOARD_TOKEN"], ctx)

    assert code == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == len(warnings), err
    for line, warning in zip(lines, warnings, strict=True):
        assert line.startswith("switchboard install: warning: ") and warning in line
    assert read_entry(ctx.project_dir / ".gemini" / "settings.json")["httpUrl"] == url


def test_plain_http_without_a_token_is_not_warned_about_the_token(ctx, capsys):
    assert run(["install", "codex", "--url", "http://build-box:8765/mcp"], ctx)[0] == 0
    assert capsys.readouterr().err == ""


def test_uninstall_takes_no_url():
    with pytest.raises(SystemExit):
        parse(["uninstall", "codex", "--url", URL])


def test_the_remote_install_needs_no_local_executable(tmp_path, monkeypatch):
    """A teammate's machine may have switchboard only as a client: --url does not look for the server."""
    import server.install
    from server.commands import install as command

    monkeypatch.setattr(server.install, "resolve_executable", lambda: pytest.fail("looked for the executable"))
    monkeypatch.setattr(command.Path, "home", staticmethod(lambda: tmp_path))
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "state"))
    args = parse(["install", "gemini", "--project-dir", str(tmp_path), "--url", URL])

    assert args.func(args, out=io.StringIO()) == 0
    assert read_entry(tmp_path / ".gemini" / "settings.json") == {"httpUrl": URL, "trust": True, "timeout": 86400000}


def test_remote_plans_are_plain_plans(ctx):
    """plan_uninstall needs no server: the same plan removes either kind."""
    remote = replace(ctx, server=RemoteServer(URL, "SWITCHBOARD_TOKEN"))
    apply_plan(plan_install(HOSTS["codex"], Scope.USER, remote), remote)
    plan = plan_uninstall(HOSTS["codex"], Scope.USER, ctx)
    assert [c.action for c in plan.changes] == ["delete", "delete"]


def test_a_pasted_token_with_no_variable_holding_it_is_refused_without_being_echoed(ctx, snapshot, capsys):
    # A token from secrets.token_urlsafe with no '-' is a valid variable name: with no variable here holding
    # it, it was written into .mcp.json as the name and printed twice.
    value = "Xq3_Zk9wLm2Pr7TtYb5Nc8Vd1Hs4Jf6Gg0Ee2Aa7Kk"
    code, out = run(["install", "claude-code", "--url", URL, "--token-env", value], ctx)
    err = capsys.readouterr().err
    assert code == 2 and "looks like a token" in err
    assert value not in err and value not in out
    assert snapshot(ctx.home.parent) == {}
