"""Another process's write transaction on the state database, and an event set when a coroutine starts waiting for it
(store/scopes.py logs that at debug level): no sleeps, no timing."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import anyio


class OtherWriter:
    """A second connection (as another process's) that takes the write lock with BEGIN IMMEDIATE."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def lock(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        if self.conn.in_transaction:
            self.release()
        self.conn.close()


class _Waits(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.started = anyio.Event()
        self._reached: dict[int, anyio.Event] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.started.set()
        if self.count in self._reached:
            self._reached[self.count].set()

    def reached(self, count: int) -> anyio.Event:
        """An event set when the ``count``-th wait starts."""
        event = self._reached.setdefault(count, anyio.Event())
        if self.count >= count:
            event.set()
        return event


@contextlib.contextmanager
def lock_waits() -> Iterator[_Waits]:
    """``.started`` is set when a coroutine starts waiting for the write lock, ``.reached(n)`` when its n-th
    wait starts; ``.count`` counts the waits."""
    handler = _Waits()
    logger = logging.getLogger("router_core.store.scopes")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def short_busy_timeout(db, seconds: float) -> None:
    """``db`` gives up on another connection's write lock after ``seconds``: a blocking BEGIN (SQLite's busy
    handler, on every connection it opens from now on and on this thread's) and a coroutine's wait alike."""
    db._busy_timeout, db._busy_pragma = seconds, f"PRAGMA busy_timeout = {int(seconds * 1000)}"
    db.connection().execute(db._busy_pragma)
