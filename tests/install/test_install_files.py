"""How install and uninstall treat the host files themselves: links, modes, concurrent writers."""

from __future__ import annotations

import json
import os
import stat

from server.install import HOSTS, Scope, apply_plan, plan_install, plan_uninstall


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
