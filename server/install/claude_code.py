"""Claude Code: project `.mcp.json`, or the user's `~/.claude.json` (as `claude mcp add -s user` writes).

Claude Code asks before it starts a server from a project's `.mcp.json`; installing is that consent, so
project scope also lists the server in `enabledMcpjsonServers` of `.claude/settings.local.json` (the
private, uncommitted settings). Claude Code reads that file once the user has trusted the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.install import json_config
from server.install.core import SERVER_NAME, InstallContext, Scope, ServerCommand
from server.install.host import ExtraFile, Host

APPROVALS_KEY = "enabledMcpjsonServers"


def entry(server: ServerCommand) -> dict[str, Any]:
    return {"type": "stdio", "command": server.command, "args": list(server.args)}


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / ".mcp.json" if scope is Scope.PROJECT else ctx.home / ".claude.json"


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "CLAUDE.md" if scope is Scope.PROJECT else ctx.home / ".claude" / "CLAUDE.md"


def add_server(text: str | None, path: Path, server: ServerCommand) -> str | None:
    return json_config.set_server(text, path, entry(server), defaults={"env": {}})


def extra_files(scope: Scope, ctx: InstallContext) -> tuple[ExtraFile, ...]:
    if scope is not Scope.PROJECT:
        return ()
    return (
        ExtraFile(
            ctx.project_dir / ".claude" / "settings.local.json",
            add=lambda text, path: json_config.add_to_list(text, path, APPROVALS_KEY, SERVER_NAME),
            remove=lambda text, path: json_config.remove_from_list(text, path, APPROVALS_KEY, SERVER_NAME),
        ),
    )


HOST = Host(
    name="claude-code",
    default_scope=Scope.PROJECT,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=json_config.remove_server,
    extra_files=extra_files,
)
