"""What went wrong with the state database's storage, as a StateUnusable that says what to do.

SQLite reports a full disk, a read-only file, an I/O error or a damaged file as ``sqlite3`` errors; they
can come at open or in any later statement (the disk fills while the server runs, the file is made
read-only, or is owned by another user after a run under sudo). Each is translated once, by the
database's transaction scopes and queries, into a message naming the file and the fix. Other errors
(a bug in a statement) are left as they are. A database still locked by another connection's write when the
busy timeout runs out is said as such: which file, that nothing of this call was written, and what to do.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from router_core.errors import StateUnusable

_DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
_READ_ONLY = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM)
_IO = (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN)
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# Less free than this, an I/O error is taken for a full disk: SQLite's WAL index grows by 32 KiB, its log by pages.
_NEARLY_FULL_BYTES = 1 << 20


def storage_fault(path: Path, exc: BaseException) -> StateUnusable | None:
    """The StateUnusable for ``exc`` if it is a fault of the storage under ``path``, else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.Error) or code is None:
        return None
    primary = code & 0xFF
    if primary in _DAMAGED:
        return StateUnusable(
            f"the state database {path} is not a SQLite database or is damaged ({exc}): move it aside "
            f"(with any {path.name}-wal and {path.name}-shm beside it) and Switchboard will create a fresh "
            "one (its usage, budget and feedback history start again)"
        )
    if primary == sqlite3.SQLITE_FULL:
        return StateUnusable(
            f"the disk holding the state database {path} is full ({exc}); nothing of this call was recorded: "
            "free some space there, or set SWITCHBOARD_HOME to a directory on another disk"
        )
    if primary in _READ_ONLY:
        return read_only(path, str(exc))
    if primary in _BUSY:
        return locked(path, str(exc))
    if primary in _IO:
        free = _free_bytes(path.parent)
        if free is not None and free < _NEARLY_FULL_BYTES:  # a full disk fails the -shm's growth as an I/O error
            return StateUnusable(
                f"the disk holding the state database {path} is full ({free // 1024} KiB free; {exc}); nothing of "
                "this call was recorded: free some space there, or set SWITCHBOARD_HOME to a directory on another disk"
            )
        return StateUnusable(
            f"cannot read or write the state database {path} ({exc}): check that {path.parent} still exists "
            "and its disk works, or set SWITCHBOARD_HOME to another directory"
        )
    return None


def _free_bytes(directory: Path) -> int | None:
    """Bytes this user may still write on ``directory``'s filesystem (None: unknown, the directory gone)."""
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def raise_fault(path: Path, exc: BaseException | None) -> None:
    """Raise ``exc`` as a StateUnusable if it is a fault of the storage (see storage_fault); else return."""
    unusable = storage_fault(path, exc)
    if unusable is not None:
        raise unusable from exc


def locked(path: Path, detail: str) -> StateUnusable:
    """Another connection kept the write lock past the busy timeout (a blocking BEGIN's, or store/scopes.py's wait on the event loop)."""
    return StateUnusable(
        f"the state database {path} stayed locked by another process's write transaction for longer than the "
        f"busy timeout ({detail}); nothing of this call was recorded: try again, and if it keeps happening, find "
        f"the process holding {path.name} open in a write (fuser {path}; a sqlite3 shell left inside BEGIN, "
        "a backup tool, a process stopped in a debugger) and end it"
    )


def read_only(path: Path, detail: str) -> StateUnusable:
    return StateUnusable(
        f"the state database {path} cannot be written ({detail}): make it, any {path.name}-wal and "
        f"{path.name}-shm beside it and {path.parent} writable by the user running Switchboard (files "
        "left by a run under another user, e.g. sudo, are the usual cause), or set SWITCHBOARD_HOME to "
        "another directory"
    )


def unwritable_file(path: Path) -> StateUnusable | None:
    """A StateUnusable if the database or its WAL files exist but this process may not write them.

    SQLite opens such a file read-only without a word: reads work, and every write fails later."""
    for candidate in (path, *_wal_files(path)):
        if candidate.exists() and not os.access(candidate, os.W_OK):
            return read_only(path, f"{candidate.name} is read-only for this process")
    return None


def unwritable_dir(path: Path) -> StateUnusable | None:
    """A StateUnusable if SQLite must create the database or its WAL files (none open: every process closed it) in
    a directory this process may not write; SQLite says only 'unable to open database file'."""
    missing = [c.name for c in (path, *_wal_files(path)) if not c.exists()]
    if missing and path.parent.is_dir() and not os.access(path.parent, os.W_OK | os.X_OK):
        return read_only(path, f"{path.parent} is read-only for this process, and {missing[0]} must be created in it")
    return None


def _wal_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def open_error(path: Path, exc: OSError | sqlite3.Error) -> StateUnusable:
    """The error for a state database that cannot be opened: what is wrong with ``path`` and what to do."""
    if isinstance(exc, OSError):
        return StateUnusable.directory("state directory", path.parent, exc)
    return storage_fault(path, exc) or StateUnusable(
        f"cannot open the state database {path}: {exc}; check that it and {path.parent} are writable, "
        "or set SWITCHBOARD_HOME to another directory"
    )


def not_wal(path: Path, mode: str) -> StateUnusable:
    """SQLite left the database in journal mode ``mode``, not WAL: every process's read would block the writers,
    and the transactions' cross-process guarantees the store is built on (store/db.py) would not hold."""
    return StateUnusable(
        f"the state database {path} could not be put in WAL journal mode (SQLite kept {mode!r}), which Switchboard "
        "needs for its processes to share it safely; the usual cause is a file system without the shared memory and "
        "locks WAL uses (a network mount, some container or synced volumes): put the state dir on a local disk, one "
        "per machine, by setting SWITCHBOARD_HOME (or state_dir) to a directory there"
    )


def shm_identity(shm_path: str) -> tuple[int, int] | None:
    """(device, inode) of the database's -shm file (``shm_path``: the database's path with "-shm" appended, as
    SQLite names it), None if there is none. It runs once a transaction: the caller names the file once."""
    return file_identity(shm_path)


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, None if there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def database_replaced(path: Path) -> StateUnusable:
    """The database file this process opened is gone or another: a new connection (a new thread's) would open, or
    create empty, a file the others do not share."""
    return StateUnusable(
        f"the state database {path} was deleted or replaced while this Switchboard process was running (a clean-up "
        "of the state dir, a move aside): this process stops using it, so that it neither works on an empty new "
        "file nor damages one; restart every Switchboard process on this machine (servers, dashboards), and keep "
        "the state dir away from cleaners (SWITCHBOARD_HOME)"
    )


def shm_replaced(path: Path) -> StateUnusable:
    """The -shm file this process mapped is gone: processes no longer share the WAL's index nor its locks,
    and a write by either would overwrite the other's (a damaged database)."""
    return StateUnusable(
        f"the state database's {path.name}-shm file in {path.parent} was deleted or replaced while this "
        "Switchboard process was running (a clean-up of the state dir, or a temp-file cleaner): this process "
        "stops using the database so that it cannot damage it; restart every Switchboard process on this "
        "machine (servers, dashboards), and keep the state dir away from cleaners (SWITCHBOARD_HOME)"
    )
