"""Codex's config.toml: our table written in place, the user's comments, layout, keys and bytes kept."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import pytest

from server.install import RemoteServer, Scope
from tests.install.hostplans import EXE, install, uninstall

CODEX_CONFIG = """\
# my codex settings
model = "gpt-5"  # the default model

[mcp_servers.docs]
command = "docs-server"
args = ["--stdio"]

# profiles below
[profiles.fast]
model = "gpt-5-mini"
"""


def test_codex_keeps_comments_and_layout_and_uninstall_restores_the_bytes(ctx):
    ctx = replace(ctx, environ={"CODEX_HOME": str(ctx.home / "codex-home")})
    path = ctx.home / "codex-home" / "config.toml"
    path.parent.mkdir()
    path.write_text(CODEX_CONFIG)

    install("codex", Scope.USER, ctx)

    text = path.read_text()
    assert text.startswith(CODEX_CONFIG)
    doc = tomllib.loads(text)
    assert doc["mcp_servers"]["switchboard"] == {"command": EXE, "args": ["serve"], "required": True,
                                                 "env_vars": ["SWITCHBOARD_DISPATCHED"], "tool_timeout_sec": 86400}
    assert doc["mcp_servers"]["docs"] == {"command": "docs-server", "args": ["--stdio"]}
    assert (ctx.home / "codex-home" / "AGENTS.md").exists()
    assert not (ctx.home / ".codex").exists()

    uninstall("codex", Scope.USER, ctx)
    assert path.read_text() == CODEX_CONFIG


def test_codex_passes_the_dispatch_mark_to_the_server_and_keeps_the_users_variables(ctx):
    # Codex passes an MCP server only a few variables: without env_vars the Switchboard it starts inside a task
    # Switchboard dispatched to codex could not tell (on a system without /proc) and would dispatch again.
    path = ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('[mcp_servers.switchboard]\ncommand = "/old/switchboard"\nargs = ["serve"]\nenv_vars = ["MY_VAR"]\n')
    install("codex", Scope.USER, ctx)
    entry = tomllib.loads(path.read_text())["mcp_servers"]["switchboard"]
    assert entry["env_vars"] == ["MY_VAR", "SWITCHBOARD_DISPATCHED"]
    install("codex", Scope.USER, ctx)  # again: nothing added twice
    assert tomllib.loads(path.read_text())["mcp_servers"]["switchboard"]["env_vars"] == ["MY_VAR", "SWITCHBOARD_DISPATCHED"]


def test_codex_replaces_our_table_in_place_keeping_user_keys_and_the_next_comment(ctx):
    path = ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        '[mcp_servers.switchboard]\ncommand = "/old/switchboard"\nargs = ["serve"]\nstartup_timeout_sec = 30\n\n'
        '[mcp_servers.switchboard.env]\nA = "1"\n\n# the docs server\n[mcp_servers.docs]\ncommand = "d"\n'
    )

    install("codex", Scope.USER, ctx)

    text = path.read_text()
    assert "# the docs server\n[mcp_servers.docs]" in text
    assert text.count("[mcp_servers.switchboard]") == 1
    entry = tomllib.loads(text)["mcp_servers"]["switchboard"]
    assert entry == {
        "command": EXE,
        "args": ["serve"],
        "required": True,
        "startup_timeout_sec": 30,
        "env": {"A": "1"},
        "env_vars": ["SWITCHBOARD_DISPATCHED"],
        "tool_timeout_sec": 86400,
    }


# Install appends our table at the end, so what the user writes at the end later comes after it.
USER_LINES_AFTER_OUR_TABLE = """\

# [mcp_servers.github]   (off for now)
# command = "github-mcp"

# keep the above for the trip
"""


def test_codex_keeps_the_users_comments_after_our_table_at_the_end_of_the_file(ctx):
    path = ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    head = 'model = "o3"\n\n'
    path.write_text(head + '[mcp_servers.switchboard]\ncommand = "/old/switchboard"\n' + USER_LINES_AFTER_OUR_TABLE)

    install("codex", Scope.USER, ctx)

    text = path.read_text()
    assert text.endswith(USER_LINES_AFTER_OUR_TABLE), text
    assert tomllib.loads(text)["mcp_servers"]["switchboard"]["command"] == EXE

    uninstall("codex", Scope.USER, ctx)
    assert path.read_text() == head + USER_LINES_AFTER_OUR_TABLE.lstrip("\n")


def test_codex_config_with_a_utf8_bom_is_edited_and_keeps_it(ctx):
    """Windows editors start a file with a BOM; Codex's toml crate skips it, tomllib does not."""
    path = ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    original = '\ufeff# mine\nmodel = "o3"\n'.encode()
    path.write_bytes(original)

    install("codex", Scope.USER, ctx)

    data = path.read_bytes()
    assert data.startswith(original), data
    assert tomllib.loads(data.decode()[1:])["mcp_servers"]["switchboard"]["command"] == EXE

    uninstall("codex", Scope.USER, ctx)
    assert path.read_bytes() == original


def test_codex_inline_table_falls_back_to_a_full_rewrite(ctx):
    path = ctx.project_dir / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text(
        'model = "m"\nmcp_servers = { switchboard = { command = "old" }, x = { command = "x" } }\n'
    )

    install("codex", Scope.PROJECT, ctx)

    doc = tomllib.loads(path.read_text())
    assert doc == {
        "model": "m",
        "mcp_servers": {
            "switchboard": {"command": EXE, "args": ["serve"], "required": True, "env_vars": ["SWITCHBOARD_DISPATCHED"], "tool_timeout_sec": 86400},
            "x": {"command": "x"},
        },
    }


@pytest.mark.parametrize("remote", [False, True], ids=["stdio", "url"])
def test_install_enables_a_switchboard_table_the_user_had_disabled(ctx, remote):
    """`enabled = false` stayed: install said it had updated the entry, and Codex (0.169.0: `codex mcp list`
    shows it disabled) still did not start switchboard. Installing is the consent, as for Claude Code."""
    path = ctx.home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('[mcp_servers.switchboard]\ncommand = "/old/switchboard"\nenabled = false\ntool_timeout_sec = 90\n')

    if remote:
        ctx = replace(ctx, server=RemoteServer("http://build-box:8765/mcp"))

    install("codex", Scope.USER, ctx)

    table = tomllib.loads(path.read_text())["mcp_servers"]["switchboard"]
    assert table.get("enabled", True) is True
    assert table["tool_timeout_sec"] == 90  # the user's other keys stay
    assert table.get("url" if remote else "command") == ("http://build-box:8765/mcp" if remote else EXE)
