"""Gemini CLI: `.gemini/settings.json` in the project or the home, with the server trusted.

`"trust": true` lets Gemini offer the tools without asking (headless runs hide untrusted MCP tools).

`install --url` writes `{"httpUrl": ..., "headers": {"Authorization": "Bearer ${NAME}"}, "trust": true}`:
Gemini CLI expands `${NAME}` in its settings from its environment (checked with Gemini CLI 0.61.0).
`url` (SSE, or HTTP with `"type": "http"`, as `gemini mcp add -t http` writes) gives way to `httpUrl`.

Both kinds get `"timeout": 86400000` (milliseconds) unless the entry already has one (the user's stays):
Gemini CLI cancels a tool call after 10 minutes by default, and dispatch_agent and run_batch can wait longer
for rate windows and resets. Gemini uses the same value to connect, where Switchboard answers in about 1 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.install import json_config
from server.install.core import (
    InstallContext,
    RemoteServer,
    Scope,
    ServerCommand,
    merged_entry,
    remote_headers,
)
from server.install.host import Host

STDIO_KEYS = ("command", "args", "env", "cwd")
REMOTE_KEYS = ("httpUrl", "url", "type", "headers")
TIMEOUT_KEY = "timeout"
# A day. Node's timers take at most 2**31 - 1 ms (24.8 days); a longer delay fires at once.
TIMEOUT_MS = 86_400_000


def entry(server: ServerCommand | RemoteServer, current: object = None) -> dict[str, Any]:
    """Our entry for ``server``, keeping what the user added to ``current`` (the entry there now)."""
    if isinstance(server, RemoteServer):
        required: dict[str, Any] = {"httpUrl": server.url}
        if headers := remote_headers(current, "headers", server):
            required["headers"] = headers
        required["trust"] = True
        ours = merged_entry(current, required, {}, drop=STDIO_KEYS + REMOTE_KEYS)
    else:
        required = {"command": server.command, "args": list(server.args), "trust": True}
        ours = merged_entry(current, required, {}, drop=REMOTE_KEYS)
    ours.setdefault(TIMEOUT_KEY, TIMEOUT_MS)  # after our keys; a value the user set stays where it is
    return ours


def _base(scope: Scope, ctx: InstallContext) -> Path:
    return (ctx.project_dir if scope is Scope.PROJECT else ctx.home) / ".gemini"


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return _base(scope, ctx) / "settings.json"


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "GEMINI.md" if scope is Scope.PROJECT else _base(scope, ctx) / "GEMINI.md"


def add_server(text: str | None, path: Path, server: ServerCommand | RemoteServer) -> str | None:
    return json_config.set_server(text, path, lambda current: entry(server, current))


HOST = Host(
    name="gemini",
    default_scope=Scope.PROJECT,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=json_config.remove_server,
)
