"""store/windows.py: a window is the running total minus the stored events already out of it."""

from __future__ import annotations

from pathlib import Path

from router_core.store import windows as sql
from router_core.store.db import Database

CUT = 1000.0


def events(db: Database, rows: list[tuple[str, float, int, int]]) -> None:
    with db.transaction() as conn:
        conn.executemany("INSERT INTO usage_events (provider, at, requests, tokens) VALUES (?, ?, ?, ?)", rows)


def test_stale_rows_are_subtracted_and_counted_per_provider(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    events(db, [
        ("codex", CUT - 5, 1, 100), ("codex", CUT, 2, 50),  # at the cut: out of the window
        ("codex", CUT + 1, 1, 7), ("codex", CUT + 3, 3, 11),
        ("gemini", CUT + 2, 1, 40),  # nothing stale
        ("claude", CUT - 1, 4, 400),  # nothing left in the window
    ])
    with db.read() as conn:
        windows = sql.tracked_windows(conn, CUT)
        one = sql.tracked_window(conn, "codex", CUT)
        unknown = sql.tracked_window(conn, "nobody", CUT)
    assert windows["codex"] == sql.TrackedWindow(4, 18, CUT + 1, 2) == one
    assert windows["gemini"] == sql.TrackedWindow(1, 40, CUT + 2, 0)
    assert windows["claude"] == sql.TrackedWindow(0, 0, None, 1)
    assert unknown == sql.EMPTY


def test_a_prune_removes_exactly_the_stale_rows(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    events(db, [("codex", CUT - 2, 1, 10), ("codex", CUT - 1, 1, 10), ("codex", CUT + 1, 1, 10)])
    with db.transaction() as conn:
        assert sql.prune_all(conn, CUT) == 2
        assert sql.tracked_window(conn, "codex", CUT) == sql.TrackedWindow(1, 10, CUT + 1, 0)
