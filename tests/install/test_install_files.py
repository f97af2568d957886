"""How install and uninstall treat the host files themselves: links, modes, concurrent writers."""

from __future__ import annotations

import json

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
