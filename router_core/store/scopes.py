"""The transaction scopes of :class:`Database`: ``with db.transaction()``, ``with db.read()``, and for a coroutine
``async with db.async_transaction()``, which waits for another connection's write lock without stalling the loop.

SQLite's busy handler waits for a lock by sleeping in the calling thread (1, 2, 5, 10... ms, up to the busy timeout).
On the event loop that froze every task for as long as another process held the write lock: the other sessions of
an HTTP server, MCP pings and progress notices, the dashboard; up to 15 s per try when the holder is stopped (a
debugger, a suspended container) or left inside BEGIN (a sqlite3 shell). bench/loop_lag.py measures it. A coroutine's
write tries BEGIN IMMEDIATE with the busy handler off; while the lock is taken it sleeps on the loop, on SQLite's own
schedule, and tries again until the busy timeout has passed, then says the database stayed locked (store/faults.py).
Once BEGIN succeeds the body runs as in a blocking transaction (nested code joins it; commit, or rollback on an
error), with no await in between: the write lock is taken before the first read, so a read-check-write is as atomic
across processes as before. A task cancelled while it waits has begun nothing; a write that records what already
happened (a billed answer's settlement) asks for ``shield``, and is written however long it waits, as before.
Worker threads (tools' in_worker, the CLI's sync commands) keep the blocking :meth:`Database.transaction`.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from router_core.errors import StateUnusable
from router_core.store.faults import locked, raise_fault

if TYPE_CHECKING:
    from router_core.store.db import Database

logger = logging.getLogger(__name__)

# SQLite's own busy-handler delays (sqliteDefaultBusyCallback), in seconds; the last one repeats.
DELAYS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)


class Scope:
    """The context manager of :meth:`Database.transaction`, :meth:`Database.read` and
    :meth:`Database.async_transaction` (a plain class: these are entered several times per decision, and nested
    scopes only join the outer one). It keeps the database's per-thread state (``Database._local``)."""

    __slots__ = ("_db", "_kind", "_begin", "_conn", "_shield")

    def __init__(self, db: Database, kind: str, begin: str, shield: bool = False) -> None:
        self._db, self._kind, self._begin, self._shield = db, kind, begin, shield
        self._conn: sqlite3.Connection | None = None  # set only when this scope began the transaction

    def __enter__(self) -> sqlite3.Connection:
        conn = self._db.connection()
        local = self._db._local
        if local.kind is not None:
            return self._joined(conn)
        if local.nowait:
            self._db._wait_for_locks(conn)
        try:
            conn.execute(self._begin)
        except sqlite3.Error as exc:
            raise_fault(self._db.path, exc)
            raise
        return self._begun(conn)

    async def __aenter__(self) -> sqlite3.Connection:
        conn = self._try_enter()
        return conn if conn is not None else await self._wait()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)  # no await: nothing else runs on this thread between the BEGIN and this

    def _try_enter(self) -> sqlite3.Connection | None:
        """:meth:`__enter__` without waiting for the write lock: None while another connection holds it.

        The busy handler is turned off for it and left off (a PRAGMA is parsed anew each time it runs: turning it
        off and on around each of a dispatch's two writes cost 1.4% of its CPU) until this thread's next read or
        blocking write, which turn it back on (Database._wait_for_locks): a read still waits while another process
        recovers the WAL, as it did. A write transaction in WAL mode never waits once begun: its commit's
        checkpoint is passive, and restarting the WAL only tries."""
        conn = self._db.connection()
        local = self._db._local
        if local.kind is not None:
            return self._joined(conn)
        if not local.nowait:
            conn.execute("PRAGMA busy_timeout = 0")
            local.nowait = True
        try:
            conn.execute(self._begin)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY:  # (a closed connection has none)
                return None
            raise_fault(self._db.path, exc)
            raise
        return self._begun(conn)

    async def _wait(self) -> sqlite3.Connection:
        db = self._db
        logger.debug("waiting for the write lock of %s, held by another connection", db.path)
        deadline = time.monotonic() + db._busy_timeout
        for step in itertools.count():
            now = time.monotonic()
            if now >= deadline:
                break
            with anyio.CancelScope(shield=self._shield):
                await anyio.sleep(min(DELAYS[min(step, len(DELAYS) - 1)], deadline - now))
            conn = self._try_enter()
            if conn is not None:
                return conn
        raise locked(db.path, "database is locked")

    def _joined(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        if self._db._local.kind == "read" and self._kind == "write":
            raise RuntimeError("cannot start a write transaction inside a read transaction")
        return conn

    def _begun(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        try:
            self._db.check_shm()  # after BEGIN: a deletion before it is seen by the transaction
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._db._local.kind = self._kind
        self._conn = conn
        return conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        local = self._db._local
        if getattr(local, "conn", None) is not conn:  # Database.close() ran meanwhile (another thread's, a shutdown)
            self._end_closed(exc_type)
            return
        local.kind = None
        committed = local.committed  # Database.after_commit's actions: run only once this commits
        if committed:
            local.committed = []
        if exc_type is not None:
            if _in_transaction(conn):
                conn.execute("ROLLBACK")
            raise_fault(self._db.path, exc)
            return
        try:
            conn.execute("COMMIT")
        except BaseException as exc:
            if isinstance(exc, sqlite3.ProgrammingError) and _is_closed(conn):  # closed under this COMMIT
                self._end_closed(None)
                return
            if _in_transaction(conn):
                conn.execute("ROLLBACK")
            raise_fault(self._db.path, exc)
            raise
        run_committed(committed)

    def _end_closed(self, exc_type: type[BaseException] | None) -> None:
        """The end of a scope whose connection :meth:`Database.close` closed: SQLite rolled its transaction back. A
        read's end, or one already raising, has nothing more to say; a write that meant to commit says that nothing
        of it was written (it raised AttributeError from the emptied per-thread state)."""
        if exc_type is not None or self._kind != "write":
            return
        raise StateUnusable(f"the state database {self._db.path} was closed while this write transaction was open "
                            "(Database.close, as at shutdown): nothing of it was recorded")


def run_committed(actions: list[Callable[[], object]]) -> None:
    """Database.after_commit's actions, once their write is committed: every one runs, and one that raises is logged,
    not raised (the write is done: raising said it failed, and skipped the actions after it)."""
    for action in actions:
        try:
            action()
        except Exception:
            logger.exception("an action after a commit to the state database failed (what was written stands)")


def _is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes  # noqa: B018  (raises on a closed connection, as any use of it does)
    except sqlite3.ProgrammingError:
        return True
    return False


def _in_transaction(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` has a transaction to roll back: none once it is closed (closing rolled it back)."""
    return not _is_closed(conn) and conn.in_transaction


class Joined:
    """What a scope nested in this thread's transaction is: its connection, and nothing to begin or end."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        return None

    async def __aenter__(self) -> sqlite3.Connection:
        return self._conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        return None
