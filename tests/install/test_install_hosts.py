"""Install and uninstall per host, against tmp home and project directories."""

from __future__ import annotations

import json
import re

import pytest

from server.install import HOSTS, HostFileError, Scope, plan_install, plan_uninstall
from server.install.sections import END, START
from tests.install.hostplans import EXE, install, uninstall

DEEP_JSON = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"
DEEP_TOML = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"


def test_claude_project_writes_mcp_json_and_claude_md(ctx):
    install("claude-code", Scope.PROJECT, ctx)

    doc = json.loads((ctx.project_dir / ".mcp.json").read_text())
    assert doc == {
        "mcpServers": {"switchboard": {"env": {}, "type": "stdio", "command": EXE, "args": ["serve"]}}
    }
    notes = (ctx.project_dir / "CLAUDE.md").read_text()
    assert notes.startswith(START) and notes.rstrip().endswith(END)
    for tool in ("classify_task", "recommend_provider", "dispatch_agent", "run_batch", "get_budget"):
        assert f"`{tool}`" in notes


@pytest.mark.parametrize(
    ("host", "scope"),
    [
        ("claude-code", Scope.PROJECT),
        ("claude-code", Scope.USER),
        ("codex", Scope.PROJECT),
        ("codex", Scope.USER),
        ("gemini", Scope.PROJECT),
        ("gemini", Scope.USER),
    ],
)
def test_second_install_changes_nothing(ctx, snapshot, host, scope):
    install(host, scope, ctx)
    before = snapshot(ctx.home.parent)

    plan, backups = install(host, scope, ctx)

    assert plan.empty and backups == []
    assert snapshot(ctx.home.parent) == before


@pytest.mark.parametrize(
    ("host", "scope", "files"),
    [
        (
            "claude-code",
            Scope.PROJECT,
            ["project/.mcp.json", "project/CLAUDE.md", "project/.claude/settings.local.json"],
        ),
        ("claude-code", Scope.USER, ["home/.claude.json", "home/.claude/CLAUDE.md"]),
        ("codex", Scope.PROJECT, ["project/.codex/config.toml", "project/AGENTS.md"]),
        ("codex", Scope.USER, ["home/.codex/config.toml", "home/.codex/AGENTS.md"]),
        ("gemini", Scope.PROJECT, ["project/.gemini/settings.json", "project/GEMINI.md"]),
        ("gemini", Scope.USER, ["home/.gemini/settings.json", "home/.gemini/GEMINI.md"]),
    ],
)
def test_files_per_host_and_scope_and_uninstall_removes_them(ctx, snapshot, host, scope, files):
    plan, _ = install(host, scope, ctx)

    root = ctx.home.parent
    assert sorted(str(c.path.relative_to(root)) for c in plan.changes) == sorted(files)
    assert sorted(snapshot(root)) == sorted(files)

    _, backups = uninstall(host, scope, ctx)
    assert sorted(snapshot(root)) == sorted(str(b.relative_to(root)) for b in backups)
    assert sorted(b.name.split(".bak-")[0] for b in backups) == sorted(p.split("/")[-1] for p in files)


def test_claude_project_install_approves_the_server_in_local_settings(ctx):
    local = ctx.project_dir / ".claude" / "settings.local.json"
    local.parent.mkdir()
    local.write_text(json.dumps({"permissions": {"allow": ["Bash(ls)"]}, "enabledMcpjsonServers": ["docs"]}))

    install("claude-code", Scope.PROJECT, ctx)
    assert json.loads(local.read_text()) == {
        "permissions": {"allow": ["Bash(ls)"]},
        "enabledMcpjsonServers": ["docs", "switchboard"],
    }

    uninstall("claude-code", Scope.PROJECT, ctx)
    assert json.loads(local.read_text()) == {
        "permissions": {"allow": ["Bash(ls)"]},
        "enabledMcpjsonServers": ["docs"],
    }


def test_claude_project_install_lifts_an_earlier_refusal_of_the_server(ctx):
    # Claude Code checks disabledMcpjsonServers before enabledMcpjsonServers: a server the user once declined in
    # its dialog stayed off after install reported success.
    local = ctx.project_dir / ".claude" / "settings.local.json"
    local.parent.mkdir()
    local.write_text(json.dumps({"disabledMcpjsonServers": ["switchboard", "other"]}))

    install("claude-code", Scope.PROJECT, ctx)
    assert json.loads(local.read_text()) == {"disabledMcpjsonServers": ["other"], "enabledMcpjsonServers": ["switchboard"]}


