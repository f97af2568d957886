"""`switchboard install|uninstall claude-code|codex|gemini [--project|--user] [--dry-run]`.

`install HOST --url URL [--token-env NAME]` points the host at a shared `switchboard serve --http`
(README: Team) instead of the local stdio server; uninstall removes either kind of entry.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from server.install import InstallContext, RemoteServer

EXIT_OK = 0
EXIT_ERROR = 2
# The names of server.install.HOSTS (a test keeps them equal): server.install is imported only when
# these commands run, not by every `switchboard` command such as `serve`.
HOST_NAMES = ("claude-code", "codex", "gemini")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `install` and `uninstall` subcommands; each sets ``func(args) -> int``."""
    for name, uninstall in (("install", False), ("uninstall", True)):
        verb = "Remove switchboard from" if uninstall else "Register switchboard in"
        p = subparsers.add_parser(
            name,
            help=f"{verb.lower()} an AI coding assistant's MCP configuration",
            description=f"{verb} Claude Code, Codex or Gemini CLI, and "
            + ("remove" if uninstall else "add")
            + " the short guidance section in CLAUDE.md / AGENTS.md / GEMINI.md. Files are backed up first.",
        )
        p.add_argument("host", choices=HOST_NAMES, help="the assistant to configure")
        scope = p.add_mutually_exclusive_group()
        scope.add_argument(
            "--project",
            dest="scope",
            action="store_const",
            const="project",
            help="this project's files (default for claude-code and gemini)",
        )
        scope.add_argument(
            "--user",
            dest="scope",
            action="store_const",
            const="user",
            help="the user's files in the home directory (default for codex)",
        )
        p.add_argument(
            "--project-dir", type=Path, default=None, help="the project (default: the current directory)"
        )
        p.add_argument("--dry-run", action="store_true", help="print the diff and write nothing")
        if not uninstall:
            p.add_argument(
                "--url",
                default=None,
                help="connect to a shared `switchboard serve --http` at this URL (http://HOST:8765/mcp) "
                "instead of starting the local server",
            )
            p.add_argument(
                "--token-env",
                default=None,
                metavar="NAME",
                help="with --url: the environment variable holding the server's token; its name is written "
                "and the assistant reads the token from it when it starts (the token is never written)",
            )
        p.set_defaults(func=run_uninstall if uninstall else run_install)


def context_from(args: argparse.Namespace, server: RemoteServer | None = None) -> InstallContext:
    from server.install import InstallContext, ServerCommand, resolve_executable

    project = (args.project_dir or Path.cwd()).absolute()
    if not project.is_dir():  # a mistyped --project-dir would be created, and the files written there
        raise OSError(f"--project-dir {project} is not a directory; give the project's folder (it must exist)")
    return InstallContext(
        home=Path.home(),
        project_dir=project,
        server=server or ServerCommand(resolve_executable()),
        environ=dict(os.environ),
        backup_dir=_state_dir(os.environ) / "install-backups",
    )


def _state_dir(environ: Mapping[str, str]) -> Path:
    """Switchboard's state dir as the server would use it; with a broken config, SWITCHBOARD_HOME or the
    default (install must work to repair a setup, so its config is not required to load)."""
    from config import ConfigError, load_settings
    from config.loader import DEFAULT_STATE_DIR, expand_home

    try:
        return load_settings(environ=environ).state_dir
    except ConfigError:
        home = environ.get("SWITCHBOARD_HOME")
        try:
            return expand_home(home or DEFAULT_STATE_DIR, "SWITCHBOARD_HOME" if home else "the default state dir")
        except ConfigError as exc:  # said as install's error, not a traceback
            raise OSError(str(exc)) from None


def run_install(
    args: argparse.Namespace, ctx: InstallContext | None = None, out: TextIO | None = None
) -> int:
    return _run(args, uninstall=False, ctx=ctx, out=out)


def run_uninstall(
    args: argparse.Namespace, ctx: InstallContext | None = None, out: TextIO | None = None
) -> int:
    return _run(args, uninstall=True, ctx=ctx, out=out)


def _run(args: argparse.Namespace, *, uninstall: bool, ctx: InstallContext | None, out: TextIO | None) -> int:
    from server.install import (
        HOSTS,
        ApplyError,
        HostFileError,
        RemoteServerError,
        Scope,
        apply_plan,
        describe,
        plan_install,
        plan_uninstall,
        remote_server,
        render_diff,
    )

    out = out or sys.stdout
    host = HOSTS[args.host]
    scope = Scope(args.scope) if args.scope else host.default_scope
    url, token_env = getattr(args, "url", None), getattr(args, "token_env", None)
    remote = None
    if token_env is not None and url is None:
        print(
            "switchboard install: --token-env needs --url (the shared server it is the token of); "
            "without --url the assistant starts switchboard itself and needs no token",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if url is not None:
        try:
            remote, warnings = remote_server(url, token_env, ctx.environ if ctx else os.environ, host.name)
        except RemoteServerError as exc:
            print(f"switchboard install: {exc}; nothing was changed", file=sys.stderr)
            return EXIT_ERROR
        for warning in warnings:
            print(f"switchboard install: warning: {warning}", file=sys.stderr)
    try:
        if ctx is None:
            ctx = context_from(args, remote)
        elif remote is not None:
            ctx = replace(ctx, server=remote)
        plan = (plan_uninstall if uninstall else plan_install)(host, scope, ctx)
    except HostFileError as exc:
        print(f"switchboard {_verb(uninstall)}: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"switchboard {_verb(uninstall)}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.dry_run:
        out.write(describe(plan, dry_run=True))
        out.write(render_diff(plan))
        _warn_of_other_entry(host, ctx, uninstall)  # as the run it previews will
        return EXIT_OK
    try:
        backups = apply_plan(plan, ctx)
    except ApplyError as exc:
        print(f"switchboard {_verb(uninstall)}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    out.write(describe(plan, backups))
    _warn_of_other_entry(host, ctx, uninstall)
    if remote is not None and not plan.empty:
        token = f", with the token from ${remote.token_env} when it starts" if remote.token_env else ", with no token"
        out.write(f"{host.name} connects to {remote.url}{token}\n")
    return EXIT_OK


def _warn_of_other_entry(host, ctx, uninstall: bool) -> None:
    if (elsewhere := host.other_entry(ctx)) is not None:
        print(f"switchboard {_verb(uninstall)}: warning: {elsewhere}", file=sys.stderr)


def _verb(uninstall: bool) -> str:
    return "uninstall" if uninstall else "install"
