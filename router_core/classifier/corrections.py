"""Routing corrections and where they are kept: in memory (tests) or in SQLite (shared by processes).

A correction says which provider a routed task should have gone to (the same one when the
routing was right). ``SqliteCorrectionStore`` uses the ``classifier_corrections`` table of the
state database (``router_core/store/schema.py``); it creates the table itself if it is missing, so
it also works on a bare SQLite file.

Corrections are only ever appended, except when one is forgotten: that bumps the store's generation
(a trigger does it in SQLite, whoever deletes the row), so a reader that has seen a generation knows
that rows past the last id it read are all that changed, and replays everything when it changes.

A store also keeps the guard's decisions (``classifier_decisions``, one row per correction) so that a
process need not recompute them: each is saved with the digest of what decided it (model, evaluation set,
code) and the history it was decided after (a hash chain of every stored correction up to it, see
``learning.py``). The store only keeps them; whether one may be trusted is the learner's call, and a
saved decision is a pure function of its (digest, history), so processes saving at once cannot disagree.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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


@dataclass(frozen=True, slots=True)
class StoredCorrections:
    """What a store holds past an id, read at one instant, with the store's generation then."""

    generation: int  # changes whenever a stored correction is forgotten (or changed in place)
    corrections: tuple[Correction, ...]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """The guard's decision on correction ``correction_id``, as saved for other processes."""

    correction_id: int
    history: str  # the hash chain of the stored corrections up to this one, when it was decided
    accepted: bool
    reason: str
    task_type: str | None


class UnknownCorrection(LookupError):
    """Ids to forget that are not stored; nothing was forgotten."""

    def __init__(self, missing: Iterable[int], known: Iterable[int]) -> None:
        self.missing = tuple(missing)
        self.known = tuple(known)
        names = ", ".join(f"#{i}" for i in self.missing)
        super().__init__(f"no correction {names} is stored" if len(self.missing) == 1 else
                         f"no corrections {names} are stored")


class CorrectionStore(Protocol):
    def add(self, correction: Correction) -> int:
        """Persist ``correction``; return its id (ids increase in the order corrections were added, and a
        forgotten one's id is never given again)."""
        ...

    def read(self, after_id: int = 0) -> StoredCorrections:
        """Corrections with id > ``after_id``, oldest first, and the generation they belong to."""
        ...

    def forget(self, ids: Iterable[int]) -> tuple[Correction, ...]:
        """Remove the corrections ``ids`` names, all or none (UnknownCorrection); return them, oldest first."""
        ...

    def read_decisions(self, digest: str, after_id: int = 0) -> dict[int, StoredDecision]:
        """The saved decisions made under ``digest`` on corrections with id > ``after_id``, by correction id."""
        ...

    def save_decisions(self, digest: str, decisions: Iterable[StoredDecision]) -> None:
        """Save ``decisions`` (replacing any saved on the same corrections) as made under ``digest``; one on a
        correction no longer stored is dropped."""
        ...


class MemoryCorrectionStore:
    """A store for one process (tests, or when no database is configured)."""

    def __init__(self) -> None:
        self._items: list[Correction] = []
        self._last_id = 0
        self._generation = 0
        self._decisions: dict[int, tuple[str, StoredDecision]] = {}

    def add(self, correction: Correction) -> int:
        self._last_id += 1
        self._items.append(replace(correction, id=self._last_id))
        return self._last_id

    def read(self, after_id: int = 0) -> StoredCorrections:
        return StoredCorrections(self._generation, tuple(c for c in self._items if c.id > after_id))

    def since(self, after_id: int) -> list[Correction]:
        """The corrections of ``read(after_id)``, without the generation."""
        return list(self.read(after_id).corrections)

    def forget(self, ids: Iterable[int]) -> tuple[Correction, ...]:
        wanted = set(ids)
        _check_known(wanted, (c.id for c in self._items))
        if not wanted:
            return ()
        gone = tuple(c for c in self._items if c.id in wanted)
        self._items = [c for c in self._items if c.id not in wanted]
        self._generation += 1
        for i in wanted:
            self._decisions.pop(i, None)
        return gone

    def read_decisions(self, digest: str, after_id: int = 0) -> dict[int, StoredDecision]:
        return {i: d for i, (dg, d) in sorted(self._decisions.items()) if i > after_id and dg == digest}

    def save_decisions(self, digest: str, decisions: Iterable[StoredDecision]) -> None:
        stored = {c.id for c in self._items}
        self._decisions.update((d.correction_id, (digest, d)) for d in decisions if d.correction_id in stored)


