"""Codex: `[mcp_servers.switchboard]` in `$CODEX_HOME/config.toml` (~/.codex) or the project's `.codex/config.toml`.

`required = true` makes Codex wait for the server to start before the first turn (otherwise the ~1 s
Python start loses the race). The file is parsed with tomllib and our table written with tomli-w.
To keep the user's comments and layout, only our table's lines are replaced; the result is re-parsed
and must equal the intended document, else the whole file is rewritten from the parsed data.

`install --url` writes `url`, `bearer_token_env_var` (the variable's name: Codex reads the token from it
when it starts) and `required = true` instead of `command` and `args`.

Both kinds get `tool_timeout_sec = 86400` unless the table already has one (the user's stays): Codex (0.169.0)
cancels a tool call after 300 s by default (60 s in older versions and in its published config reference),
while dispatch_agent and run_batch can wait far longer for a rate window or a reset; the assistant got a
timeout instead of the results, and the dispatch was stopped part-way.
"""

from __future__ import annotations

import functools
import logging
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from router_core.providers.nesting import DISPATCHED_ENV
from server.install.core import (
    SERVER_NAME,
    HostFileError,
    InstallContext,
    RemoteServer,
    Scope,
    ServerCommand,
    merged_entry,
    without_authorization,
)
from server.install.host import Host
from server.unreadable import toml_kind, why_unreadable

log = logging.getLogger(__name__)

SERVERS_KEY = "mcp_servers"
_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_HEADER = re.compile(
    rf"^[ \t]*\[\[?[ \t]*{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*[ \t]*\]\]?[ \t]*(?:#.*)?$", re.MULTILINE
)
_OUR_HEADER = re.compile(
    rf"^[ \t]*\[[ \t]*{SERVERS_KEY}[ \t]*\.[ \t]*(?:{SERVER_NAME}|\"{SERVER_NAME}\"|'{SERVER_NAME}')"
    rf"[ \t]*(?:\.[^\]\n]*)?\][ \t]*(?:#.*)?$"
)


STDIO_KEYS = ("command", "args", "env", "env_vars", "cwd")
REMOTE_KEYS = ("url", "bearer_token_env_var", "http_headers", "env_http_headers")
# `enabled = false` (Codex then does not start the server) goes: installing is the consent, as for Claude Code.
DISABLING_KEYS = ("enabled",)
TIMEOUT_KEY = "tool_timeout_sec"
TOOL_TIMEOUT_SEC = 86_400  # a day: longer than any wait for a rate window or a provider's reset


def entry(server: ServerCommand | RemoteServer, current: object = None) -> dict[str, Any]:
    """Our table for ``server``, keeping what the user added to ``current`` (the table there now)."""
    if isinstance(server, RemoteServer):
        required: dict[str, Any] = {"url": server.url}
        if server.token_env:
            required["bearer_token_env_var"] = server.token_env
        required["required"] = True
        # Headers the user added stay, less an Authorization one: the token comes from the variable alone.
        for key in ("http_headers", "env_http_headers"):
            if headers := without_authorization(current.get(key) if isinstance(current, dict) else None):
                required[key] = headers
        table = merged_entry(current, required, {}, drop=STDIO_KEYS + REMOTE_KEYS + DISABLING_KEYS)
    else:
        required = {"command": server.command, "args": list(server.args), "required": True,
                    "env_vars": _passed_vars(current)}
        table = merged_entry(current, required, {}, drop=REMOTE_KEYS + ("http_headers_helper",) + DISABLING_KEYS)
    table.setdefault(TIMEOUT_KEY, TOOL_TIMEOUT_SEC)  # after our keys; a value the user set stays where it is
    return table


def _passed_vars(current: object) -> list[Any]:
    """The variables Codex passes the server beyond its few defaults: the user's, and the mark of a task that
    Switchboard dispatched to the codex CLI, so that the Switchboard codex starts there does not dispatch again
    (router_core/providers/nesting.py; where /proc shows ancestors it is found anyway)."""
    listed = current.get("env_vars") if isinstance(current, dict) else None
    kept = list(listed) if isinstance(listed, list) else []
    return kept if DISPATCHED_ENV in kept else [*kept, DISPATCHED_ENV]


def codex_home(ctx: InstallContext) -> Path:
    configured = ctx.environ.get("CODEX_HOME")
    return Path(configured) if configured else ctx.home / ".codex"


def config_path(scope: Scope, ctx: InstallContext) -> Path:
    return (
        ctx.project_dir / ".codex" / "config.toml"
        if scope is Scope.PROJECT
        else codex_home(ctx) / "config.toml"
    )


