"""Claude Code: project `.mcp.json`, or the user's `~/.claude.json` (as `claude mcp add -s user` writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.install import json_config
from server.install.core import InstallContext, Scope, ServerCommand
from server.install.host import Host


def entry(server: ServerCommand) -> dict[str, Any]:
    return {"type": "stdio", "command": server.command, "args": list(server.args)}


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / ".mcp.json" if scope is Scope.PROJECT else ctx.home / ".claude.json"


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "CLAUDE.md" if scope is Scope.PROJECT else ctx.home / ".claude" / "CLAUDE.md"


def add_server(text: str | None, path: Path, server: ServerCommand) -> str | None:
    return json_config.set_server(text, path, entry(server), defaults={"env": {}})


HOST = Host(
    name="claude-code",
    default_scope=Scope.PROJECT,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=json_config.remove_server,
)