def test_claude_user_scope_keeps_the_rest_of_claude_json_and_backs_it_up(ctx):
    original = {
        "numStartups": 7,
        "projects": {"/w": {"allowedTools": [], "mcpServers": {}}},
        "mcpServers": {"other": {"type": "stdio", "command": "other-server", "args": []}},
    }
    path = ctx.home / ".claude.json"
    path.write_text(json.dumps(original, indent=2))
    original_bytes = path.read_bytes()

    _, backups = install("claude-code", Scope.USER, ctx)

    doc = json.loads(path.read_text())
    assert doc["numStartups"] == 7 and doc["projects"] == original["projects"]
    assert doc["mcpServers"]["other"] == original["mcpServers"]["other"]
    assert doc["mcpServers"]["switchboard"]["command"] == EXE
    assert list(doc) == ["numStartups", "projects", "mcpServers"]
    [bak] = [b for b in backups if b.name.startswith(".claude.json.bak-")]
    assert bak.read_bytes() == original_bytes

    uninstall("claude-code", Scope.USER, ctx)
    assert json.loads(path.read_text()) == original


def test_json_keeps_the_files_indentation(ctx):
    path = ctx.project_dir / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text('{\n    "theme": "dark"\n}\n')

    install("gemini", Scope.PROJECT, ctx)

    text = path.read_text()
    assert '\n    "theme": "dark",\n    "mcpServers": {\n        "switchboard": {' in text
    assert json.loads(text)["mcpServers"]["switchboard"] == {
        "command": EXE, "args": ["serve"], "trust": True, "timeout": 86400000
    }


def test_reinstall_updates_our_entry_but_keeps_keys_the_user_added(ctx):
    path = ctx.project_dir / ".mcp.json"
    old = {"type": "stdio", "command": "/old/venv/bin/switchboard", "args": ["serve"], "env": {"X": "1"}}
    path.write_text(json.dumps({"mcpServers": {"switchboard": old}}))

    install("claude-code", Scope.PROJECT, ctx)

    entry = json.loads(path.read_text())["mcpServers"]["switchboard"]
    assert entry == {**old, "command": EXE}


def test_section_is_replaced_not_duplicated_and_uninstall_restores_the_notes(ctx):
    notes = ctx.project_dir / "GEMINI.md"
    mine = "# Project notes\n\nUse tabs.\n"
    notes.write_text(f"{mine}\n{START}\nold guidance\n{END}\n\n## More\ntext\n")

    install("gemini", Scope.PROJECT, ctx)

    text = notes.read_text()
    assert text.count(START) == 1 and "old guidance" not in text and "`get_budget`" in text
    assert text.startswith(mine) and text.endswith("\n## More\ntext\n")

    fresh = ctx.project_dir / "CLAUDE.md"
    fresh.write_text(mine)
    install("claude-code", Scope.PROJECT, ctx)
    uninstall("claude-code", Scope.PROJECT, ctx)
    assert fresh.read_text() == mine


