"""`switchboard install|uninstall <host>`: register the MCP server in Claude Code, Codex or Gemini CLI.

plan = plan_install(HOSTS["codex"], Scope.USER, ctx)   # reads and validates, writes nothing
(ctx.server: the local stdio ServerCommand, or a RemoteServer from remote_server(url, token_env, ...))
print(render_diff(plan)); apply_plan(plan, ctx)         # backs up, then writes atomically
"""

from __future__ import annotations

from server.install import claude_code, codex, gemini
from server.install.apply import ApplyError, apply_plan
from server.install.core import (
    SERVER_NAME,
    FileChange,
    HostFileError,
    InstallContext,
    Plan,
    RemoteServer,
    Scope,
    ServerCommand,
    describe,
    render_diff,
    resolve_executable,
)
from server.install.host import Host, plan_install, plan_uninstall
from server.install.remote import RemoteServerError, remote_server

HOSTS: dict[str, Host] = {h.name: h for h in (claude_code.HOST, codex.HOST, gemini.HOST)}

__all__ = [
    "HOSTS",
    "ApplyError",
    "SERVER_NAME",
    "FileChange",
    "Host",
    "HostFileError",
    "InstallContext",
    "Plan",
    "RemoteServer",
    "RemoteServerError",
    "Scope",
    "ServerCommand",
    "apply_plan",
    "describe",
    "plan_install",
    "plan_uninstall",
    "remote_server",
    "render_diff",
    "resolve_executable",
]
