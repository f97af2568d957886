"""The tool-call timeout install writes for Switchboard's entry, so that a host does not cut a long dispatch.

Codex cancels a tool call after 300 s by default (tool_timeout_sec), Gemini CLI after 10 min ("timeout", in
ms); dispatch_agent and run_batch wait for rate windows and resets for longer, and were cancelled part-way.
Claude Code's default is already longer than a day (README), so its entry gets nothing.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from server.install import HOSTS, RemoteServer, Scope
from tests.install.hostplans import EXE, install, uninstall

URL = "http://build-box:8765/mcp"
# host -> (config file under the home, the entry's timeout key, what install writes there)
TIMEOUTS = {
    "codex": (".codex/config.toml", "tool_timeout_sec", 86_400),
    "gemini": (".gemini/settings.json", "timeout", 86_400_000),
}
KINDS = pytest.mark.parametrize("remote", [False, True], ids=["stdio", "url"])


def read_entry(path: Path) -> dict | None:
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text()).get("mcp_servers", {}).get("switchboard")
    return json.loads(path.read_text()).get("mcpServers", {}).get("switchboard")


def write_entry(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".toml":
        lines = [f"{k} = {json.dumps(v)}" for k, v in entry.items()]  # JSON scalars and lists are TOML too
        path.write_text("[mcp_servers.switchboard]\n" + "\n".join(lines) + "\n")
    else:
        path.write_text(json.dumps({"mcpServers": {"switchboard": entry}}))


def kind(ctx, remote: bool):
    return replace(ctx, server=RemoteServer(URL, "SWITCHBOARD_TOKEN")) if remote else ctx


@pytest.mark.parametrize("host", list(TIMEOUTS))
@KINDS
def test_install_writes_a_day_long_tool_timeout(ctx, host, remote):
    relpath, key, value = TIMEOUTS[host]
    ctx = kind(ctx, remote)

    install(host, Scope.USER, ctx)

    assert read_entry(ctx.home / relpath)[key] == value


# What install wrote before it wrote a timeout.
EARLIER = {
    ("codex", False): {"command": EXE, "args": ["serve"], "required": True, "env_vars": ["SWITCHBOARD_DISPATCHED"]},
    ("codex", True): {"url": URL, "bearer_token_env_var": "SWITCHBOARD_TOKEN", "required": True},
    ("gemini", False): {"command": EXE, "args": ["serve"], "trust": True},
    ("gemini", True): {"httpUrl": URL, "headers": {"Authorization": "Bearer ${SWITCHBOARD_TOKEN}"}, "trust": True},
}


@pytest.mark.parametrize("host", list(TIMEOUTS))
@KINDS
def test_reinstall_adds_it_to_an_entry_an_earlier_install_wrote_without_it(ctx, host, remote):
    relpath, key, value = TIMEOUTS[host]
    path = ctx.home / relpath
    write_entry(path, EARLIER[host, remote])

    plan, _ = install(host, Scope.USER, kind(ctx, remote))

    assert path in [c.path for c in plan.changes]
    assert read_entry(path) == {**EARLIER[host, remote], key: value}


@pytest.mark.parametrize("host", list(TIMEOUTS))
@KINDS
def test_a_timeout_the_user_set_is_kept_on_reinstall_and_uninstall_removes_the_entry(ctx, snapshot, host, remote):
    relpath, key, value = TIMEOUTS[host]
    path = ctx.home / relpath
    ctx = kind(ctx, remote)
    install(host, Scope.USER, ctx)
    assert read_entry(path)[key] == value
    mine = {**read_entry(path), key: 1800 if host == "codex" else 1_800_000}  # the user shortens it
    write_entry(path, mine)
    before = snapshot(ctx.home.parent)

    plan, _ = install(host, Scope.USER, ctx)

    assert plan.empty and snapshot(ctx.home.parent) == before  # "already installed": the user's value stays

    uninstall(host, Scope.USER, ctx)
    assert not path.exists() or read_entry(path) is None


def test_the_codex_timeout_follows_our_keys_in_a_new_table(ctx):
    text = HOSTS["codex"].add_server(None, Path("config.toml"), ctx.server)
    assert text.endswith('"SWITCHBOARD_DISPATCHED",\n]\ntool_timeout_sec = 86400\n'), text
