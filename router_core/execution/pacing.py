"""Pacing: send a request only when the provider's sliding window has room for it, across processes.

Before each request, one ``BEGIN IMMEDIATE`` transaction over ``usage_events`` checks the provider's window
against its requests and tokens per window and, if the request fits, records it with its estimated tokens;
otherwise it returns how long to wait. The record is stamped ``in_flight_seconds`` ahead (the longest a call
may run: an API call's timeout or a CLI run's), so an unanswered request stays in every process's window
whatever its latency; :meth:`RatePacer.settle` then moves it to the time the answer arrived, with the actual
token count. A provider counts a request somewhere between send and answer, so a window that starts at the
answer never ends before the provider's does: paced requests are not sent to be rejected. The check reads the
window from the running totals (store/windows.py), which subtract the events already out of the window, and
deletes those once a batch has gathered: a few rows whatever the traffic.

Estimates are scaled by how far the provider's real counts have run above them (token_ratio.py), so
code or CJK text that is three tokens for every estimated one is paced on three. Rate-limit headers refine this,
an answer's and an error response's alike (a 429's say what the organisation has left): they give the
provider's real limits (used when lower than configured, until it reports others) and what it has spent,
ours and other tools' on the same key. The providers refill continuously (refill.py): what a dimension
reports spent comes back at the rate its reset implies, so a request fits when the units it needs are back,
not at the reset. Until then that dimension counts the larger of our own window and what is still out of
the reported figure plus our requests it may not include (those sent after the reported one: event ids
follow the order of admission); each dimension refills on its own. The headers are also stored as a usage observation (source
"headers") for routing and the usage resources, which count the same refill (usage.py).
A hold (a 429's retry-after, an exhausted quota) stops admission until it ends; for a window after it,
the requests that fit go one after another, at the provider's rate (ramp.py), not in one burst.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from sqlite3 import Connection, Row
from typing import TYPE_CHECKING

from router_core.clock import Clock
from router_core.execution import ramp, token_ratio
from router_core.execution.refill import NONE, Refill, refilled_at
from router_core.execution.tables import ensure_tables
from router_core.providers.base import RateLimitObservation
from router_core.settings import Settings
from router_core.slot_init import slot_init
from router_core.store import windows as sql
from router_core.store.db import Database
from router_core.store.holders import current_holder, holder_alive
from router_core.usage import UsageTracker

if TYPE_CHECKING:
    from router_core.clock_steps import ClockSteps

logger = logging.getLogger(__name__)

GUARD_SECONDS = 0.001  # sleep just past a window edge, never onto it
# Events out of the window are deleted in batches of about this many: one delete (and one write of the
# pages at the window's old end) per batch instead of per request.
PRUNE_AT_STALE_ROWS = 32


@slot_init
@dataclass(frozen=True, slots=True)
class PaceTicket:
    """An admitted request: its usage event, until settled."""

    provider: str
    event_id: int
    tokens: int  # as paced: the estimate scaled by the provider's learned ratio
    estimate: int = 0  # the caller's estimate, to learn the ratio from the answer (0: learn nothing)


@dataclass(frozen=True, slots=True)
class PaceWait:
    """No room yet: how long to wait, and the kind of hold if a provider's hold is the reason."""

    seconds: float
    hold: str | None = None  # "rate_limited" | "quota" | "unavailable" | None (the window is full)
    slot: float | None = None  # the send slot taken after a hold ended (ramp.py): pass it back when due
    # Of a full window, for the wait's notice (pace_notes.py): which limit is used up ("requests" | "tokens"), that
    # limit, and whether the wait is only a poll until a request in flight is answered (its end not known).
    full: str | None = field(default=None, compare=False)
    limit: int = field(default=0, compare=False)
    unanswered: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Room:
    requests_limit: int
    tokens_limit: int
    manual_requests: int  # a manual usage figure's excess over our own count, until ``manual_until``
    manual_tokens: int
    manual_until: float
    requests: Refill  # what the latest headers reported spent, coming back (refill.py)
    tokens: Refill
    counted_event: int | None  # our events up to this one (sent no later) are in the reported figures

    def included(self, event: Row) -> bool:
        """Whether the reported figures already count this event of ours."""
        return self.counted_event is not None and event["id"] <= self.counted_event

    def used(self, t: float, ours: tuple[int, int], included: tuple[int, int] = (0, 0)) -> tuple[float, float]:
        """Requests and tokens counted at ``t``: ``ours`` (our window then), plus the larger of a manual figure's
        excess and what the headers reported still out beyond the events of ours they count (``included``)."""
        manual = t < self.manual_until
        return (ours[0] + max(self.manual_requests if manual else 0, self.requests.left(t) - included[0], 0),
                ours[1] + max(self.manual_tokens if manual else 0, self.tokens.left(t) - included[1], 0))


