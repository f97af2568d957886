"""SQL for sliding usage windows read from running totals (schema migration 2).

``usage_totals`` holds, per provider, the sum of every event row still stored; triggers keep it exact
in the transaction that writes the events. A window ending at ``now`` is that total minus the stored
events already at or before ``now - window`` (events leave the window exactly one window after their
time, as before). Writers delete those stale rows as they go, so a read touches a few rows whatever
the traffic; a reader that meets many (a provider idle since a burst) asks for a prune.
"""

from __future__ import annotations

from sqlite3 import Connection
from typing import NamedTuple

# The stale rows (at or before the cut) are summed in one pass over their index range; the oldest event
# in the window is one index seek.
_SELECT = """
SELECT t.provider, t.requests, t.tokens, COUNT(e.at), COALESCE(SUM(e.requests), 0), COALESCE(SUM(e.tokens), 0),
    (SELECT MIN(at) FROM usage_events n WHERE n.provider = t.provider AND n.at > :cut)
FROM usage_totals t LEFT JOIN usage_events e ON e.provider = t.provider AND e.at <= :cut
"""
_WINDOWS = _SELECT + " GROUP BY t.provider"
_ONE_WINDOW = _SELECT + " WHERE t.provider = :provider GROUP BY t.provider"


class TrackedWindow(NamedTuple):
    """A provider's own events in the window: sums, the oldest event's time, and stale rows met. (A named tuple:
    as immutable as a frozen dataclass, and built as one tuple, where a frozen dataclass's __init__ set each field
    through object.__setattr__; every routing decision and paced call reads some.)"""

    requests: int
    tokens: int  # may be below zero only if rows were edited by hand; callers clamp
    oldest_at: float | None
    stale_rows: int  # stored events already out of the window (a prune removes them)


EMPTY = TrackedWindow(0, 0, None, 0)


def _row(row) -> TrackedWindow:
    _, requests, tokens, stale, stale_requests, stale_tokens, oldest = row
    return TrackedWindow(requests - stale_requests, tokens - stale_tokens, oldest, stale)


def tracked_windows(conn: Connection, cutoff: float) -> dict[str, TrackedWindow]:
    """Every provider that has stored events, with its window (events after ``cutoff``)."""
    return {row[0]: _row(row) for row in conn.execute(_WINDOWS, {"cut": cutoff})}


def tracked_window(conn: Connection, provider: str, cutoff: float) -> TrackedWindow:
    row = conn.execute(_ONE_WINDOW, {"cut": cutoff, "provider": provider}).fetchone()
    return EMPTY if row is None else _row(row)


def prune_provider(conn: Connection, provider: str, cutoff: float) -> int:
    """Delete ``provider``'s events at or before ``cutoff`` (index range; usually none). Rows deleted."""
    return conn.execute("DELETE FROM usage_events WHERE provider = ? AND at <= ?", (provider, cutoff)).rowcount


def prune_all(conn: Connection, cutoff: float) -> int:
    deleted = 0
    for (provider,) in conn.execute("SELECT provider FROM usage_totals").fetchall():
        deleted += prune_provider(conn, provider, cutoff)
    return deleted


def events_in_window(conn: Connection, provider: str, cutoff: float):
    """A cursor over the provider's events after ``cutoff``, oldest first: (at, requests, tokens)."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: this may walk thousands of rows
    return cursor.execute(
        "SELECT at, requests, tokens FROM usage_events WHERE provider = ? AND at > ? ORDER BY at",
        (provider, cutoff),
    )


def restamp_in_flight(conn: Connection, holders: set[str], now: float) -> int:
    """Restamp to ``now`` the in-flight requests (stamped ahead, pacing.py) of ``holders``, processes gone from this
    host: each left its window full until its call's timeout had run out. Rows restamped."""
    return sum(conn.execute("UPDATE usage_events SET at = ?, holder = NULL WHERE holder = ? AND at > ?",
                            (now, holder, now)).rowcount for holder in holders)
