"""What each host module provides, and how install/uninstall plans are built from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from server.install.core import FileChange, InstallContext, Plan, RemoteServer, Scope, ServerCommand, change
from server.install.sections import remove_section, upsert_section


@dataclass(frozen=True, slots=True)
class ExtraFile:
    """Another file a host needs changed, e.g. where Claude Code records approved project servers."""

    path: Path
    add: Callable[[str | None, Path], str | None]
    remove: Callable[[str | None, Path], str | None]


def _no_extra_files(scope: Scope, ctx: InstallContext) -> tuple[ExtraFile, ...]:
    return ()


def _no_other_entry(ctx: InstallContext) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Host:
    name: str  # as typed on the command line: claude-code, codex, gemini
    default_scope: Scope
    config_path: Callable[[Scope, InstallContext], Path]
    instructions_path: Callable[[Scope, InstallContext], Path]
    # (current text or None, path, server) -> new text; the same text when already there.
    add_server: Callable[[str | None, Path, ServerCommand | RemoteServer], str | None]
    # (current text or None, path) -> new text, or None to delete the file.
    remove_server: Callable[[str | None, Path], str | None]
    extra_files: Callable[[Scope, InstallContext], tuple[ExtraFile, ...]] = _no_extra_files
    # Where the host has switchboard registered that install does not write and that wins over what it writes
    # (Claude Code's local scope), said so that the user can remove it; None when there is none.
    other_entry: Callable[[InstallContext], str | None] = _no_other_entry


def plan_install(host: Host, scope: Scope, ctx: InstallContext) -> Plan:
    """Register the server and add the guidance section; raises HostFileError before any write."""
    config = host.config_path(scope, ctx)
    notes = host.instructions_path(scope, ctx)
    changes = (
        change(config, lambda text: host.add_server(text, config, ctx.server)),
        change(notes, lambda text: upsert_section(text, notes)),
        *(change(f.path, lambda text, f=f: f.add(text, f.path)) for f in host.extra_files(scope, ctx)),
    )
    return Plan(host.name, scope, False, _present(changes))


def plan_uninstall(host: Host, scope: Scope, ctx: InstallContext) -> Plan:
    """Remove only our server entry and our section."""
    config = host.config_path(scope, ctx)
    notes = host.instructions_path(scope, ctx)
    changes = (
        change(config, lambda text: host.remove_server(text, config)),
        change(notes, lambda text: remove_section(text, notes)),
        *(change(f.path, lambda text, f=f: f.remove(text, f.path)) for f in host.extra_files(scope, ctx)),
    )
    return Plan(host.name, scope, True, _present(changes))


def _present(changes: tuple[FileChange | None, ...]) -> tuple[FileChange, ...]:
    return tuple(c for c in changes if c is not None)