class RatePacer:
    poll_seconds = 0.05  # re-check interval while only unanswered requests fill the window

    def __init__(
        self, db: Database, clock: Clock, settings: Settings, usage: UsageTracker, *, in_flight_seconds: float,
        clock_steps: ClockSteps | None = None,
    ) -> None:
        ensure_tables(db)
        # Repairs the window after a clock set back (else it waits that long), but only outside a transaction: the
        # executor, which calls try_acquire inside its own, checks before opening it.
        self._clock_steps = clock_steps
        self._db = db
        self._clock = clock
        self._usage = usage
        self.window = usage.window_seconds
        self._limits = {p.name: (p.requests_per_minute, p.tokens_per_minute) for p in settings.providers}
        # The room of a provider that reported no headers and has no manual figure: its configured limits alone.
        self._plain = {name: _Room(rpm, tpm, 0, 0, -math.inf, NONE, NONE, None)
                       for name, (rpm, tpm) in self._limits.items()}
        self._in_flight = float(in_flight_seconds)

    # -- admission -----------------------------------------------------------------------------

    def try_acquire(self, provider: str, tokens: int, *, slot: float | None = None,
                    spread: bool = True) -> PaceTicket | PaceWait:
        """Record the request and return its ticket if it fits now; else how long to wait. ``slot``: the send
        slot an earlier wait gave this request (ramp.py), passed back when it is due. ``spread=False``: a single
        request (an outage probe) that goes when the window has room, without a slot after a hold."""
        if self._clock_steps is not None:
            self._clock_steps.check()
        now = self._clock.now()
        with self._db.transaction() as conn:
            rows = conn.execute(_PROVIDER_ROWS, {"provider": provider, "now": now, "since": now - self.window}).fetchone()
            hold_until = rows["hold_until"]  # in force, or ended less than a window ago (its ramp); None: no hold
            if hold_until is not None and hold_until > now:
                return PaceWait(hold_until - now + GUARD_SECONDS, rows["hold_kind"])
            estimate, tokens = tokens, token_ratio.scaled(rows["ratio"], tokens)
            used = sql.tracked_window(conn, provider, now - self.window)  # exact whatever is left to prune
            if used.stale_rows >= PRUNE_AT_STALE_ROWS:
                self._usage.prune_events(conn, provider, now)
            for _ in range(2):  # again once if a dead process's tickets were reclaimed
                room = self._room(rows, provider, now, used)  # (the reclaim writes only usage_events)
                ours = (used.requests, used.tokens)
                fits = _fits(*room.used(now, ours), tokens, room)  # as if the reported figures counted none of ours
                if not fits:
                    events = conn.execute(_EVENTS, (provider, now - self.window)).fetchall()
                    included = _sums(e for e in events if room.included(e))
                    fits = included != (0, 0) and _fits(*room.used(now, ours, included), tokens, room)
                if fits:
                    ahead = None if hold_until is None or not spread else ramp.slot_ahead(
                        conn, provider, hold_until, self.window / max(1, room.requests_limit), self.window, now,
                        slot, GUARD_SECONDS)
                    if ahead is not None:  # the hold just ended: after the requests that asked before
                        return PaceWait(ahead - now + GUARD_SECONDS, slot=ahead)
                    cur = conn.execute(
                        "INSERT INTO usage_events (provider, at, requests, tokens, holder) VALUES (?, ?, 1, ?, ?)",
                        (provider, now + self._in_flight, tokens, current_holder()),
                    )
                    self._usage.mark_first_event(conn, provider, now)
                    return PaceTicket(provider, int(cur.lastrowid), tokens, estimate)
                if not (any(e["at"] > now for e in events) and self._reclaim_dead(conn, provider, now)):
                    break
                used = sql.tracked_window(conn, provider, now - self.window)
        seconds = self._wait(events, room, tokens, now)
        used_requests, _ = room.used(now, ours)  # which limit is used up, for the wait's notice only
        full, limit = (("requests", room.requests_limit) if used_requests + 1 > room.requests_limit
                       else ("tokens", room.tokens_limit))
        return PaceWait(self.poll_seconds if seconds is None else seconds, full=full, limit=limit,
                        unanswered=seconds is None)

    def _reclaim_dead(self, conn: Connection, provider: str, now: float) -> bool:
        """Restamp the in-flight tickets of processes gone from this host (killed mid-request) to now; True if
        there were any. A ticket left stamped ``in_flight_seconds`` ahead kept the window full for that long,
        and every waiting task polling. Now, not when it was sent: a provider counts a request as late as its
        answer, and it goes on answering one whose sender was killed; counted from the send, the window
        emptied before the provider's and the next request got a 429. (An orphan the provider answers after
        the reclaim can still outlast it: nothing here learns when that answer comes.)"""
        rows = conn.execute(
            "SELECT id, at, holder FROM usage_events WHERE provider = ? AND at > ? AND holder IS NOT NULL",
            (provider, now),
        ).fetchall()
        me = current_holder()
        dead = {h for h in {r["holder"] for r in rows} if h != me and not holder_alive(h)}
        if not dead:
            return False
        logger.info("%s: reclaiming %d in-flight request(s) of processes that ended", provider,
                    sum(r["holder"] in dead for r in rows))
        conn.executemany("UPDATE usage_events SET at = ?, holder = NULL WHERE id = ?",
                         [(now, r["id"]) for r in rows if r["holder"] in dead])
        return True

    def settle(
        self, ticket: PaceTicket, tokens: int, observation: RateLimitObservation | None = None,
        *, answered_at: float | None = None, counted: bool = True,
    ) -> None:
        """The answer arrived (at ``answered_at``, default now): restamp the request then, with its actual
        tokens, and learn from the headers and (when ``counted``: ``tokens`` is the provider's own count,
        not a guess) from how far the tokens ran above the estimate."""
        now = self._clock.now()
        at = now if answered_at is None else min(answered_at, now)
        with self._db.transaction() as conn:
            # No holder: no longer in flight, so stamped no later than now (clock_steps.py reads the latest such).
            cur = conn.execute("UPDATE usage_events SET at = ?, tokens = ?, holder = NULL WHERE id = ?",
                               (at, max(0, tokens), ticket.event_id))
            if cur.rowcount == 0:  # pruned meanwhile (an answer slower than window + timeout)
                conn.execute("INSERT INTO usage_events (provider, at, requests, tokens) VALUES (?, ?, 1, ?)",
                             (ticket.provider, at, max(0, tokens)))
            if observation is not None:
                self._observe(conn, ticket, observation, now)
            if counted:
                token_ratio.learn(conn, ticket.provider, ticket.estimate, tokens)

    def failed(self, ticket: PaceTicket, observation: RateLimitObservation | None = None) -> None:
        """The request failed: it still counts as a request (providers count most), with no tokens. The error
        response's rate-limit headers (``observation``: a 429's say what the organisation has left) are
        learned from as an answer's are."""
        self.settle(ticket, 0, observation, counted=False)

    def unsent(self, ticket: PaceTicket) -> None:
        """Nothing reached the provider (its CLI not found, a prompt refused here): the request leaves the window,
        as if never admitted; the provider did not count it either."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM usage_events WHERE id = ?", (ticket.event_id,))

    # -- helpers -------------------------------------------------------------------------------

    def _room(self, rows: Row, provider: str, now: float, ours: sql.TrackedWindow) -> _Room:
        """The provider's room, from its headroom and manual figure in ``rows`` (``_PROVIDER_ROWS``)."""
        head_until = rows["head_until"]
        if head_until is None and rows["manual_until"] is None:
            return self._plain[provider]  # (a manual figure that ended, like none: never counted)
        rpm, tpm = self._limits[provider]
        requests = tokens = NONE
        counted_event = None
        if head_until is not None:  # the provider's own limits stand until it reports others
            rpm = min(rpm, rows["requests_limit"] or rpm)
            tpm = min(tpm, rows["tokens_limit"] or tpm)
            tokens_until = head_until if rows["head_tokens_until"] is None else rows["head_tokens_until"]
            if rows["observed_at"] is None:  # a row from before refills: other tools' usage, whole until its time
                requests = Refill(rows["external_requests"], head_until, head_until)
                tokens = Refill(rows["external_tokens"], tokens_until, tokens_until)
            else:
                requests = Refill(rows["reported_requests"] or 0, rows["observed_at"], head_until)
                tokens = Refill(rows["reported_tokens"] or 0, rows["observed_at"], tokens_until)
                counted_event = rows["counted_event"]
        manual_r = manual_t = 0
        manual_until = rows["manual_until"] or now
        if rows["manual_until"] is not None:  # a manual figure is a floor: count what it says beyond our own events
            manual_r = max(0, rows["requests_used"] - ours.requests)
            manual_t = max(0, rows["tokens_used"] - ours.tokens)
        return _Room(rpm, tpm, manual_r, manual_t, manual_until, requests, tokens, counted_event)

    def _wait(self, events: Sequence[Row], room: _Room, tokens: int, now: float) -> float | None:
        """Seconds until the request fits, if no new usage arrives; None while only unanswered requests block it
        (the caller polls).
        Between two times an event or a manual figure leaves, the counts hold and only the reported figures
        refill: the request fits once the units it needs are back."""
        settled = [e for e in events if e["at"] <= now]
        ours = list(_sums(events))
        included = list(_sums(e for e in events if room.included(e)))
        ends = sorted({t for t in (*(e["at"] + self.window for e in settled), room.manual_until) if t > now})
        index = 0
        for start, end in zip([now, *ends], [*ends, math.inf], strict=True):
            while index < len(settled) and settled[index]["at"] + self.window <= start:
                event = settled[index]
                counted = room.included(event)
                for i, key in enumerate(("requests", "tokens")):
                    ours[i] -= event[key]
                    included[i] -= event[key] if counted else 0
                index += 1
            at = _fit_from(start, ours, included, room, tokens)
            if at is not None and at < end:
                return at - now + GUARD_SECONDS
        return None

    def _observe(self, conn: Connection, ticket: PaceTicket, obs: RateLimitObservation, now: float) -> None:
        provider = ticket.provider
        used_r = _used(obs.requests_limit, obs.requests_remaining)
        used_t = _used(obs.tokens_limit, obs.tokens_remaining)
        requests_full = refilled_at(used_r, obs.requests_limit, obs.requests_reset_at, now, self.window)
        tokens_full = refilled_at(used_t, obs.tokens_limit, obs.tokens_reset_at, now, self.window)
        # Routing counts the same refill (usage.py): each dimension comes back from ``now`` until it is full.
        self._usage.observe(provider, requests_used=used_r or 0, tokens_used=used_t or 0, source="headers",
                            valid_until=requests_full, tokens_valid_until=tokens_full, observed_at=now)
        ours = sql.tracked_window(conn, provider, now - self.window)
        # external_*: what a process from before refills reads (beyond our count, whole until valid_until).
        conn.execute(
            "INSERT OR REPLACE INTO execution_headroom (provider, requests_limit, tokens_limit, external_requests,"
            " external_tokens, valid_until, tokens_valid_until, reported_requests, reported_tokens, observed_at,"
            " counted_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (provider, obs.requests_limit, obs.tokens_limit, max(0, (used_r or 0) - ours.requests),
             max(0, (used_t or 0) - ours.tokens), requests_full, tokens_full, used_r or 0, used_t or 0, now,
             ticket.event_id),
        )


