"""The `install` / `uninstall` subcommands and how they find the executable."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.commands.install import HOST_NAMES, register
from server.install import HOSTS, Scope, resolve_executable

EXE = "/opt/sb/.venv/bin/switchboard"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="switchboard")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def run(argv: list[str], ctx) -> tuple[int, str]:
    args = parse(argv)
    out = io.StringIO()
    return args.func(args, ctx=ctx, out=out), out.getvalue()


def test_host_choices_are_the_hosts():
    assert tuple(sorted(HOSTS)) == HOST_NAMES


def test_scope_defaults_and_flags():
    assert parse(["install", "codex"]).scope is None
    assert Scope(parse(["install", "codex", "--project"]).scope) is Scope.PROJECT
    assert Scope(parse(["uninstall", "gemini", "--user"]).scope) is Scope.USER
    with pytest.raises(SystemExit):
        parse(["install", "codex", "--project", "--user"])
    with pytest.raises(SystemExit):
        parse(["install", "vscode"])


def test_dry_run_prints_the_diff_and_writes_nothing(ctx, snapshot):
    code, out = run(["install", "claude-code", "--dry-run"], ctx)

    assert code == 0
    assert snapshot(ctx.home.parent) == {}
    assert f"would install into claude-code (project scope):\n  create {ctx.project_dir / '.mcp.json'}" in out
    assert "--- /dev/null\n" in out and f"+++ {ctx.project_dir / 'CLAUDE.md'}\n" in out
    assert f'+      "command": "{EXE}",' in out


def test_install_reports_files_and_backups_then_uninstall_dry_run(ctx):
    (ctx.home / ".codex").mkdir()
    (ctx.home / ".codex" / "config.toml").write_text('model = "m"\n')

    code, out = run(["install", "codex"], ctx)  # codex defaults to the user scope
    assert code == 0
    assert "install into codex (user scope):" in out and "  backup " in out and "config.toml.bak-" in out

    code, out = run(["install", "codex"], ctx)
    assert (code, out) == (0, "switchboard is already installed in codex (user scope): nothing to do\n")

    code, out = run(["uninstall", "codex", "--dry-run"], ctx)
    assert code == 0 and "would uninstall from codex (user scope):" in out and "-required = true" in out
    assert "required = true" in (ctx.home / ".codex" / "config.toml").read_text()


def test_malformed_file_exits_2_with_the_file_named_on_stderr(ctx, capsys):
    bad = ctx.project_dir / ".mcp.json"
    bad.write_text("{oops")

    code, out = run(["install", "claude-code"], ctx)

    assert code == 2 and out == ""
    err = capsys.readouterr().err
    assert str(bad) in err and "is not valid JSON" in err and "nothing was changed" in err
    assert bad.read_text() == "{oops" and not (ctx.project_dir / "CLAUDE.md").exists()


def test_resolve_executable_prefers_argv0_then_path(tmp_path: Path):
    exe = tmp_path / "bin" / "switchboard"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    assert resolve_executable(str(exe), which=lambda name: None) == str(exe)
    assert resolve_executable("/usr/bin/python3", which=lambda name: f"/found/{name}") == "/found/switchboard"


def test_installed_console_script_registers_itself(tmp_path: Path):
    """End to end through the real `switchboard` entry point, once server/cli.py wires the subcommand."""
    exe = Path(sys.executable).parent / "switchboard"
    if not exe.exists():
        pytest.skip("the `switchboard` console script is not installed in this virtualenv")
    # PYTHONPATH: this checkout's code, not the one the virtualenv's editable install points at (a worktree's).
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [str(exe), "install", "gemini", "--project-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0 and "invalid choice: 'install'" in proc.stderr:
        pytest.skip("server/cli.py does not register the install subcommand yet")
    assert proc.returncode == 0, proc.stderr
    entry = json.loads((tmp_path / ".gemini" / "settings.json").read_text())["mcpServers"]["switchboard"]
    assert entry == {"command": str(exe), "args": ["serve"], "trust": True, "timeout": 86400000}


def test_a_write_failing_halfway_says_which_files_were_changed_and_their_backups(ctx, capsys, monkeypatch):
    from server.install import apply as applying

    (ctx.home / ".claude.json").write_text('{"numStartups": 3}\n')
    write = applying.write_atomically

    def disk_full_for_notes(path, text, **kw):
        if path.name == "CLAUDE.md":
            raise OSError(28, "No space left on device")
        write(path, text, **kw)

    monkeypatch.setattr(applying, "write_atomically", disk_full_for_notes)

    code, out = run(["install", "claude-code", "--user"], ctx)

    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert "No space left on device" in err and "nothing was changed" not in err
    assert f"already changed: {ctx.home / '.claude.json'} (backups: {ctx.home / '.claude.json.bak-'}" in err


@pytest.mark.parametrize("verb", ["install", "uninstall"])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["apply", "dry-run"])
def test_a_project_dir_that_is_not_a_directory_is_refused(tmp_path, capsys, verb, dry_run):
    (tmp_path / "a-file").write_text("")
    for project in (tmp_path / "typo" / "project", tmp_path / "a-file"):
        args = parse([verb, "gemini", "--project-dir", str(project), *dry_run])
        assert args.func(args, out=io.StringIO()) == 2
        err = capsys.readouterr().err
        assert f"--project-dir {project} is not a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # a mistyped one was created before


@pytest.mark.parametrize("verb", ["install", "uninstall"])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["apply", "dry-run"])
def test_a_local_scope_entry_claude_code_prefers_is_said(ctx, capsys, verb, dry_run):
    # `claude mcp add` (README's first way) registers switchboard in ~/.claude.json under projects[<folder>]:
    # Claude Code prefers it to .mcp.json and to the user entry, and uninstall left it running unsaid.
    # A --dry-run, the preview of what the command does, did not say it either.
    (ctx.home / ".claude.json").write_text(json.dumps({"projects": {str(ctx.project_dir): {
        "mcpServers": {"switchboard": {"type": "stdio", "command": EXE, "args": ["serve"]}}}}}))
    code, _ = run([verb, "claude-code", *dry_run], ctx)
    err = capsys.readouterr().err
    assert code == 0
    assert "Claude Code's local scope" in err and "claude mcp remove -s local switchboard" in err
    (ctx.home / ".claude.json").write_text(json.dumps({"projects": {"/elsewhere": {
        "mcpServers": {"switchboard": {}}}}}))
    run([verb, "claude-code"], ctx)
    assert "local scope" not in capsys.readouterr().err  # another folder's entry is not this project's


@pytest.mark.parametrize(("host", "scope", "blocker"), [
    ("claude-code", "--project", "project/.claude"),
    ("claude-code", "--user", "home/.claude"),
    ("codex", "--project", "project/.codex"),
    ("gemini", "--user", "home/.gemini"),
])
@pytest.mark.parametrize("verb", ["install", "uninstall"])
def test_a_file_where_a_host_folder_goes_is_named_with_what_to_do(ctx, capsys, snapshot, host, scope, blocker,
                                                                    verb):
    # It said "<path>/.claude/settings.local.json: cannot be read: Not a directory; nothing was changed".
    in_the_way = ctx.home.parent / blocker
    in_the_way.write_text("notes\n")
    before = snapshot(ctx.home.parent)
    code, out = run([verb, host, scope], ctx)
    err = capsys.readouterr().err
    assert code == 2 and out == "" and snapshot(ctx.home.parent) == before
    assert f"{in_the_way} is a file, not a folder; move it aside (mv {in_the_way} {in_the_way}.old)" in err, err
    assert "Not a directory" not in err and "nothing was changed" in err


def test_a_file_where_the_backup_folder_goes_is_named_with_what_to_do(ctx, capsys, snapshot):
    # It said "(Not a directory: <dir>/install-backups/...); make that folder writable", which would not help.
    from dataclasses import replace

    backups = ctx.home.parent / "state" / "install-backups"
    backups.parent.mkdir()
    backups.write_text("")
    (ctx.project_dir / ".mcp.json").write_text("{}\n")
    before = snapshot(ctx.home.parent)
    code, _ = run(["install", "claude-code"], replace(ctx, backup_dir=backups))
    err = capsys.readouterr().err
    assert code == 2 and snapshot(ctx.home.parent) == before
    assert f"cannot be backed up into {backups}: {backups} is a file, not a folder; move it aside" in err, err
    assert "writable" not in err and "no file was changed" in err