@pytest.mark.parametrize(
    ("host", "relpath", "content", "reason"),
    [
        ("claude-code", ".mcp.json", '{"mcpServers": {', "is not valid JSON"),
        ("claude-code", ".mcp.json", '["not", "an", "object"]', "must hold a JSON object, found an array;"),
        ("claude-code", ".mcp.json", '{"mcpServers": ["x"]}', '"mcpServers" must be an object of servers by name, '
         "found an array;"),
        ("gemini", ".gemini/settings.json", '{"mcpServers": 3}', '"mcpServers" must be an object of servers by name, '
         "found a number;"),  # Python's names were said: "found list", "found int", "found str"
        ("codex", ".codex/config.toml", "mcp_servers = 2026-01-01\n", "`mcp_servers` must be a table, found a date or time"),
        # Gemini CLI reads settings with comments: said so, not "not valid JSON"
        ("gemini", ".gemini/settings.json", '{\n  // my theme\n  "theme": "GitHub"\n}', "has comments, which its host"),
        ("codex", ".codex/config.toml", "model = \n", "is not valid TOML"),
        ("codex", ".codex/config.toml", 'mcp_servers = "x"\n', "`mcp_servers` must be a table, found a string;"),
        ("codex", "AGENTS.md", f"{START}\nno end marker\n", "unmatched switchboard marker"),
        (
            "claude-code",
            ".claude/settings.local.json",
            '{"enabledMcpjsonServers": "x"}',
            '"enabledMcpjsonServers" must be an array of strings',
        ),
        # parsed to no document at all: nested deeper than a parser goes, or a number too long
        ("claude-code", ".mcp.json", DEEP_JSON, "cannot be read as JSON (it is nested too deeply)"),
        ("gemini", ".gemini/settings.json", '{"x": ' + "1" * 5000 + "}", "cannot be read as JSON (Exceeds"),
        ("codex", ".codex/config.toml", DEEP_TOML, "cannot be read as TOML (it is nested too deeply)"),
        ("codex", ".codex/config.toml", "x = " + "1" * 5000 + "\n", "cannot be read as TOML (Exceeds"),
    ],
)
@pytest.mark.parametrize("action", [plan_install, plan_uninstall])
def test_malformed_file_is_named_and_nothing_is_written(
    ctx, snapshot, host, relpath, content, reason, action
):
    path = ctx.project_dir / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    before = snapshot(ctx.home.parent)

    with pytest.raises(HostFileError) as err:
        action(HOSTS[host], Scope.PROJECT, ctx)

    assert err.value.path == path and reason in str(err.value) and str(path) in str(err.value)
    # and what to do about it: "is not valid JSON: ... at line 1 column 17; nothing was changed" said none
    assert any(what in str(err.value) for what in ("fix it", "by hand", "move the file aside")), str(err.value)
    assert snapshot(ctx.home.parent) == before


def test_uninstall_leaves_other_servers_and_text_alone(ctx):
    path = ctx.project_dir / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": {"keep": {"command": "k"}}}))
    install("claude-code", Scope.PROJECT, ctx)
    (ctx.project_dir / "CLAUDE.md").write_text("mine\n" + (ctx.project_dir / "CLAUDE.md").read_text())

    uninstall("claude-code", Scope.PROJECT, ctx)

    assert json.loads(path.read_text()) == {"mcpServers": {"keep": {"command": "k"}}}
    assert (ctx.project_dir / "CLAUDE.md").read_text() == "mine\n"


def test_uninstall_when_not_installed_is_a_no_op(ctx, snapshot):
    (ctx.project_dir / "AGENTS.md").write_text("mine\n")
    before = snapshot(ctx.home.parent)

    plan, _ = uninstall("codex", Scope.PROJECT, ctx)

    assert plan.empty and snapshot(ctx.home.parent) == before


def test_claude_json_with_half_an_emoji_escaped_is_written_back_escaped(ctx):
    path = ctx.home / ".claude.json"
    path.write_text('{"history": ["cut \\ud83d", "whole \\ud83d\\ude00 é"]}\n')
    original = json.loads(path.read_text())

    install("claude-code", Scope.USER, ctx)

    text = path.read_text()
    assert "cut \\ud83d" in text and "whole 😀 é" in text
    doc = json.loads(text)
    assert doc["history"] == original["history"] and "switchboard" in doc["mcpServers"]
    uninstall("claude-code", Scope.USER, ctx)
    assert json.loads(path.read_text()) == original


@pytest.mark.parametrize("number", ["1e400", "-1E+999"])
def test_json_number_beyond_a_double_is_refused_not_written_as_infinity(ctx, snapshot, number):
    path = ctx.project_dir / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text(f'{{"limit": {number}, "ok": 1.5}}')
    before = snapshot(ctx.home.parent)

    with pytest.raises(HostFileError, match=re.escape(f"holds the number {number}")):
        plan_install(HOSTS["gemini"], Scope.PROJECT, ctx)

    assert snapshot(ctx.home.parent) == before


def test_uninstall_from_a_file_with_comments_does_not_say_to_add_the_entry_or_install(ctx):
    """The advice was install's ("add the switchboard entry ... run install again") for uninstall too."""
    path = ctx.project_dir / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text('{\n  // mine\n  "mcpServers": {"switchboard": {"command": "x"}}\n}\n')

    with pytest.raises(HostFileError) as err:
        plan_uninstall(HOSTS["gemini"], Scope.PROJECT, ctx)

    message = str(err.value)
    assert "has comments" in message and "by hand" in message
    assert "add the switchboard entry" not in message and "install again" not in message
