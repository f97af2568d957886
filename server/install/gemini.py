"""Gemini CLI: `.gemini/settings.json` in the project or the home, with the server trusted.

`"trust": true` lets Gemini offer the tools without asking (headless runs hide untrusted MCP tools).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.install import json_config
from server.install.core import InstallContext, Scope, ServerCommand
from server.install.host import Host


def entry(server: ServerCommand) -> dict[str, Any]:
    return {"command": server.command, "args": list(server.args), "trust": True}


def _base(scope: Scope, ctx: InstallContext) -> Path:
    return (ctx.project_dir if scope is Scope.PROJECT else ctx.home) / ".gemini"


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return _base(scope, ctx) / "settings.json"


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "GEMINI.md" if scope is Scope.PROJECT else _base(scope, ctx) / "GEMINI.md"


def add_server(text: str | None, path: Path, server: ServerCommand) -> str | None:
    return json_config.set_server(text, path, entry(server))


HOST = Host(
    name="gemini",
    default_scope=Scope.PROJECT,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=json_config.remove_server,
)
