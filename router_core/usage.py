"""Sliding-window usage per provider (design 3.1), shared by every process through the state database.

Each request is an event row (time, requests, tokens); a window is the sum of events newer than
``window_seconds``, read from running totals (store/windows.py) so it costs the same at any traffic.
An *observation* is an absolute figure from outside: usage entered by hand (design 7.2), a floor that
raises the window to at least the observed values until it lapses, or a provider's rate-limit headers
(source "headers"), what the provider reported spent at ``observed_at``, coming back as its token buckets
refill (execution/refill.py, as pacing counts it): the part not yet back, plus our own requests stamped
after it (sent after it, or still in flight then, so the report may not count them), until all is back at
its ``valid_until``. Each dimension has its own time (``valid_until`` requests, ``tokens_valid_until``
tokens; schema 10): headers name a reset per dimension, and spent tokens outlive a sooner requests reset.
Every record deletes the provider's events that have left the window, so the table holds about one
window of events however long the server runs. All processes sharing a database must use the same
window.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from sqlite3 import Connection, Row

from router_core.budget_amounts import check_recorded_spend
from router_core.clock import Clock
from router_core.errors import InvalidRequest
from router_core.models import WindowCounts
from router_core.observed import dimensions
from router_core.store import windows as sql
from router_core.store.db import Database
from router_core.store.snapshot_cache import Validity

logger = logging.getLogger(__name__)

# The window of a provider with no event in it and no figure observed: one shared (immutable) record.
_IDLE = WindowCounts(requests=0, tokens=0, oldest_expires_at=None)
_FIRST_EVENT = "usage.first_event"  # kv key prefix: usage.first_event:<day>:<provider or *>
_KEEP_FIRST_EVENT_DAYS = 7
# The most requests or tokens one record may hold: far above any provider's limit per minute, far
# below what the window's running totals can sum in a SQLite INTEGER.
MAX_RECORDED_COUNT = 10**12


def check_usage_record(
    requests: int | None, tokens: int | None, cost_usd: float,
    *, names: tuple[str, str, str] = ("requests", "tokens", "cost_usd"), provider: str = "the provider", hint: str = "",
) -> None:
    """Refuse usage entered from outside (the record_usage tool, `switchboard usage set`) before anything
    is written: something must be entered (a count, or a cost above $0: a record of nothing was answered as if
    it had recorded), counts (None: not entered) must be whole numbers from 0 to MAX_RECORDED_COUNT, the cost a
    storable amount. ``names`` are the fields as the caller knows them, ``provider`` whose usage it is and
    ``hint`` a caller's example, for the messages."""
    if requests is None and tokens is None and not cost_usd:
        raise InvalidRequest(f"nothing to record: give {names[0]}, {names[1]} and/or {names[2]}, as {provider}'s "
                             f"console shows them" + (f" ({hint})" if hint else ""))
    for value, name in ((requests, names[0]), (tokens, names[1])):
        if value is not None and (not isinstance(value, int) or not 0 <= value <= MAX_RECORDED_COUNT):
            raise InvalidRequest(
                f"{name} must be a whole number from 0 to {MAX_RECORDED_COUNT:,}, got {value!r}; "
                f"enter how many were used in the current rate window (execution.rate_window_seconds, a minute by "
                f"default), as the provider's console shows"
            )
    check_recorded_spend(cost_usd, names[2])


# At an instant, the day it falls in (ISO date) and when that day ends: the budget's day (BudgetLedger.day_and_reset,
# budget.timezone), so that "today" is one day for a provider's spend and for when its use began.
Calendar = Callable[[float], tuple[str, float]]