def _check_known(wanted: set[int], known: Iterable[int]) -> None:
    known = list(known)
    missing = sorted(wanted.difference(known))
    if missing:
        raise UnknownCorrection(missing, known)


# As schema migrations 1, 8 and 9 leave the state database (a table made before 8 on a bare file keeps
# reusing the largest id once it is forgotten; the generation still makes readers replay, and a reused
# id's saved decision has another history, so it is not trusted).
_CREATE = (
    """CREATE TABLE IF NOT EXISTS classifier_corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL, text TEXT, routed_provider TEXT,
        correct_provider TEXT, task_type TEXT, holder TEXT
    )""",
    "CREATE TABLE IF NOT EXISTS classifier_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)",
    *(f"""CREATE TRIGGER IF NOT EXISTS classifier_corrections_on_{event} AFTER {event.upper()} ON classifier_corrections
    BEGIN
        INSERT INTO classifier_generation (id, generation) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET generation = generation + 1;
    END""" for event in ("delete", "update")),
    """CREATE TABLE IF NOT EXISTS classifier_decisions (
        correction_id INTEGER PRIMARY KEY, digest TEXT NOT NULL, history TEXT NOT NULL,
        accepted INTEGER NOT NULL, reason TEXT NOT NULL, task_type TEXT
    )""",
    """CREATE TRIGGER IF NOT EXISTS classifier_decisions_on_forget AFTER DELETE ON classifier_corrections
    BEGIN
        DELETE FROM classifier_decisions WHERE correction_id = old.id;
    END""",
)
_COLUMNS = "id, created_at, text, routed_provider, correct_provider, task_type"
_TEXTS = ("text", "routed_provider", "correct_provider", "task_type")
# The same, each text column as its bytes with its type, for a read sqlite3 failed: a value that is not UTF-8
# (another program's bytes stored as TEXT) raised "Could not decode to UTF-8" on the whole read, and no
# process could build its classifier, nor `feedback forget` the row. A time that is text is no time.
_BYTES_COLUMNS = "id, CASE typeof(created_at) WHEN 'text' THEN NULL ELSE created_at END, " + ", ".join(
    f"CASE typeof({c}) WHEN 'text' THEN CAST({c} AS BLOB) ELSE {c} END, typeof({c})" for c in _TEXTS)


_NAMES = ("classifier_corrections", "classifier_generation", "classifier_corrections_on_delete",
          "classifier_corrections_on_update", "classifier_decisions", "classifier_decisions_on_forget")