# What admission reads of the provider besides its window, in one statement (a lookup by key in each table): its
# hold in force or ended less than a window ago (``since``), its learned token ratio, what its latest rate-limit
# headers reported, and a manual usage figure still valid. Always one row; a table without the provider's gives NULLs.
_PROVIDER_ROWS = """
SELECT h.kind AS hold_kind, h.until AS hold_until, r.ratio, x.requests_limit, x.tokens_limit, x.external_requests,
    x.external_tokens, x.valid_until AS head_until, x.tokens_valid_until AS head_tokens_until, x.reported_requests,
    x.reported_tokens, x.observed_at, x.counted_event, o.requests_used, o.tokens_used,
    o.valid_until AS manual_until
FROM (SELECT :provider AS provider) p
LEFT JOIN execution_holds h ON h.provider = p.provider AND h.until > :since
LEFT JOIN execution_token_ratios r ON r.provider = p.provider
LEFT JOIN execution_headroom x ON x.provider = p.provider
LEFT JOIN usage_observations o ON o.provider = p.provider AND o.valid_until > :now AND o.source != 'headers'
"""


_EVENTS = "SELECT id, at, requests, tokens FROM usage_events WHERE provider = ? AND at > ? ORDER BY at"


def _sums(events: Iterable[Row]) -> tuple[int, int]:
    requests = tokens = 0
    for e in events:
        requests += e["requests"]
        tokens += e["tokens"]
    return requests, tokens


