"""Sliding-window usage per provider (design 3.1), shared by every process through the state database.

Each request is an event row (time, requests, tokens); a window is the sum of events newer than
``window_seconds``. An *observation* is an absolute figure from outside (usage entered by hand,
design 7.2, or a provider's rate-limit headers): while valid it raises the window to at least the
observed values. Events older than the window are pruned every few records, so the table stays
small however long the server runs. All processes sharing a database must use the same window.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from sqlite3 import Connection, Row

from router_core.clock import Clock
from router_core.models import WindowCounts
from router_core.store.db import Database

logger = logging.getLogger(__name__)

_FIRST_EVENT = "usage.first_event"  # kv key prefix: usage.first_event:<UTC day>:<provider or *>
_KEEP_FIRST_EVENT_DAYS = 7


class UsageTracker:
    """Records usage events and reports the sliding window per provider."""

    prune_every = 64  # records between two prunes in one process

    def __init__(self, db: Database, clock: Clock, window_seconds: float = 60.0) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._db = db
        self._clock = clock
        self.window_seconds = float(window_seconds)
        self._started = clock.now()
        self._records_since_prune = self.prune_every  # prune on the first record
        self._first_event_marked: set[tuple[str, str]] = set()

    # -- writes --------------------------------------------------------------------------------

    def record(self, provider: str, requests: int = 1, tokens: int = 0) -> None:
        """Add one usage event stamped now (e.g. a request and its estimated tokens)."""
        if requests < 0 or tokens < 0:
            raise ValueError("requests and tokens must be >= 0; use adjust_tokens() to correct down")
        now = self._clock.now()
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO usage_events (provider, at, requests, tokens) VALUES (?, ?, ?, ?)",
                (provider, now, requests, tokens),
            )
            marked = self._mark_first_event(conn, provider, now)
            prune = self._records_since_prune + 1 >= self.prune_every
            if prune:
                self._prune(conn, now)
        # Remember only what was committed.
        self._first_event_marked.update(marked)
        self._records_since_prune = 0 if prune else self._records_since_prune + 1

    def adjust_tokens(self, provider: str, delta: int) -> None:
        """Settle an estimate against the actual token count once a response arrives.

        A positive ``delta`` adds a token-only event now (requests=0). A negative one is taken off
        the provider's events still in the window, newest first and never below zero, so the
        correction leaves the window when the estimate it corrects does.
        """
        if delta > 0:
            self.record(provider, requests=0, tokens=delta)
            return
        remaining = -delta
        now = self._clock.now()
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT id, tokens FROM usage_events WHERE provider = ? AND at > ? AND tokens > 0"
                " ORDER BY at DESC, id DESC",
                (provider, now - self.window_seconds),
            ).fetchall()
            for row in rows:
                if remaining <= 0:
                    break
                taken = min(remaining, row["tokens"])
                conn.execute("UPDATE usage_events SET tokens = tokens - ? WHERE id = ?", (taken, row["id"]))
                remaining -= taken

    def observe(
        self, provider: str, *, requests_used: int, tokens_used: int, source: str, valid_until: float
    ) -> None:
        """Store an absolute usage figure that holds until ``valid_until`` (epoch seconds)."""
        if requests_used < 0 or tokens_used < 0:
            raise ValueError("observed usage must be >= 0")
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO usage_observations"
                " (provider, requests_used, tokens_used, source, observed_at, valid_until)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (provider, requests_used, tokens_used, source, self._clock.now(), valid_until),
            )

    def clear_observation(self, provider: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM usage_observations WHERE provider = ?", (provider,))

    # -- reads ---------------------------------------------------------------------------------

    def window(self, provider: str) -> WindowCounts:
        """Usage in the window ending now; an observation, while valid, is a floor per field.

        ``source`` is "tracked", or the observation's source when it raised either field.
        """
        now = self._clock.now()
        with self._db.read() as conn:
            requests, tokens, oldest = conn.execute(
                "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(tokens), 0), MIN(at)"
                " FROM usage_events WHERE provider = ? AND at > ?",
                (provider, now - self.window_seconds),
            ).fetchone()
            obs = self._observation(conn, provider, now)
        expires = None if oldest is None else oldest + self.window_seconds
        counts = WindowCounts(requests=requests, tokens=max(0, tokens), oldest_expires_at=expires)
        if obs is None or (obs["requests_used"] <= requests and obs["tokens_used"] <= tokens):
            return counts
        ends = obs["valid_until"] if expires is None else min(expires, obs["valid_until"])
        return WindowCounts(
            requests=max(requests, obs["requests_used"]),
            tokens=max(counts.tokens, obs["tokens_used"]),
            oldest_expires_at=ends,
            source=obs["source"],
        )

    def windows(self, providers: list[str] | tuple[str, ...]) -> dict[str, WindowCounts]:
        return {p: self.window(p) for p in providers}

    def release_time(self, provider: str, *, requests_below: int, tokens_below: int) -> float | None:
        """Earliest time the window is under both limits if no new usage arrives; None if it is now."""
        if requests_below <= 0 or tokens_below <= 0:
            raise ValueError("requests_below and tokens_below must be positive")
        now = self._clock.now()
        with self._db.read() as conn:
            events = conn.execute(
                "SELECT at, requests, tokens FROM usage_events WHERE provider = ? AND at > ? ORDER BY at",
                (provider, now - self.window_seconds),
            ).fetchall()
            obs = self._observation(conn, provider, now)
        requests = sum(e["requests"] for e in events)
        tokens = sum(e["tokens"] for e in events)
        obs_until = obs["valid_until"] if obs is not None else now
        # The window only changes when an event leaves it or the observation lapses.
        leaving = [(e["at"] + self.window_seconds, e["requests"], e["tokens"]) for e in events]
        candidates = sorted({now, obs_until, *(t for t, _, _ in leaving)})
        index = 0
        for t in candidates:
            while index < len(leaving) and leaving[index][0] <= t:
                requests -= leaving[index][1]
                tokens -= leaving[index][2]
                index += 1
            seen_requests, seen_tokens = requests, max(0, tokens)
            if obs is not None and t < obs_until:
                seen_requests = max(seen_requests, obs["requests_used"])
                seen_tokens = max(seen_tokens, obs["tokens_used"])
            if seen_requests < requests_below and seen_tokens < tokens_below:
                return None if t == now else t
        return None  # pragma: no cover - the last candidate always has an empty window

    def session_started(self, provider: str | None = None) -> float:
        """When today's usage began: the first event of the UTC day (for ``provider``, or any).

        Falls back to when this tracker was created (the process start) if nothing was recorded
        today. Kept in the kv table, so pruning events does not move it.
        """
        day = _utc_day(self._clock.now())
        rows = self._db.query("SELECT value FROM kv WHERE key = ?", (_first_event_key(day, provider or "*"),))
        return float(rows[0]["value"]) if rows else self._started

    # -- helpers -------------------------------------------------------------------------------

    def _observation(self, conn: Connection, provider: str, now: float) -> Row | None:
        return conn.execute(
            "SELECT requests_used, tokens_used, source, valid_until FROM usage_observations"
            " WHERE provider = ? AND valid_until > ?",
            (provider, now),
        ).fetchone()

    def _mark_first_event(self, conn: Connection, provider: str, now: float) -> list[tuple[str, str]]:
        day = _utc_day(now)
        marked = [(day, who) for who in (provider, "*") if (day, who) not in self._first_event_marked]
        for _, who in marked:
            conn.execute(
                "INSERT OR IGNORE INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
                (_first_event_key(day, who), repr(now), now),
            )
        return marked

    def _prune(self, conn: Connection, now: float) -> None:
        cur = conn.execute("DELETE FROM usage_events WHERE at <= ?", (now - self.window_seconds,))
        oldest_day = _utc_day(now - _KEEP_FIRST_EVENT_DAYS * 86400)
        conn.execute(
            "DELETE FROM kv WHERE key >= ? AND key < ?",
            (f"{_FIRST_EVENT}:", _first_event_key(oldest_day, "")),
        )
        if cur.rowcount:
            logger.debug("pruned %d usage events", cur.rowcount)


def _utc_day(at: float) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=at)).date().isoformat()


def _first_event_key(day: str, who: str) -> str:
    return f"{_FIRST_EVENT}:{day}:{who}"