def instructions_path(scope: Scope, ctx: InstallContext) -> Path:
    return ctx.project_dir / "AGENTS.md" if scope is Scope.PROJECT else codex_home(ctx) / "AGENTS.md"


def _parse(text: str | None, path: Path) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise HostFileError(path, f"is not valid TOML: {exc}; fix it or move the file aside") from exc
    except (RecursionError, ValueError) as exc:  # nested too deeply, or a number too long to convert
        raise HostFileError(path, f"cannot be read as TOML ({why_unreadable(exc)}); fix or move the file aside") from None
    servers = doc.get(SERVERS_KEY)
    if servers is not None and not isinstance(servers, dict):
        raise HostFileError(path, f"`{SERVERS_KEY}` must be a table, found {toml_kind(servers)}; fix it or move "
                                  "the file aside")
    return doc


def _without_our_tables(text: str) -> tuple[str, int]:
    """The text minus our table(s) and where the first one started (end of text if none).

    Comments after our table's last key stay, with the blank lines between them: they may introduce the
    next table, or be the user's own lines at the end of the file (where install put our table).
    """
    kept: list[str] = []
    pending: list[str] = []  # comments (and blank lines among them) after the last key of our table
    at = None
    skipping = False
    for line in text.splitlines(keepends=True):
        if _HEADER.match(line):
            if skipping:
                kept += pending
                pending = []
            skipping = bool(_OUR_HEADER.match(line))
            if skipping and at is None:
                at = sum(len(k) for k in kept)
        if not skipping:
            kept.append(line)
        elif line.lstrip().startswith("#") or (pending and not line.strip()):
            pending.append(line)
        elif line.strip():
            pending = []
    kept += pending  # our table was the last one: what followed its keys is the user's
    rest = "".join(kept)
    return rest, len(rest) if at is None else at


def _normal(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not (k == SERVERS_KEY and v == {})}


def _edited(
    text: str | None, path: Path, expected: dict[str, Any], table: dict[str, Any] | None
) -> str | None:
    """Splice ``table`` (or nothing) in place of our table; fall back to a full rewrite if that is not exact."""
    rest, at = _without_our_tables(text or "")
    block = tomli_w.dumps({SERVERS_KEY: {SERVER_NAME: table}}) if table is not None else ""
    head, tail = rest[:at], rest[at:]
    if block and head.strip() and not head.endswith("\n\n"):
        head = head + ("\n" if head.endswith("\n") else "\n\n")
    if block and tail.strip():
        block += "\n"
    if not block and not tail.strip():
        head = head.rstrip("\n") + "\n"  # drop the blank line that separated our table
    candidate = head + block + tail
    try:
        exact = _normal(tomllib.loads(candidate)) == _normal(expected)
    except tomllib.TOMLDecodeError:
        exact = False
    if not exact:
        log.warning("%s: rewriting the whole file (comments and layout are not kept)", path)
        candidate = tomli_w.dumps(expected)
    return candidate if candidate.strip() else None


_BOM = "\ufeff"


def _keeping_bom(edit: Callable[..., str | None]) -> Callable[..., str | None]:
    """``edit`` made on the text after a leading UTF-8 BOM, which stays. Windows editors write one; the
    toml crate Codex reads its config with skips it, tomllib refuses it ("Invalid statement")."""

    @functools.wraps(edit)
    def edited(text: str | None, *args: Any) -> str | None:
        if text is None or not text.startswith(_BOM):
            return edit(text, *args)
        new = edit(text[len(_BOM) :], *args)
        return None if new is None else _BOM + new

    return edited


@_keeping_bom
def add_server(text: str | None, path: Path, server: ServerCommand | RemoteServer) -> str | None:
    doc = _parse(text, path)
    servers = doc.get(SERVERS_KEY) or {}
    current = servers.get(SERVER_NAME)
    table = entry(server, current)
    if current == table:
        return text
    expected = {**doc, SERVERS_KEY: {**servers, SERVER_NAME: table}}
    return _edited(text, path, expected, table)


@_keeping_bom
def remove_server(text: str | None, path: Path) -> str | None:
    doc = _parse(text, path)
    servers = doc.get(SERVERS_KEY) or {}
    if SERVER_NAME not in servers:
        return text
    expected = {**doc, SERVERS_KEY: {k: v for k, v in servers.items() if k != SERVER_NAME}}
    return _edited(text, path, _normal(expected), None)


HOST = Host(
    name="codex",
    default_scope=Scope.USER,
    config_path=config_path,
    instructions_path=instructions_path,
    add_server=add_server,
    remove_server=remove_server,
)