def _fit_from(start: float, ours: Sequence[int], included: Sequence[int], room: _Room, tokens: int) -> float | None:
    """The earliest time from ``start`` at which the request fits, the counts of ours as they are then; None if
    it cannot while they are (:func:`_fits`, solved for the time the reported figures have refilled enough)."""
    manual = start < room.manual_until
    at = start
    for need, limit, mine, floor, refill, counted in (
        (1, room.requests_limit, ours[0], room.manual_requests, room.requests, included[0]),
        (tokens, room.tokens_limit, ours[1], room.manual_tokens, room.tokens, included[1]),
    ):
        spare = limit - need - mine if need <= limit else (0 if mine <= 0 else -1)  # larger: alone in the window
        if spare < 0 or (manual and floor > spare):
            return None
        when = refill.when_at_most(spare + counted)
        if when is None:
            return None
        at = max(at, when)
    return at


def _fits(used_requests: float, used_tokens: float, tokens: int, room: _Room) -> bool:
    if used_requests + 1 > room.requests_limit:
        return False
    if tokens > room.tokens_limit:  # larger than a whole window: it goes alone into an empty one
        return used_tokens == 0
    return used_tokens + tokens <= room.tokens_limit


def _used(limit: int | None, remaining: int | None) -> int | None:
    if limit is None or remaining is None:
        return None
    return max(0, limit - remaining)
