"""The shared core of `switchboard install/uninstall`: contexts, plans, backups and diffs.

A host module turns the current text of a host file into the text it should have (or None: delete it).
The core reads every file first, so a malformed file stops the whole plan before anything is written,
then (server/install/apply.py) writes each changed file atomically after copying it to
``<file>.bak-<UTC timestamp>`` (in the state dir's install-backups/ when run from the CLI).
"""

from __future__ import annotations

import difflib
import io
import logging
import os
import shutil
import stat
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from server.install.writes import FileInTheWay, file_in_the_way, line_ending, why_unwritable

log = logging.getLogger(__name__)

SERVER_NAME = "switchboard"


class HostFileError(Exception):
    """A host file that cannot be read or parsed; the message names the file. Nothing was written."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class Scope(StrEnum):
    PROJECT = "project"
    USER = "user"


@dataclass(frozen=True, slots=True)
class ServerCommand:
    """What the host runs to start the server over stdio."""

    command: str
    args: tuple[str, ...] = ("serve",)


@dataclass(frozen=True, slots=True)
class RemoteServer:
    """A shared `switchboard serve --http` the host connects to (README: Team).

    The token itself is never written: the host reads it from the variable ``token_env`` when it starts
    (Claude Code and Gemini CLI expand ``${NAME}`` in a header, Codex has ``bearer_token_env_var``).
    Without ``token_env`` the entry sends no Authorization header. server/install/remote.py validates both.
    """

    url: str
    token_env: str | None = None

    @property
    def authorization(self) -> str | None:
        """The Authorization header as written in a JSON host file, ``Bearer ${NAME}``."""
        return f"Bearer ${{{self.token_env}}}" if self.token_env else None


@dataclass(frozen=True, slots=True)
class InstallContext:
    """Everything outside the process that install touches, injectable for tests."""

    home: Path
    project_dir: Path
    server: ServerCommand | RemoteServer  # the local stdio server, or `install --url` a shared HTTP one
    environ: Mapping[str, str] = field(default_factory=dict)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Where backups go (a folder per original's folder, the newest KEPT_BACKUPS of each file kept); None: beside
    # the file. The CLI uses Switchboard's state dir, so a project is not left with .bak files to commit.
    backup_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class FileChange:
    path: Path
    old: str | None  # None: the file does not exist
    new: str | None  # None: delete the file
    # How ``new`` was made from ``old``: done again if the file changes before it is written.
    edit: Callable[[str | None], str | None] = field(default=lambda text: text, compare=False, repr=False)
    newline: str = "\n"  # how the file ends its lines (CRLF in a Windows file): kept when it is written

    @property
    def action(self) -> str:
        if self.old is None:
            return "create"
        return "delete" if self.new is None else "update"


@dataclass(frozen=True, slots=True)
class Plan:
    host: str
    scope: Scope
    uninstall: bool
    changes: tuple[FileChange, ...]

    @property
    def empty(self) -> bool:
        return not self.changes


def resolve_executable(argv0: str | None = None, which: Callable[[str], str | None] = shutil.which) -> str:
    """The absolute path of the running `switchboard` executable (argv[0]), else the one on PATH."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if argv0 and Path(argv0).name == SERVER_NAME and Path(argv0).is_file():
        return os.path.abspath(argv0)
    found = which(SERVER_NAME)
    if found:
        return os.path.abspath(found)
    beside_python = Path(sys.executable).parent / SERVER_NAME
    if beside_python.is_file():
        return str(beside_python)
    raise FileNotFoundError(
        "cannot find the `switchboard` executable; run it from the virtualenv it is installed in"
    )


def merged_entry(
    current: object, required: Mapping[str, Any], defaults: Mapping[str, Any], drop: Collection[str] = ()
) -> dict[str, Any]:
    """Our entry: our keys win, keys the user added to it (env, timeouts) stay, defaults fill gaps.

    ``drop``: keys that go whatever they hold, those of the other transport (a stdio entry's `command`
    when the entry becomes a URL, and the reverse), and ours that this install does not set.
    """
    base = {k: v for k, v in current.items() if k not in drop} if isinstance(current, dict) else {}
    return {**defaults, **base, **required}


def without_authorization(headers: object) -> dict[str, Any]:
    """The headers an entry holds, less any Authorization (ours, or a token pasted in): install owns it."""
    if not isinstance(headers, dict):
        return {}
    return {k: v for k, v in headers.items() if str(k).lower() != "authorization"}


def remote_headers(current: object, key: str, server: RemoteServer) -> dict[str, Any]:
    """The ``key`` headers of a JSON entry for ``server``: ours, ``Authorization: Bearer ${NAME}`` (none
    without a token variable), and those the user added to the entry."""
    old = current.get(key) if isinstance(current, dict) else None
    headers = without_authorization(old)
    if server.authorization:
        headers["Authorization"] = server.authorization
    return headers


def read_host_file(path: Path) -> str | None:
    """The file's text with LF line ends, None when it does not exist; HostFileError if not UTF-8 text,
    or not a regular file: a pipe would be waited on for ever, and a device (a config linked to /dev/null)
    replaced by a regular file when written."""
    try:
        # O_NONBLOCK: opening a pipe must not wait for a writer (no effect on a regular file).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as raw:  # closes fd
            kind = os.fstat(raw.fileno()).st_mode
            if stat.S_ISDIR(kind):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(kind):
                raise HostFileError(path, "is not a regular file (a pipe, socket or device); switchboard leaves it alone")
            with io.TextIOWrapper(raw, encoding="utf-8") as text:  # LF line ends, as read_text gives
                return text.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError as exc:
        raise HostFileError(path, "is a directory, expected a file; move it aside") from exc
    except NotADirectoryError as exc:  # a folder of its path is a file: .claude where .claude/ is wanted
        blocker = file_in_the_way(path.parent)
        raise HostFileError(path, f"cannot be reached: {FileInTheWay(blocker) if blocker else exc}") from exc
    except UnicodeDecodeError as exc:
        raise HostFileError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 or move "
                                  "the file aside") from exc
    except OSError as exc:
        raise HostFileError(path, f"cannot be read: {exc.strerror or exc}") from exc


def change(path: Path, edit: Callable[[str | None], str | None]) -> FileChange | None:
    """Read ``path``, apply ``edit`` and return the change, or None when nothing would change."""
    old = read_host_file(path)
    new = edit(old)
    if new == old:
        return None
    if reason := why_unwritable(path):
        raise HostFileError(path, reason)
    return FileChange(path, old, new, edit, line_ending(path))


def render_diff(plan: Plan) -> str:
    """A unified diff of every change in the plan (what --dry-run prints)."""
    parts: list[str] = []
    for ch in plan.changes:
        old_name = "/dev/null" if ch.old is None else str(ch.path)
        new_name = "/dev/null" if ch.new is None else str(ch.path)
        lines = difflib.unified_diff(
            (ch.old or "").splitlines(keepends=True),
            (ch.new or "").splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
        parts.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return "".join(parts)


def describe(plan: Plan, backups: list[Path] | None = None, *, dry_run: bool = False) -> str:
    """One line per change, for people."""
    verb = ("would " if dry_run else "") + ("uninstall from" if plan.uninstall else "install into")
    if plan.empty:
        state = "not installed" if plan.uninstall else "already installed"
        return f"switchboard is {state} in {plan.host} ({plan.scope} scope): nothing to do\n"
    lines = [f"{verb} {plan.host} ({plan.scope} scope):"]
    lines += [f"  {ch.action} {ch.path}" for ch in plan.changes]
    lines += [f"  backup {b}" for b in backups or ()]
    return "\n".join(lines) + "\n"
