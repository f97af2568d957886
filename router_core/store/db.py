"""One SQLite file shared by every Switchboard process on the machine.

WAL journal (readers never block the single writer), ``synchronous=NORMAL`` and a generous busy
timeout. Writes go through :meth:`Database.transaction` (a coroutine's through ``async_transaction``, which waits
for the lock on the event loop: store/scopes.py), which starts with ``BEGIN IMMEDIATE``:
the write lock is taken before the first read, so a read-check-write sequence is atomic across
processes and never fails half-way with ``SQLITE_BUSY_SNAPSHOT``. Each thread gets its own
connection; a forked child opens fresh ones instead of reusing its parent's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from router_core.store.faults import (
    database_replaced,
    file_identity,
    not_wal,
    open_error,
    raise_fault,
    shm_identity,
    shm_replaced,
    unwritable_dir,
    unwritable_file,
)
from router_core.store.filesystem import network_filesystem, private_dir, private_file
from router_core.store.holders import current_pid
from router_core.store.schema import MIGRATIONS
from router_core.store.scopes import Joined, Scope, run_committed

logger = logging.getLogger(__name__)
WAL_SIZE_LIMIT = 8 * 2**20  # bytes
# Every page a commit changes is written whole to the WAL (and later copied back by a checkpoint): a dispatch
# changes some 17 pages of small tables and b-tree ends, so the page's size, not the rows', sets what a commit
# costs. 1 KiB pages (SQLite's default is 4) cut the client CPU of the two commits of a dispatch by about a
# quarter. It applies to a database created by this version; an existing one keeps its size (a WAL database
# cannot change it while in use).
PAGE_SIZE = 1024  # bytes
_warned: set[Path] = set()


def _warn_if_networked(path: Path) -> None:
    """Say once per process that a database on a network file system is at risk (see store/filesystem.py)."""
    kind = network_filesystem(path.parent)
    if kind is not None and path not in _warned:
        _warned.add(path)
        logger.warning(
            "state database %s is on a network file system (%s): SQLite's WAL mode needs every process on one "
            "host and reliable locks, so machines sharing it can corrupt it; keep the state dir on a local disk, "
            "one per machine (SWITCHBOARD_HOME or state_dir)", path, kind,
        )


class Database:
    """The state database at ``path``; the schema is created or migrated on open."""

    def __init__(self, path: Path, *, busy_timeout_seconds: float = 15.0) -> None:
        self.path = Path(path)
        self._shm_path = f"{self.path}-shm"  # SQLite's name for it; stat'ed once a transaction (check_shm)
        self._busy_timeout = busy_timeout_seconds
        self._busy_pragma = f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}"
        self._local = threading.local()
        # (pid, owning thread, connection) for every connection opened, so close() and thread exits
        # can close them; sqlite3 connections cannot be weakly referenced.
        self._conns: list[tuple[int, weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._conns_lock = threading.Lock()
        self._file: tuple[int, int] | None = None  # the file opened, once open: a new connection checks it
        try:
            private_dir(self.path.parent)
            _warn_if_networked(self.path)
            if (unwritable := unwritable_dir(self.path)) is not None:
                raise unwritable
            private_file(self.path)
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise open_error(self.path, exc) from exc
        unwritable = unwritable_file(self.path)
        if unwritable is not None:
            self.close()
            raise unwritable
        self._file = file_identity(str(self.path))

    # -- connections ---------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode; use transaction()/read() to group statements)."""
        conn = getattr(self._local, "conn", None)
        pid = current_pid()  # connection() runs often, and getpid() is a system call
        if conn is None or self._local.pid != pid:
            if self._file is not None and file_identity(str(self.path)) != self._file:
                raise database_replaced(self.path)  # (connecting would make an empty one)
            try:
                conn = self._open()
            except sqlite3.Error as exc:
                raise_fault(self.path, exc)
                raise
            self._local.conn, self._local.pid, self._local.kind = conn, pid, None
            self._local.nowait = False  # its busy handler is on (see Scope._try_enter)
            self._local.joined = Joined(conn)
            self._local.committed = []  # after_commit's actions, run when the outermost write commits
            self._local.shm = shm_identity(self._shm_path)
        return conn

    def check_shm(self) -> None:
        """Raise StateUnusable if the -shm file this thread's connection mapped was deleted or replaced.

        SQLite keeps the WAL's index and its locks in that file: a process still using a deleted one
        shares neither with a process that created the new one, and their writes overwrite each other's.
        A stat per transaction (and per query outside one) stops this process before its next one."""
        expected, found = self._local.shm, shm_identity(self._shm_path)
        if expected is None:
            self._local.shm = found  # none when the connection opened: the first one seen is the one mapped
        elif found != expected:
            raise shm_replaced(self.path)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute(self._busy_pragma)
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before the file is made: changes nothing on an existing one
        mode = _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if mode != "wal":  # SQLite keeps the old mode without an error where WAL cannot work
            conn.close()
            raise not_wal(self.path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        # After a burst (several processes writing flat out) the WAL can reach tens of MB; without a limit it
        # keeps that size for ever. With one, a checkpoint that restarts it truncates it to this.
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._conns_lock:
            self._conns = [entry for entry in self._conns if _keep(entry)]
            self._conns.append((os.getpid(), weakref.ref(threading.current_thread()), conn))
        return conn

    def close(self) -> None:
        """Close every connection this object opened (in any thread of this process)."""
        with self._conns_lock:
            entries, self._conns = self._conns, []
        for pid, _, conn in entries:
            if pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
        self._local = threading.local()

    # -- transactions --------------------------------------------------------------------------

    def transaction(self) -> Scope | Joined:
        """A write transaction (``BEGIN IMMEDIATE``); commits on success, rolls back on error.

        Nested calls inside a write transaction join it. Opening one inside :meth:`read` is an error,
        because upgrading a read snapshot to a write can fail under concurrency.
        """
        local = self._local
        if getattr(local, "kind", None) == "write" and local.pid == current_pid():
            return local.joined  # most calls are nested (a dispatch's settle: pacing, budget, circuit, lease)
        return Scope(self, "write", "BEGIN IMMEDIATE")

    def async_transaction(self, *, shield: bool = False) -> Scope | Joined:
        """:meth:`transaction` for a coroutine: ``async with db.async_transaction():``. While another connection
        holds the write lock it sleeps on the event loop, up to the busy timeout, instead of in SQLite's busy handler
        (which stalls every task of the loop). Its body must not await: a task run meanwhile on this thread would
        join the transaction. ``shield``: the wait is not cancelled (it records what is done: a billed answer).
        See store/scopes.py."""
        local = self._local
        if getattr(local, "kind", None) == "write" and local.pid == current_pid():
            return local.joined
        return Scope(self, "write", "BEGIN IMMEDIATE", shield)

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run ``action`` once what this thread has written is committed: at once outside a write transaction, else
        when the outermost one commits; never if it rolls back (or its COMMIT fails). For a mark of work to redo that a
        write joined to a caller's transaction must keep until that transaction commits (BudgetLedger.release):
        forgotten when the joined scope ended, the work was lost with a failed COMMIT. ``action`` should not raise: if it
        does, that is logged and the other actions still run (scopes.run_committed)."""
        local = self._local
        if getattr(local, "kind", None) == "write" and local.pid == current_pid():
            local.committed.append(action)
        else:
            run_committed([action])

    def read(self) -> Scope | Joined:
        """A read transaction: every query inside sees the same consistent snapshot (nested calls join it,
        or the write transaction they are in)."""
        local = self._local
        if getattr(local, "kind", None) is not None and local.pid == current_pid():
            return local.joined
        return Scope(self, "read", "BEGIN")

    def version(self) -> tuple[Any, ...]:
        """A token that two reads on this thread share only if nobody committed a change between them.

        Call it first in a :meth:`read`: ``PRAGMA data_version`` starts the snapshot and counts the
        commits of every other connection (other threads and processes); ``total_changes`` counts this
        connection's own writes. See store/snapshot_cache.py. Outside a transaction it raises: the token would
        name no snapshot, and the statement would run with the busy handler a coroutine's write may have left off
        (store/scopes.py), failing at once on a WAL recovery another process runs instead of waiting as a read does."""
        conn = self.connection()
        if self._local.kind is None:
            raise RuntimeError("Database.version() outside a transaction: call it first inside db.read()")
        return (conn, conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)

    @property
    def in_transaction(self) -> bool:
        """Whether this thread is inside transaction() or read() (nested scopes join it)."""
        return getattr(self._local, "kind", None) is not None

    @contextlib.contextmanager
    def faults(self) -> Iterator[None]:
        """For code that runs statements on :meth:`connection` itself: a storage fault inside (a full disk, a
        read-only or damaged file) comes out as StateUnusable, as from :meth:`transaction` and :meth:`query`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise_fault(self.path, exc)
            raise

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run one statement (in the current transaction if any) and return all rows."""
        conn = self.connection()
        if self._local.kind is None:
            if self._local.nowait:
                self._wait_for_locks(conn)
            self.check_shm()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise_fault(self.path, exc)
            raise

    def waiting_connection(self) -> sqlite3.Connection:
        """:meth:`connection` with SQLite's busy handler on, for code that begins its own transactions on it (the
        corrections store, which the classifier reads on the event loop): a coroutine's write leaves the handler
        off (Scope._try_enter), and a BEGIN run then failed at once on another process's lock (or a WAL recovery)
        with "stayed locked ... longer than the busy timeout" instead of waiting."""
        conn = self.connection()
        if self._local.nowait and self._local.kind is None:
            self._wait_for_locks(conn)
        return conn

    def _wait_for_locks(self, conn: sqlite3.Connection) -> None:
        """Turn this thread's connection's busy handler back on, for a read or a blocking write (Scope._try_enter)."""
        conn.execute(self._busy_pragma)
        self._local.nowait = False

    # -- schema --------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def _migrate(self) -> None:
        if self.schema_version >= len(MIGRATIONS):
            self._warn_if_newer(self.schema_version)
            return
        with self.transaction() as conn:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.create_function("switchboard_scrubbed", 1, _scrubbed, deterministic=True)  # for migrations 11 to 13
            secure = int(conn.execute("PRAGMA secure_delete").fetchone()[0])
            conn.execute("PRAGMA secure_delete = ON")  # a text redacted in place leaves no copy in free space
            for number in range(version + 1, len(MIGRATIONS) + 1):
                for statement in split_statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                logger.info("state database %s migrated to schema %d", self.path, number)
            conn.execute(f"PRAGMA secure_delete = {secure}")

    def _warn_if_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            logger.warning(
                "state database %s has schema %d, newer than this Switchboard's %d; continuing",
                self.path, version, len(MIGRATIONS),
            )


def _scrubbed(text: object) -> object:
    """Migration 11's switchboard_scrubbed: ``text`` with its credentials redacted (as it is, should that fail:
    an exception in an SQL function would fail the migration, and every process opening the file)."""
    from router_core.redact import scrubbed

    try:
        return scrubbed(text) if isinstance(text, str) else text
    except Exception:  # noqa: BLE001
        logger.warning("could not redact a stored correction's text", exc_info=True)
        return text


def _keep(entry: tuple[int, weakref.ref[threading.Thread], sqlite3.Connection]) -> bool:
    """Close the connections of threads that ended; forget (never touch) those a fork inherited."""
    pid, thread_ref, conn = entry
    if pid != os.getpid():
        return False  # SQLite forbids using a parent's connection in a child, even to close it
    thread = thread_ref()
    if thread is not None and thread.is_alive():
        return True
    with contextlib.suppress(sqlite3.Error):
        conn.close()
    return False


def split_statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would COMMIT the open transaction)."""
    statements, pending = [], ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                statements.append(pending.strip())
            pending = ""
    return statements  # an unterminated remainder can only be comments or whitespace


def _has_sql(text: str) -> bool:
    lines = (line.strip() for line in text.splitlines())
    return any(line and not line.startswith("--") and line != ";" for line in lines)


def _retry_locked(action: Any, attempts: int = 50) -> Any:
    # Switching to WAL needs a brief exclusive lock; when several processes open a brand-new
    # file at once, a few may see "database is locked" despite the busy timeout.
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None  # pragma: no cover
