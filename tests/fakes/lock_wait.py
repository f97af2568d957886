"""Another process's write transaction on the state database, and an event set when a coroutine starts waiting for it
(store/scopes.py logs that at debug level): no sleeps, no timing."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import anyio.from_thread

from router_core.store.db import Database


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


@contextlib.contextmanager
def thread_writes(monkeypatch) -> Iterator[anyio.Event]:
    """An event set when a worker thread begins a write transaction (BEGIN IMMEDIATE, traced before it waits for
    the lock) on a connection a Database opens from now on; a write on the event loop's thread does not set it."""
    begun = anyio.Event()
    loop_thread = threading.current_thread()
    opened = Database._open

    def traced(sql: str) -> None:
        if sql == "BEGIN IMMEDIATE" and threading.current_thread() is not loop_thread and not begun.is_set():
            anyio.from_thread.run_sync(begun.set)

    def open_traced(db: Database) -> sqlite3.Connection:
        conn = opened(db)
        conn.set_trace_callback(traced)
        return conn

    monkeypatch.setattr(Database, "_open", open_traced)
    yield begun


async def runs_while_it_waits(other: OtherWriter, work: Callable[[], Awaitable[object]],
                              thread_write: anyio.Event | None = None) -> list[str]:
    """Run ``work`` while ``other`` holds the lock. Another task, started with it, gives the lock back as soon as a
    write waits for it on the loop (or, with ``thread_write``, begins in a worker thread): it can only run if the
    loop is free meanwhile. What happened, in order: ["other task ran", "done"] when the write waited off the loop's
    thread; a write that blocked the loop timed out instead ("failed: ...", the other task never ran)."""
    events: list[str] = []
    with lock_waits() as waits:
        async def run() -> None:
            try:
                await work()
                events.append("done")
            except Exception as exc:  # noqa: BLE001 - said in the events, which the test compares
                events.append(f"failed: {type(exc).__name__}: {exc}")
            finally:
                tg.cancel_scope.cancel()

        waiting = anyio.Event()  # a write waits for the lock, on the loop or in a worker thread

        async def relay(event: anyio.Event) -> None:
            await event.wait()
            waiting.set()

        async def other_task() -> None:
            await waiting.wait()
            events.append("other task ran")
            other.release()

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            tg.start_soon(other_task)
            tg.start_soon(relay, waits.started)
            if thread_write is not None:
                tg.start_soon(relay, thread_write)
    return events
