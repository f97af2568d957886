"""Apply a plan: back each file up, then write it, unless another program changed it since it was read.

Hosts rewrite their own files while they run (Claude Code rewrites ~/.claude.json all the time). A plan
holds the text read when it was made; writing its result over a file changed since would drop the other
program's change. So just before each replace the file must still be the one that was read and backed
up (same inode, size and mtime); if not, the host edit is done again on the new text, a few times at most.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from glob import escape as glob_escape
from pathlib import Path
from urllib.parse import quote

from server.install.core import FileChange, HostFileError, InstallContext, Plan, read_host_file
from server.install.writes import FileInTheWay, delete, make_folders, real_path, write_atomically

log = logging.getLogger(__name__)

ATTEMPTS = 5
KEPT_BACKUPS = 10  # per file, when backups go to a backup folder
NAME_MAX = 255  # the longest name of a file or folder, in bytes (Linux, macOS)


class ChangedMeanwhile(Exception):
    """The file is no longer the one the change was computed from."""


class ApplyError(Exception):
    """Writing a file failed; the message says which files were changed before it, and their backups."""

    def __init__(self, cause: Exception, done: list[Path], backups: list[Path]):
        if done:
            state = "already changed: " + ", ".join(map(str, done))
            state += f" (backups: {', '.join(map(str, backups))})" if backups else ""
        else:
            state = "no file was changed"
        super().__init__(f"{cause}; {state}")
        self.done = done
        self.backups = backups


def apply_plan(plan: Plan, ctx: InstallContext) -> list[Path]:
    """Write the plan; returns the backups made. Files that did not exist get no backup."""
    backups: list[Path] = []
    done: list[Path] = []
    for ch in plan.changes:
        try:
            bak = _apply(ch, ctx)
        except (HostFileError, OSError) as exc:
            raise ApplyError(exc, done, backups) from exc
        done.append(ch.path)
        if bak is not None:
            backups.append(bak)
    return backups


def backup_path(path: Path, now: datetime, backup_dir: Path | None = None) -> Path:
    """``<file>.bak-<UTC timestamp>``, beside the file or in ``backup_dir``'s folder for the file's folder."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = path.parent if backup_dir is None else _backup_folder(path, backup_dir)
    candidate = folder / f"{path.name}.bak-{stamp}"
    n = 1
    while candidate.exists():
        candidate = folder / f"{path.name}.bak-{stamp}-{n}"
        n += 1
    return candidate


def _backup_folder(path: Path, backup_dir: Path) -> Path:
    # Private (0700): ~/.claude.json and MCP settings can hold keys in their servers' env.
    folder = backup_dir / _folder_name(path)
    make_folders(folder, mode=0o700)
    return folder


def _folder_name(path: Path) -> str:
    """The name of the backup folder for ``path``'s folder: that folder's path, quoted; if longer than a name
    may be (a deep project, or a non-ASCII one: a Cyrillic letter quotes to 6 characters, a CJK one to 9),
    a digest of the path then its end, which still says which project it is."""
    name = quote(str(path.absolute().parent), safe="")
    if len(name) <= NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{digest}-{name[len(name) - (NAME_MAX - len(digest) - 1):]}"


def prune_backups(path: Path, backup_dir: Path, keep: int = KEPT_BACKUPS) -> None:
    """Delete all but the newest ``keep`` backups of ``path`` in ``backup_dir`` (names sort by time)."""
    folder = backup_dir / _folder_name(path)
    found = sorted(folder.glob(f"{glob_escape(path.name)}.bak-*"))  # by name: by stamp (copy2 keeps the mtime)
    for old in found[:-keep] if keep else found:
        old.unlink(missing_ok=True)


def _apply(ch: FileChange, ctx: InstallContext) -> Path | None:
    for _ in range(ATTEMPTS):
        try:
            return _apply_once(ch, ctx)
        except ChangedMeanwhile:
            log.info("%s changed while being written; editing the new text", ch.path)
            current = read_host_file(ch.path)
            ch = replace(ch, old=current, new=ch.edit(current))
            if ch.new == ch.old:
                return None
    raise HostFileError(
        ch.path, "kept changing while switchboard tried to write it (is the assistant running?); try again"
    )


def _apply_once(ch: FileChange, ctx: InstallContext) -> Path | None:
    seen = _identity(real_path(ch.path))
    if (ch.old is None) != (seen is None):
        raise ChangedMeanwhile
    bak = None
    if ch.old is not None:
        try:
            bak = backup_path(ch.path, ctx.now(), ctx.backup_dir)
            shutil.copy2(ch.path, bak)
        except OSError as exc:
            raise _not_backed_up(ch.path, ctx.backup_dir, exc) from None
        if not _holds(bak, ch.old):
            bak.unlink()
            raise ChangedMeanwhile

    def unchanged() -> None:
        if _identity(real_path(ch.path)) != seen:
            if bak is not None:
                bak.unlink(missing_ok=True)
            raise ChangedMeanwhile

    if ch.new is None:
        delete(ch.path, before=unchanged)
    else:
        write_atomically(ch.path, ch.new, before_replace=unchanged, newline=ch.newline)
    log.info("%s %s", ch.action, ch.path)
    if bak is not None and ctx.backup_dir is not None:
        prune_backups(ch.path, ctx.backup_dir)
    return bak


def _not_backed_up(path: Path, backup_dir: Path | None, exc: OSError) -> HostFileError:
    """Why ``path`` could not be backed up, and what to do: it was "[Errno 30] Read-only file system: '...'" for a
    state dir that cannot be written."""
    if isinstance(exc, FileInTheWay):  # not a matter of permissions: said as such
        if backup_dir is None:
            return HostFileError(path, f"cannot be backed up beside itself: {exc}")
        return HostFileError(path, f"cannot be backed up into {backup_dir}: {exc}, or set SWITCHBOARD_HOME to "
                                   "another state directory (backups go to its install-backups)")
    why = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
    if backup_dir is None:
        return HostFileError(path, f"cannot be backed up beside itself ({why}); make its folder writable")
    return HostFileError(path, f"cannot be backed up into {backup_dir} ({why}); make that folder writable, or set "
                               "SWITCHBOARD_HOME to a writable state directory (backups go to its install-backups)")


def _holds(path: Path, text: str) -> bool:
    try:
        return read_host_file(path) == text
    except HostFileError:  # caught half-written by another program
        return False


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns
