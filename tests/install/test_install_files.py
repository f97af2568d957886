"""How install and uninstall treat the host files themselves: links, modes, concurrent writers."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
from pathlib import Path
from urllib.parse import quote

import pytest

from server.install import HOSTS, ApplyError, HostFileError, Scope, apply_plan, plan_install, plan_uninstall
from tests.fifos import without_waiting_on

EXE = "/opt/sb/.venv/bin/switchboard"


def install(host, scope, ctx):
    return apply_plan(plan_install(HOSTS[host], scope, ctx), ctx)


def uninstall(host, scope, ctx):
    return apply_plan(plan_uninstall(HOSTS[host], scope, ctx), ctx)


def test_a_symlinked_config_is_written_through_the_link_and_never_deleted(ctx):
    repo = ctx.home / "dotfiles"
    repo.mkdir()
    real = repo / "config.toml"
    real.write_text('# mine\nmodel = "o3"\n')
    (ctx.home / ".codex").mkdir()
    link = ctx.home / ".codex" / "config.toml"
    link.symlink_to(real)

    install("codex", Scope.USER, ctx)

    assert link.is_symlink() and link.resolve() == real
    assert (
        real.read_text().startswith('# mine\nmodel = "o3"\n')
        and "[mcp_servers.switchboard]" in real.read_text()
    )

    uninstall("codex", Scope.USER, ctx)
    assert link.is_symlink() and real.read_text() == '# mine\nmodel = "o3"\n'


def test_uninstall_empties_a_symlinked_file_it_would_delete(ctx):
    real = ctx.home / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text("{}\n")
    (ctx.home / ".gemini").mkdir()
    link = ctx.home / ".gemini" / "settings.json"
    link.symlink_to(real)
    install("gemini", Scope.USER, ctx)
    assert "switchboard" in json.loads(real.read_text())["mcpServers"]

    uninstall("gemini", Scope.USER, ctx)

    assert link.is_symlink() and json.loads(real.read_text()) == {}


def test_new_files_get_the_umask_mode_and_existing_files_keep_theirs(ctx):
    old_umask = os.umask(0o022)
    try:
        (ctx.project_dir / ".mcp.json").write_text("{}\n")
        (ctx.project_dir / ".mcp.json").chmod(0o640)
        install("claude-code", Scope.PROJECT, ctx)
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE((ctx.project_dir / "CLAUDE.md").stat().st_mode) == 0o644
    assert stat.S_IMODE((ctx.project_dir / ".claude" / "settings.local.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((ctx.project_dir / ".mcp.json").stat().st_mode) == 0o640


def test_a_change_made_by_the_host_after_the_plan_was_read_is_kept(ctx):
    path = ctx.home / ".claude.json"
    path.write_text(json.dumps({"numStartups": 1, "mcpServers": {}}))
    plan = plan_install(HOSTS["claude-code"], Scope.USER, ctx)
    path.write_text(json.dumps({"numStartups": 2, "mcpServers": {}}))  # Claude Code, meanwhile

    backups = apply_plan(plan, ctx)

    doc = json.loads(path.read_text())
    assert doc["numStartups"] == 2 and doc["mcpServers"]["switchboard"]["command"] == EXE
    [bak] = [b for b in backups if b.name.startswith(".claude.json.bak-")]
    assert json.loads(bak.read_text()) == {"numStartups": 2, "mcpServers": {}}


def test_a_file_that_keeps_changing_is_left_alone_with_no_backup_behind(ctx, monkeypatch):
    path = ctx.home / ".claude.json"
    path.write_text('{"n": 0}')
    plan = plan_install(HOSTS["claude-code"], Scope.USER, ctx)
    copy = shutil.copy2
    writes = iter(range(1, 100))

    def copy_then_host_writes(src, dst):  # the host rewrites the file after each backup
        copy(src, dst)
        Path(src).write_text(json.dumps({"n": next(writes)}))

    monkeypatch.setattr("server.install.apply.shutil.copy2", copy_then_host_writes)

    with pytest.raises(ApplyError, match="kept changing.*; no file was changed"):
        apply_plan(plan, ctx)

    assert "switchboard" not in path.read_text()
    assert sorted(p.name for p in ctx.home.iterdir()) == [".claude.json"]


@pytest.mark.parametrize(
    ("host", "notes", "config", "text"),
    [
        ("claude-code", "CLAUDE.md", ".mcp.json", '{\r\n  "mcpServers": {}\r\n}\r\n'),
        ("codex", "AGENTS.md", ".codex/config.toml", '# mine\r\nmodel = "o3"\r\n'),
    ],
)
def test_a_file_with_windows_line_ends_keeps_them(ctx, host, notes, config, text):
    (ctx.project_dir / notes).write_bytes(b"# Notes\r\n\r\nBe brief.\r\n")
    (ctx.project_dir / config).parent.mkdir(exist_ok=True)
    (ctx.project_dir / config).write_bytes(text.encode())

    install(host, Scope.PROJECT, ctx)

    for name in (notes, config):
        data = (ctx.project_dir / name).read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n") > 3
    assert (ctx.project_dir / notes).read_bytes().startswith(b"# Notes\r\n\r\nBe brief.\r\n\r\n<!--")

    uninstall(host, Scope.PROJECT, ctx)
    assert (ctx.project_dir / notes).read_bytes() == b"# Notes\r\n\r\nBe brief.\r\n"
    if host == "codex":
        assert (ctx.project_dir / config).read_bytes() == text.encode()


@pytest.mark.parametrize("action", [plan_install, plan_uninstall])
def test_a_read_only_file_is_refused_before_anything_is_written(ctx, snapshot, action):
    if action is plan_uninstall:
        install("codex", Scope.USER, ctx)
    config = ctx.home / ".codex" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    if action is plan_install:
        config.write_text('model = "o3"\n')
    config.chmod(0o444)
    before = snapshot(ctx.home.parent)

    with pytest.raises(HostFileError, match="is read-only"):
        action(HOSTS["codex"], Scope.USER, ctx)

    assert snapshot(ctx.home.parent) == before


def test_a_folder_that_is_not_writable_is_refused_before_anything_is_written(ctx, snapshot):
    (ctx.home / ".claude.json").write_text('{"numStartups": 3}\n')
    (ctx.home / ".claude").mkdir()
    (ctx.home / ".claude").chmod(0o555)
    before = snapshot(ctx.home.parent)
    try:
        with pytest.raises(HostFileError, match="folder .*/.claude is not writable"):
            plan_install(HOSTS["claude-code"], Scope.USER, ctx)
    finally:
        (ctx.home / ".claude").chmod(0o755)

    assert snapshot(ctx.home.parent) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files to another user")
def test_run_as_root_the_users_files_stay_the_users(ctx):
    nobody = 65534
    os.chown(ctx.home, nobody, nobody)
    config = ctx.home / ".claude.json"
    config.write_text('{"numStartups": 3}\n')
    config.chmod(0o600)
    os.chown(config, nobody, nobody)

    ctx = dataclasses.replace(ctx, backup_dir=ctx.home / ".switchboard" / "install-backups")

    install("claude-code", Scope.USER, ctx)

    backups = ctx.backup_dir / quote(str(ctx.home), safe="")
    for path in (config, ctx.home / ".claude", ctx.home / ".claude" / "CLAUDE.md", ctx.home / ".switchboard",
                 ctx.backup_dir, backups):
        assert (path.stat().st_uid, path.stat().st_gid) == (nobody, nobody), path
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_the_new_text_is_on_disk_before_it_replaces_the_file(ctx, monkeypatch):
    """After a power cut, a rename that reached the disk before the data leaves an empty ~/.claude.json:
    each temporary file is synced before it replaces the file."""
    path = ctx.home / ".claude.json"
    path.write_text('{"numStartups": 3}\n')
    synced: set[int] = set()
    unsynced: list[str] = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd):
        fsync(fd)
        synced.add(os.fstat(fd).st_ino)

    def checking_replace(src, dst):
        if os.stat(src).st_ino not in synced:
            unsynced.append(str(dst))
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", checking_replace)

    install("claude-code", Scope.USER, ctx)

    assert unsynced == []
    assert json.loads(path.read_text())["numStartups"] == 3
    assert (ctx.home / ".claude" / "CLAUDE.md").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_a_host_file_that_is_a_pipe_is_refused_without_waiting_for_a_writer(ctx):
    fifo = ctx.home / ".claude.json"
    os.mkfifo(fifo)
    error = without_waiting_on(fifo, lambda: plan_install(HOSTS["claude-code"], Scope.USER, ctx),
                               "install, on a pipe named like ~/.claude.json,")
    assert isinstance(error, HostFileError)
    assert "is not a regular file" in str(error)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.skipif(not os.path.exists(os.devnull) or os.name != "posix", reason="needs /dev/null")
def test_a_host_file_linked_to_a_device_is_refused_before_anything_is_written(ctx, snapshot):
    """A config linked to /dev/null (to keep a host from saving it) must not be replaced: run as root,
    the rename would put a regular file in place of /dev/null."""
    (ctx.home / ".codex").mkdir()
    (ctx.home / ".codex" / "config.toml").symlink_to(os.devnull)
    before = snapshot(ctx.home.parent)

    with pytest.raises(HostFileError, match="is not a regular file"):
        plan_install(HOSTS["codex"], Scope.USER, ctx)

    assert snapshot(ctx.home.parent) == before
    assert (ctx.home / ".codex" / "config.toml").is_symlink()