def utc_calendar(at: float) -> tuple[str, float]:
    day_number = int(at // 86400)
    return _day_number_iso(day_number), (day_number + 1) * 86400.0


class UsageTracker:
    """Records usage events and reports the sliding window per provider."""

    prune_every = 64  # records between two prunes of old first-event marks, per process
    stale_limit = 64  # a read that meets more events already out of the window asks for a prune

    def __init__(self, db: Database, clock: Clock, window_seconds: float = 60.0,
                 calendar: Calendar = utc_calendar) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._db = db
        self._clock = clock
        self._calendar = calendar
        self.window_seconds = float(window_seconds)
        self._started = clock.now()
        self._records_since_prune = self.prune_every  # prune on the first record
        self._first_event_marked: set[tuple[str, str]] = set()
        # First-event marks found: written once a day (INSERT OR IGNORE), so one read holds all day.
        self._first_event_seen: dict[tuple[str, str], float] = {}
        self._prune_wanted = False

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
            self.prune_events(conn, provider, now)
            marked = self._mark_first_event(conn, provider, now)
            prune = self._records_since_prune + 1 >= self.prune_every
            if prune:
                self._prune(conn, now)
        # Remember only what was committed.
        self._first_event_marked.update(marked)
        self._records_since_prune = 0 if prune else self._records_since_prune + 1

    def mark_first_event(self, conn: Connection, provider: str, now: float) -> None:
        """Mark today's first usage of ``provider`` for :meth:`session_started`, inside the caller's write
        transaction, which records a usage event of its own (no statement once this process marked it)."""
        self._first_event_marked.update(self._mark_first_event(conn, provider, now))

    def prune_events(self, conn: Connection, provider: str, now: float) -> None:
        """Delete ``provider``'s events that have left the window (call inside a write transaction)."""
        sql.prune_provider(conn, provider, now - self.window_seconds)

    @property
    def maintenance_due(self) -> bool:  # whether maintain() would write
        return self._prune_wanted

    def maintain(self) -> None:
        """Prune every provider's old events if a read met many (outside any transaction)."""
        if not self._prune_wanted or self._db.in_transaction:
            return
        self._prune_wanted = False
        with self._db.transaction() as conn:
            deleted = sql.prune_all(conn, self._clock.now() - self.window_seconds)
        if deleted:
            logger.debug("pruned %d usage events", deleted)

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
        self, provider: str, *, requests_used: int, tokens_used: int, source: str, valid_until: float,
        tokens_valid_until: float | None = None, observed_at: float | None = None,
    ) -> None:
        """Store an absolute usage figure that holds until ``valid_until`` (epoch seconds); its tokens until
        ``tokens_valid_until`` if given (a rate-limit header's tokens reset), else until ``valid_until`` too.
        Source "headers": the figure as reported at ``observed_at`` (default now), all back at those times."""
        if requests_used < 0 or tokens_used < 0:
            raise ValueError("observed usage must be >= 0")
        # A figure from a provider's headers is not checked by anyone: an absurd one is capped (still far
        # over any limit) rather than failing the call on SQLite's INTEGER range.
        requests_used, tokens_used = min(requests_used, MAX_RECORDED_COUNT), min(tokens_used, MAX_RECORDED_COUNT)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO usage_observations"
                " (provider, requests_used, tokens_used, source, observed_at, valid_until, tokens_valid_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (provider, requests_used, tokens_used, source,
                 self._clock.now() if observed_at is None else observed_at, valid_until,
                 valid_until if tokens_valid_until is None else tokens_valid_until),
            )

    def manual_observation(self, provider: str) -> tuple[int, int] | None:
        """(requests, tokens) of the provider's manual entry while it holds, else None."""
        with self._db.read() as conn:
            row = self._observation(conn, provider, self._clock.now())
        return (row["requests_used"], row["tokens_used"]) if row is not None and row["source"] == "manual" else None

    def clear_observation(self, provider: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM usage_observations WHERE provider = ?", (provider,))

    # -- reads ---------------------------------------------------------------------------------

    def window(self, provider: str) -> WindowCounts:
        """Usage in the window ending now; an observation, while valid, is a floor per field.

        ``source`` is "tracked", or the observation's source when it raised either field.
        """
        return self.windows((provider,))[provider]

    def windows(
        self, providers: list[str] | tuple[str, ...], validity: Validity | None = None
    ) -> dict[str, WindowCounts]:
        """:meth:`window` of each provider, from one read of the totals and one of the observations.

        ``validity`` learns when they stop being exact: when the oldest event leaves a window, an
        observation in use lapses (``oldest_expires_at``) or a refilling one it counts comes down by a unit;
        other stored rows change no result before."""
        now = self._clock.now()
        with self._db.read() as conn:
            tracked = sql.tracked_windows(conn, now - self.window_seconds)
            observed = self.observations(conn, now)
        result = {}
        for p in providers:
            counts, step = self._counts(tracked.get(p, sql.EMPTY), observed.get(p), now)
            result[p] = counts
            if validity is not None:
                validity.changes_at(counts.oldest_expires_at)
                validity.changes_at(step)
        if any(t.stale_rows > self.stale_limit for t in tracked.values()):
            self._prune_wanted = True
            self.maintain()
        return result

    def observations(self, conn: Connection, now: float) -> dict[str, Row]:
        """Observations with a dimension still valid at ``now``, by provider (with our usage after them)."""
        return {row["provider"]: row for row in conn.execute(_ALL_OBSERVATIONS, (now,))}

    def _counts(self, tracked: sql.TrackedWindow, obs: Row | None, now: float) -> tuple[WindowCounts, float | None]:
        """The window at ``now``, and when a refilling figure it counts next comes down (None: none counted)."""
        requests, tokens = tracked.requests, max(0, tracked.tokens)
        expires = None if tracked.oldest_at is None else tracked.oldest_at + self.window_seconds
        if obs is None:  # (most reads: no figure to weigh, so no dimensions built)
            if expires is None and requests == 0 and tokens == 0:
                return _IDLE, None
            return WindowCounts(requests=requests, tokens=tokens, oldest_expires_at=expires), None
        observed = dimensions(obs, now)
        raised = [d for d, ours in zip(observed, (requests, tokens), strict=True) if d.used > ours]
        # Ours only fall, and a refilling figure too: one that raises nothing now raises nothing before ``expires``.
        if not raised:
            return WindowCounts(requests=requests, tokens=tokens, oldest_expires_at=expires), None
        ends = min(d.until for d in raised)  # when the first dimension it raises lapses, or is all back
        return WindowCounts(
            requests=max(requests, observed[0].used),
            tokens=max(tokens, observed[1].used),
            oldest_expires_at=ends if expires is None else min(expires, ends),
            source=obs["source"],
        ), min(d.next_step(now) for d in raised)

    def release_time(self, provider: str, *, requests_below: int, tokens_below: int) -> float | None:
        """Earliest time the window is under both limits if no new usage arrives; None if it is now.

        The tracked counts only fall as events leave, so the walk reads events oldest first and stops
        at the first one whose departure brings them under: it reads what must leave, not the window.
        A manual observation above either limit holds until it lapses; the headers' until enough has come back
        (routing's lift time and a parked task's resume time: when pacing would have room again, not the reset).
        """
        if requests_below <= 0 or tokens_below <= 0:
            raise ValueError("requests_below and tokens_below must be positive")
        now = self._clock.now()
        cutoff = now - self.window_seconds
        with self._db.read() as conn:
            tracked = sql.tracked_window(conn, provider, cutoff)
            obs = self._observation(conn, provider, now)
            requests, tokens = tracked.requests, tracked.tokens
            at = now
            # (tokens_below > 0, so a token count below zero compares as zero would.)
            if not (requests < requests_below and tokens < tokens_below):
                for event_at, event_requests, event_tokens in sql.events_in_window(conn, provider, cutoff):
                    requests -= event_requests
                    tokens -= event_tokens
                    if requests < requests_below and tokens < tokens_below:
                        at = event_at + self.window_seconds
                        break
        for observed, below in zip(dimensions(obs, now), (requests_below, tokens_below), strict=True):
            at = max(at, observed.under(below))  # each observed dimension on its own
        return None if at == now else at

    def session_started(self, provider: str | None = None) -> float:
        """When today's usage began: the first event of the day (for ``provider``, or any), the budget's day as
        the tracker's calendar gives it.

        Falls back to when this tracker was created (the process start) if nothing was recorded
        today. Kept in the kv table, so pruning events does not move it. A mark never changes once
        written, so a mark found is remembered and not read again. It holds until the day ends.
        """
        return self.sessions_started((provider or "*",))[provider or "*"]

    def sessions_started(self, providers: Iterable[str]) -> dict[str, float]:
        """:meth:`session_started` of each of ``providers`` ("*": any), the marks not yet found in one query."""
        day = self._calendar(self._clock.now())[0]
        seen = self._first_event_seen  # another thread may clear it: one .get per mark
        found = {who: at for who in providers if (at := seen.get((day, who))) is not None}
        keys = {_first_event_key(day, who): who for who in providers if who not in found}
        if keys:
            rows = self._db.query(f"SELECT key, value FROM kv WHERE key IN ({', '.join('?' * len(keys))})",
                                  tuple(keys))
            if rows and len(seen) > 64:  # only today's marks are asked for
                seen.clear()
            for row in rows:
                who = keys[row["key"]]
                found[who] = seen[(day, who)] = float(row["value"])
        return {who: found.get(who, self._started) for who in providers}

    # -- helpers -------------------------------------------------------------------------------

    def _observation(self, conn: Connection, provider: str, now: float) -> Row | None:
        return conn.execute(_OBSERVATIONS.format(provider=" AND o.provider = ?"), (now, provider)).fetchone()

    def _mark_first_event(self, conn: Connection, provider: str, now: float) -> list[tuple[str, str]]:
        day = self._calendar(now)[0]
        marked = [(day, who) for who in (provider, "*") if (day, who) not in self._first_event_marked]
        for _, who in marked:
            conn.execute(
                "INSERT OR IGNORE INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
                (_first_event_key(day, who), repr(now), now),
            )
        return marked

    def _prune(self, conn: Connection, now: float) -> None:
        deleted = sql.prune_all(conn, now - self.window_seconds)
        oldest_day = self._calendar(now - _KEEP_FIRST_EVENT_DAYS * 86400)[0]
        conn.execute(
            "DELETE FROM kv WHERE key >= ? AND key < ?",
            (f"{_FIRST_EVENT}:", _first_event_key(oldest_day, "")),
        )
        if deleted:
            logger.debug("pruned %d usage events", deleted)


# Rows with a dimension still valid, and for the headers' our usage stamped after them (``after_*``: one index range
# of the newest events, within the window while the row is valid, since a refill lasts at most a window).
# tokens_valid_until is NULL in a row an older version wrote (before schema 10): a floor whose tokens lapse at
# valid_until too, as that version meant (``refills`` false).
_OBSERVATIONS = (
    "SELECT o.provider, o.requests_used, o.tokens_used, o.source, o.observed_at, o.valid_until,"
    " COALESCE(o.tokens_valid_until, o.valid_until) AS tokens_valid_until,"
    " o.source = 'headers' AND o.tokens_valid_until IS NOT NULL AS refills,"
    " COALESCE(SUM(e.requests), 0) AS after_requests, COALESCE(SUM(e.tokens), 0) AS after_tokens"
    " FROM usage_observations o LEFT JOIN usage_events e"
    " ON o.source = 'headers' AND e.provider = o.provider AND e.at > o.observed_at"
    " WHERE MAX(o.valid_until, COALESCE(o.tokens_valid_until, o.valid_until)) > ?{provider} GROUP BY o.provider"
)
_ALL_OBSERVATIONS = _OBSERVATIONS.format(provider="")


@functools.lru_cache(maxsize=16)
def _day_number_iso(day_number: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day_number)).date().isoformat()


def _first_event_key(day: str, who: str) -> str:
    return f"{_FIRST_EVENT}:{day}:{who}"