def _missing(conn: sqlite3.Connection) -> bool:
    """Whether one of the objects _CREATE makes is missing (one read of the schema, no lock held after it)."""
    marks = ", ".join("?" * len(_NAMES))
    found = conn.execute(f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", _NAMES).fetchone()[0]
    return int(found) < len(_NAMES)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Connection]:
    """``begin`` ... COMMIT (ROLLBACK on error) on ``conn``; inside a transaction already, join it."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute(begin)
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


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

    def _run(self, action: Callable[[sqlite3.Connection], object], *, write: bool = False) -> object:
        """``action`` in one transaction: BEGIN IMMEDIATE when it writes (the write lock before its first
        read), else a read that sees one snapshot."""
        conn = self._connect()
        try:
            with self._faults():
                if not self._ready:
                    self._create(conn)
                    self._ready = True
                with _transaction(conn, "BEGIN IMMEDIATE" if write else "BEGIN"):
                    return action(conn)
        finally:
            if self._close:
                conn.close()

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        """The tables and triggers, made only when one is missing: the write lock is taken only then, so a
        process starting (building its classifier reads the corrections) never waits on a long write elsewhere
        when the state database already has them, as the migrations leave it."""
        if conn.in_transaction or _missing(conn):
            with _transaction(conn, "BEGIN IMMEDIATE"):
                for statement in _CREATE:
                    conn.execute(statement)

    def add(self, correction: Correction) -> int:
        created = correction.created_at or self._clock()
        row = (created, correction.text, correction.routed_provider, correction.correct_provider,
               correction.task_type, self._holder)
        sql = ("INSERT INTO classifier_corrections (created_at, text, routed_provider, correct_provider,"
               " task_type, holder) VALUES (?, ?, ?, ?, ?, ?)")
        return int(self._run(lambda conn: conn.execute(sql, row).lastrowid, write=True))

    def read(self, after_id: int = 0) -> StoredCorrections:
        def action(conn: sqlite3.Connection) -> StoredCorrections:
            generation = conn.execute("SELECT generation FROM classifier_generation").fetchone()
            rows = _select(conn, "WHERE id > ? ORDER BY id", (after_id,))
            return StoredCorrections(generation[0] if generation else 0, rows)

        return self._run(action)

    def since(self, after_id: int) -> list[Correction]:
        """The corrections of ``read(after_id)``, without the generation."""
        return list(self.read(after_id).corrections)

    def forget(self, ids: Iterable[int]) -> tuple[Correction, ...]:
        wanted = sorted(set(ids))
        marks = ", ".join("?" * len(wanted))

        def action(conn: sqlite3.Connection) -> tuple[Correction, ...]:
            _check_known(set(wanted), (r[0] for r in conn.execute("SELECT id FROM classifier_corrections")))
            gone = _select(conn, f"WHERE id IN ({marks}) ORDER BY id", wanted)
            conn.execute(f"DELETE FROM classifier_corrections WHERE id IN ({marks})", wanted)
            return gone

        return self._run(action, write=True) if wanted else ()

    def read_decisions(self, digest: str, after_id: int = 0) -> dict[int, StoredDecision]:
        sql = ("SELECT correction_id, history, accepted, reason, task_type FROM classifier_decisions"
               " WHERE correction_id > ? AND digest = ? ORDER BY correction_id")

        def action(conn: sqlite3.Connection) -> dict[int, StoredDecision]:
            return {row[0]: StoredDecision(row[0], row[1], _flag(row[2]), row[3], row[4])
                    for row in conn.execute(sql, (after_id, digest))}

        return self._run(action)

    def save_decisions(self, digest: str, decisions: Iterable[StoredDecision]) -> None:
        # Only on a correction still stored (one forgotten meanwhile takes its decision with it, by trigger).
        sql = ("INSERT INTO classifier_decisions (correction_id, digest, history, accepted, reason, task_type)"
               " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM classifier_corrections WHERE id = ?)"
               " ON CONFLICT (correction_id) DO UPDATE SET digest = excluded.digest, history = excluded.history,"
               " accepted = excluded.accepted, reason = excluded.reason, task_type = excluded.task_type")
        rows = [(d.correction_id, digest, d.history, int(d.accepted), d.reason, d.task_type, d.correction_id)
                for d in decisions]
        if rows:
            self._run(lambda conn: conn.executemany(sql, rows), write=True)


def _select(conn: sqlite3.Connection, where: str, params: Sequence[object]) -> tuple[Correction, ...]:
    """The corrections ``where`` selects; what is not UTF-8 in a text as U+FFFD (see _BYTES_COLUMNS)."""
    try:
        return tuple(map(_correction, conn.execute(f"SELECT {_COLUMNS} FROM classifier_corrections {where}", params)))
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc):
            raise
    rows = conn.execute(f"SELECT {_BYTES_COLUMNS} FROM classifier_corrections {where}", params)
    return tuple(_correction((r[0], r[1], *(_text(r[i], r[i + 1]) for i in range(2, len(r), 2)))) for r in rows)


def _text(value: object, kind: str) -> object:
    """A text column read as bytes, as text again (what is not UTF-8 as U+FFFD); any other value as it is."""
    return value.decode("utf-8", "replace") if kind == "text" else value


def _correction(row: sqlite3.Row | tuple) -> Correction:
    return Correction(text=row[2], routed_provider=row[3], correct_provider=row[4], task_type=row[5],
                      created_at=row[1] or 0.0, id=row[0])


def _flag(value: object) -> object:
    """A stored 0 or 1 as a bool; anything else (a row another program wrote) as it is, for the learner to
    refuse: bool('no') would have read as accepted."""
    return bool(value) if type(value) is int and value in (0, 1) else value
