"""Routing corrections and where they are kept: in memory (tests) or in SQLite (shared by processes).

A correction says which provider a routed task should have gone to (the same one when the
routing was right). ``SqliteCorrectionStore`` uses the ``classifier_corrections`` table of the
state database (``router_core/store/schema.py``); it creates the table itself if it is missing, so
it also works on a bare SQLite file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from router_core.classifier import TASK_TYPE_PROVIDER
from router_core.settings import PROVIDER_NAMES


@dataclass(frozen=True, slots=True)
class Correction:
    text: str
    routed_provider: str
    correct_provider: str
    task_type: str | None = None
    created_at: float = 0.0
    id: int | None = None  # set by the store

    def validate(self) -> None:
        """Raise ValueError for a correction that names no known provider or type, or has no text.

        A row another program (or another version) wrote may hold NULL, a number or a BLOB in any column:
        those are invalid too, not an AttributeError that would stop every process replaying the table."""
        if not isinstance(self.text, str):
            raise ValueError(f"the task text must be a string, got {type(self.text).__name__}")
        if self.task_type is not None and not isinstance(self.task_type, str):
            raise ValueError(f"task_type must be a string, got {type(self.task_type).__name__}")
        if not self.text.strip():
            raise ValueError("a correction needs the task text")
        for field_name in ("routed_provider", "correct_provider"):
            if getattr(self, field_name) not in PROVIDER_NAMES:
                raise ValueError(f"{field_name} must be one of {', '.join(PROVIDER_NAMES)}")
        if self.task_type is not None and TASK_TYPE_PROVIDER.get(self.task_type) != self.correct_provider:
            owned = [t for t, p in TASK_TYPE_PROVIDER.items() if p == self.correct_provider]
            raise ValueError(f"task_type for {self.correct_provider} must be one of {', '.join(owned)}")


class CorrectionStore(Protocol):
    def add(self, correction: Correction) -> int:
        """Persist ``correction``; return its id (ids increase in the order corrections were added)."""
        ...

    def since(self, after_id: int) -> list[Correction]:
        """Corrections with id > ``after_id``, oldest first."""
        ...


class MemoryCorrectionStore:
    """A store for one process (tests, or when no database is configured)."""

    def __init__(self) -> None:
        self._items: list[Correction] = []

    def add(self, correction: Correction) -> int:
        stored = replace(correction, id=len(self._items) + 1)
        self._items.append(stored)
        return stored.id

    def since(self, after_id: int) -> list[Correction]:
        return [c for c in self._items if c.id > after_id]


_CREATE = """
CREATE TABLE IF NOT EXISTS classifier_corrections (
    id INTEGER PRIMARY KEY,
    created_at REAL,
    text TEXT,
    routed_provider TEXT,
    correct_provider TEXT,
    task_type TEXT,
    holder TEXT
)
"""


class SqliteCorrectionStore:
    """Corrections in the ``classifier_corrections`` table, visible to every process using the file.

    ``connect`` returns a connection to use (e.g. ``Database.connection``); the store closes it
    after each call only when ``close_after_use`` is set (as ``at_path`` does).
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        holder: str = "",
        clock: Callable[[], float] = time.time,
        close_after_use: bool = False,
        faults: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext,
    ) -> None:
        self._connect = connect
        self._faults = faults  # e.g. Database.faults: a full disk is StateUnusable, not a raw sqlite3 error
        self._holder = holder
        self._clock = clock
        self._close = close_after_use
        self._ready = False

    @classmethod
    def at_path(cls, path: Path, **kwargs) -> SqliteCorrectionStore:
        return cls(lambda: sqlite3.connect(path, timeout=15.0), close_after_use=True, **kwargs)

    def _run(self, action: Callable[[sqlite3.Connection], object]) -> object:
        conn = self._connect()
        try:
            with self._faults(), conn:  # one transaction: committed on success, rolled back on error
                if not self._ready:
                    conn.execute(_CREATE)
                result = action(conn)
            self._ready = True
            return result
        finally:
            if self._close:
                conn.close()

    def add(self, correction: Correction) -> int:
        created = correction.created_at or self._clock()
        row = (created, correction.text, correction.routed_provider, correction.correct_provider,
               correction.task_type, self._holder)
        sql = ("INSERT INTO classifier_corrections (created_at, text, routed_provider, correct_provider,"
               " task_type, holder) VALUES (?, ?, ?, ?, ?, ?)")
        return int(self._run(lambda conn: conn.execute(sql, row).lastrowid))

    def since(self, after_id: int) -> list[Correction]:
        sql = ("SELECT id, created_at, text, routed_provider, correct_provider, task_type"
               " FROM classifier_corrections WHERE id > ? ORDER BY id")
        rows = self._run(lambda conn: conn.execute(sql, (after_id,)).fetchall())
        return [
            Correction(text=r[2], routed_provider=r[3], correct_provider=r[4], task_type=r[5],
                       created_at=r[1] or 0.0, id=r[0])
            for r in rows
        ]
