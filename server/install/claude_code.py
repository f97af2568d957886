"""Claude Code: project `.mcp.json`, or the user's `~/.claude.json` (as `claude mcp add -s user` writes).

Claude Code asks before it starts a server from a project's `.mcp.json`; installing is that consent, so
project scope also lists the server in `enabledMcpjsonServers` of `.claude/settings.local.json` (the
private, uncommitted settings), and takes it out of `disabledMcpjsonServers` there if the user once declined it. Claude Code reads that file once the user has trusted the folder.

`install --url` writes a remote entry instead, `{"type": "http", "url": ..., "headers": {"Authorization":
"Bearer ${NAME}"}}`: Claude Code expands `${NAME}` from its environment in `.mcp.json` and in
`~/.claude.json` alike (checked with Claude Code 2.1.197), so only the variable's name is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.install import json_config
from server.install.core import (
    SERVER_NAME,
    InstallContext,
    RemoteServer,
    Scope,
    ServerCommand,
    merged_entry,
    remote_headers,
)
from server.install.host import ExtraFile, Host

APPROVALS_KEY = "enabledMcpjsonServers"
REJECTIONS_KEY = "disabledMcpjsonServers"  # where Claude Code keeps a server the user declined: checked first


STDIO_KEYS = ("command", "args", "env")
REMOTE_KEYS = ("url", "headers")


def entry(server: ServerCommand | RemoteServer, current: object = None) -> dict[str, Any]:
    """Our entry for ``server``, keeping what the user added to ``current`` (the entry there now)."""
    if isinstance(server, RemoteServer):
        required: dict[str, Any] = {"type": "http", "url": server.url}
        if headers := remote_headers(current, "headers", server):
            required["headers"] = headers
        return merged_entry(current, required, {}, drop=STDIO_KEYS + REMOTE_KEYS)
    required = {"type": "stdio", "command": server.command, "args": list(server.args)}
    return merged_entry(current, required, {"env": {}}, drop=REMOTE_KEYS)


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / ".mcp.json" if scope is Scope.PROJECT else ctx.home / ".claude.json"


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "CLAUDE.md" if scope is Scope.PROJECT else ctx.home / ".claude" / "CLAUDE.md"


def add_server(text: str | None, path: Path, server: ServerCommand | RemoteServer) -> str | None:
    return json_config.set_server(text, path, lambda current: entry(server, current))


def extra_files(scope: Scope, ctx: InstallContext) -> tuple[ExtraFile, ...]:
    if scope is not Scope.PROJECT:
        return ()
    return (
        ExtraFile(
            ctx.project_dir / ".claude" / "settings.local.json",
            add=_approved,
            remove=lambda text, path: json_config.remove_from_list(text, path, APPROVALS_KEY, SERVER_NAME),
        ),
    )


def _approved(text: str | None, path: Path) -> str | None:
    """Listed as approved, and no longer as declined: Claude Code (2.1.197) looks at the declined list first,
    so a server the user had once declined stayed off after install said it was set up."""
    text = json_config.add_to_list(text, path, APPROVALS_KEY, SERVER_NAME)
    return json_config.remove_from_list(text, path, REJECTIONS_KEY, SERVER_NAME)


def local_entry(ctx: InstallContext) -> str | None:
    """Where `claude mcp add` (local scope, its default) registered switchboard for this project: Claude Code
    keeps it in ~/.claude.json under projects[<folder>] and prefers it to the project's and the user's."""
    path = ctx.home / ".claude.json"
    try:
        projects = json.loads(path.read_text(encoding="utf-8")).get("projects")
    except (OSError, ValueError, AttributeError):  # none, unreadable, not JSON, not an object
        return None
    if not isinstance(projects, dict):
        return None
    for folder in dict.fromkeys((str(ctx.project_dir), str(ctx.project_dir.resolve()))):
        servers = projects.get(folder, {}).get("mcpServers") if isinstance(projects.get(folder), dict) else None
        if isinstance(servers, dict) and SERVER_NAME in servers:
            return (f"{path} also registers {SERVER_NAME} for {folder} in Claude Code's local scope (`claude mcp "
                    f"add` writes it there), which Claude Code prefers to the project's and the user's entries; "
                    f"remove it with `claude mcp remove -s local {SERVER_NAME}` in that folder unless it is the one "
                    "you want")
    return None


HOST = Host(
    name="claude-code",
    default_scope=Scope.PROJECT,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=json_config.remove_server,
    extra_files=extra_files,
    other_entry=local_entry,
)
