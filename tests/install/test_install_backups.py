"""Backups of host files go to Switchboard's state dir when run from the CLI: a project is not left with
.bak files to commit by mistake, and each file keeps only its newest backups."""

from __future__ import annotations

import argparse
import dataclasses
import io
import stat
from pathlib import Path
from urllib.parse import quote

from server.commands.install import context_from, register
from server.install.apply import KEPT_BACKUPS


def run(argv: list[str], ctx) -> int:
    parser = argparse.ArgumentParser(prog="switchboard")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args, ctx=ctx, out=io.StringIO())


def test_a_project_install_leaves_its_backup_in_the_state_dir_not_the_project(ctx, tmp_path):
    ctx = dataclasses.replace(ctx, backup_dir=tmp_path / "state" / "install-backups")
    (ctx.project_dir / ".mcp.json").write_text('{"mcpServers": {"other": {"command": "x"}}}\n')

    assert run(["install", "claude-code", "--project"], ctx) == 0

    assert not [p for p in ctx.project_dir.iterdir() if ".bak-" in p.name]
    folder = ctx.backup_dir / quote(str(ctx.project_dir), safe="")
    [backup] = folder.glob(".mcp.json.bak-*")
    assert backup.read_text() == '{"mcpServers": {"other": {"command": "x"}}}\n'
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # host settings can hold keys


def test_only_the_newest_backups_of_a_file_are_kept(ctx, tmp_path):
    ctx = dataclasses.replace(ctx, backup_dir=tmp_path / "backups")
    config = ctx.home / ".codex" / "config.toml"
    config.parent.mkdir()
    config.write_text('model = "m"\n')
    for _ in range(KEPT_BACKUPS):  # each install and each uninstall backs the file up first
        assert run(["install", "codex"], ctx) == 0
        assert run(["uninstall", "codex"], ctx) == 0

    backups = sorted((ctx.backup_dir / quote(str(config.parent), safe="")).glob("config.toml.bak-*"))
    assert len(backups) == KEPT_BACKUPS
    assert "[mcp_servers.switchboard]" in backups[-1].read_text()  # the newest: taken before the last uninstall


def test_the_cli_puts_backups_in_the_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "sb-state"))
    monkeypatch.delenv("SWITCHBOARD_CONFIG", raising=False)
    args = argparse.Namespace(project_dir=tmp_path)
    assert context_from(args).backup_dir == tmp_path / "sb-state" / "install-backups"


def test_with_a_broken_config_the_cli_still_finds_the_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "sb-state"))
    bad = Path(tmp_path / "bad.toml")
    bad.write_text("this is = = not toml\n")
    monkeypatch.setenv("SWITCHBOARD_CONFIG", str(bad))
    args = argparse.Namespace(project_dir=tmp_path)
    assert context_from(args).backup_dir == tmp_path / "sb-state" / "install-backups"


def test_a_project_with_a_long_non_ascii_path_is_backed_up_and_pruned(ctx, tmp_path):
    """Each Cyrillic letter quotes to 6 characters (%D0%BF): a path of ~130 bytes gave a backup folder name
    beyond the 255-byte limit of a name, and install failed half-way (.mcp.json written, CLAUDE.md not)."""
    project = ctx.project_dir / "пользователь" / "Документы" / "Проекты-по-работе" / "мой-большой-проект"
    project.mkdir(parents=True)
    ctx = dataclasses.replace(ctx, project_dir=project, backup_dir=tmp_path / "backups")
    (project / "CLAUDE.md").write_text("# Проект\n")

    for _ in range(KEPT_BACKUPS + 1):
        assert run(["install", "claude-code", "--project"], ctx) == 0
        assert run(["uninstall", "claude-code", "--project"], ctx) == 0

    folders = list(ctx.backup_dir.iterdir())  # the project's, and its .claude folder's
    assert all(len(f.name.encode()) <= 255 for f in folders)
    [folder] = [f for f in folders if f.name.endswith(quote("мой-большой-проект"))]  # still tells which project
    assert len(list(folder.glob("CLAUDE.md.bak-*"))) == KEPT_BACKUPS
    assert (project / "CLAUDE.md").read_text() == "# Проект\n"


def test_a_state_dir_that_cannot_be_expanded_is_an_error_not_a_traceback(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_HOME", "~switchboard-no-such-user/state")
    monkeypatch.delenv("SWITCHBOARD_CONFIG", raising=False)
    parser = argparse.ArgumentParser(prog="switchboard")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["install", "gemini", "--project-dir", str(tmp_path)])
    assert args.func(args, out=io.StringIO()) == 2
    assert "SWITCHBOARD_HOME = '~switchboard-no-such-user/state'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_backup_that_cannot_be_made_says_where_and_what_to_do(ctx, tmp_path, capsys):
    # A state dir that cannot be written (read-only, or a file in its way) was "[Errno 30] Read-only file system:
    # '...'; no file was changed", naming neither the backup nor what to do.
    (tmp_path / "state").write_text("a file where the state dir should be\n")
    ctx = dataclasses.replace(ctx, backup_dir=tmp_path / "state" / "install-backups")
    (ctx.project_dir / ".mcp.json").write_text('{"mcpServers": {"other": {"command": "x"}}}\n')

    assert run(["install", "claude-code", "--project"], ctx) == 2

    err = capsys.readouterr().err
    assert err.startswith(f"switchboard install: {ctx.project_dir / '.mcp.json'}: cannot be backed up into "
                          f"{ctx.backup_dir}: {tmp_path / 'state'} is a file, not a folder; move it aside (mv ")
    assert "or set SWITCHBOARD_HOME to another state directory" in err and err.endswith("; no file was changed\n")
    assert "Errno" not in err
    assert (ctx.project_dir / ".mcp.json").read_text() == '{"mcpServers": {"other": {"command": "x"}}}\n'
