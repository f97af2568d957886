"""A wall clock set back (an NTP step, a virtual machine resumed from a snapshot) is noticed and repaired.

Rows are stamped with wall-clock time: usage events, rate-limit holds, agent leases. After the clock goes
back by two hours, every one of them lies two hours in the future: a 60-second rate window then counts them
as requests still in flight, and stays full for two hours (the pacer polling all the while), a 30-second
hold lasts two hours, and so do leases.

No row is ever stamped further ahead than its own horizon: an in-flight request by the longest call (an API
call's or a CLI run's timeout, and a little), a rate-limit hold by the outage probe interval (a longer wait is
a quota, see execution/failures.py), a quota hold by a day, a lease by its TTL, an observed usage (a provider's rate-limit
headers, a figure entered by hand) by one rate window. A row beyond that horizon can only come
from a clock that went back, so it is brought back within it: an event counts from now (it leaves the window
one window later), a rate-limit hold or a 503's hold is lifted (a new 429 or 503 would set it again), an open
circuit's probe is due now, a quota hold, a lease or an observed usage ends at its horizon. (A 503 may ask for longer than the
probe interval and a probe may be put off to match: after a step such a hold is lifted too, at the cost of one
more 503.) The repair is idempotent, so every process that notices the step may run it. A process started
after a step has not seen the later time itself: it starts from the latest time a row says a process saw (rows
stamped with their writer's own now, never ahead of it), so its first check notices the step as a running
process would.
"""

from __future__ import annotations

import logging

from router_core.clock import Clock
from router_core.errors import StateUnusable
from router_core.execution.holds import MAX_HOLD_SECONDS, QUOTA, RATE_LIMITED, UNAVAILABLE
from router_core.settings import Settings
from router_core.store.db import Database

logger = logging.getLogger(__name__)

STEP_SECONDS = 5.0  # a clock this much behind the latest time seen has been set back
RETRY_SECONDS = 10.0  # after a repair that failed, checks within this long leave it for later


class ClockSteps:
    def __init__(self, db: Database, clock: Clock, settings: Settings, *, lease_ttl_seconds: float) -> None:
        self._db = db
        self._clock = clock
        # as the pacer stamps a request, with room for a clock slewed by less than a step
        self._in_flight = settings.execution.longest_call_seconds + 5.0 + STEP_SECONDS
        self._rate_hold = settings.execution.outage_probe_interval_seconds
        self._window = settings.execution.rate_window_seconds  # how long an observed usage holds (pacing.py)
        self._lease_ttl = lease_ttl_seconds
        self._latest = clock.now()
        self._failed_at: float | None = None  # when the last repair failed, if the step is still unrepaired
        if not db.in_transaction:  # a step before this process started is seen at its first check
            self._latest = max(self._latest, self._latest_written())

    def stepped_back(self) -> bool:
        """Whether :meth:`check` would repair rows now (a write): the clock went back a step since the last one."""
        return self._clock.now() < self._latest - STEP_SECONDS

    def check(self) -> None:
        """Repair the shared state if the clock went back since the last check (outside any transaction)."""
        now = self._clock.now()
        if now >= self._latest - STEP_SECONDS:
            if now > self._latest:
                self._latest = now
            return
        if self._db.in_transaction:
            return  # the next check outside one repairs it
        if self._failed_at is not None and self._failed_at <= now < self._failed_at + RETRY_SECONDS:
            return  # the last try failed just now: the reads and writes that check go on meanwhile
        try:
            self.repair(now, self._latest - now)
        except StateUnusable as exc:
            # Tried again after RETRY_SECONDS, not forgotten with the step while the rows stay in the future; and not
            # raised: the read or write that checked (a usage view, a route) goes on as it would without the step.
            self._failed_at = now
            logger.warning("the clock went back %.0fs and the rows stamped in the future could not be repaired yet "
                           "(%s); trying again in %.0fs", self._latest - now, exc, RETRY_SECONDS)
            return
        self._failed_at = None
        self._latest = now  # only once repaired

    def _latest_written(self) -> float:
        """The latest time a row was stamped with its writer's own now (0.0: none): a usage event settled or
        recorded (an unsettled ticket, stamped ahead, has a holder), the newest spend, a lease taken."""
        return float(self._db.query(
            "SELECT MAX(COALESCE((SELECT MAX(at) FROM usage_events WHERE holder IS NULL), 0),"
            " COALESCE((SELECT at FROM budget_spend ORDER BY id DESC LIMIT 1), 0),"
            " COALESCE((SELECT MAX(acquired_at) FROM agent_leases), 0))"
        )[0][0])

    def repair(self, now: float, step: float = 0.0) -> int:
        """Bring every row stamped beyond its horizon back within it; the number of rows changed."""
        with self._db.transaction() as conn:
            changed = conn.execute(
                "UPDATE usage_events SET at = ? WHERE at > ?", (now, now + self._in_flight)
            ).rowcount
            changed += conn.execute(
                "UPDATE execution_holds SET until = ? WHERE kind IN (?, ?) AND until > ?",
                (now, RATE_LIMITED, UNAVAILABLE, now + self._rate_hold),
            ).rowcount
            changed += conn.execute(  # the outage's probe is due: it finds out at once whether it is over
                "UPDATE execution_circuits SET next_probe_at = ? WHERE is_open = 1 AND next_probe_at > ?",
                (now, now + self._rate_hold),
            ).rowcount
            changed += conn.execute(
                "UPDATE execution_holds SET until = ? WHERE kind = ? AND until > ?",
                (now + MAX_HOLD_SECONDS, QUOTA, now + MAX_HOLD_SECONDS),
            ).rowcount
            changed += conn.execute(
                "UPDATE agent_leases SET expires_at = ? WHERE expires_at > ?",
                (now + self._lease_ttl, now + self._lease_ttl),
            ).rowcount
            for table in ("usage_observations", "execution_headroom"):  # the usage tracker's, the pacer's
                for column in ("valid_until", "tokens_valid_until"):
                    changed += conn.execute(
                        f"UPDATE {table} SET {column} = ? WHERE {column} > ?", (now + self._window, now + self._window)
                    ).rowcount
        logger.warning("the clock went back %.0fs: %d usage, hold, lease and observation rows stamped in the future were "
                       "brought back to now", step, changed)
        return changed
