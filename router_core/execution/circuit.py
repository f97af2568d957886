"""A circuit breaker per provider (design 9.3), shared by every process through the state database.

After ``threshold`` consecutive failures (5xx, 529, timeouts, broken responses) the circuit opens: the
provider is in outage; a success, or an answer no outage gives (a 429, an exhausted quota, refused
credentials, another 4xx: recovery.ANSWERS), starts the count again. While open, routing treats it as blocked until the next probe, and traffic goes to healthy
providers. When a probe is due, one process claims it (the claim moves ``next_probe_at`` on by the
interval, so others do not probe too) and sends a cheap request; success closes the circuit. A claim that
could not send (a hold on the provider, a full window) is handed back for when it can. Each
transition is reported to exactly one caller, the one whose transaction made it, so each outage and
each recovery is audited once.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from router_core.clock import Clock
from router_core.execution.tables import ensure_tables
from router_core.failure_text import unnamed
from router_core.models import Block
from router_core.redact import scrubbed
from router_core.slot_init import slot_init
from router_core.store.db import Database

logger = logging.getLogger(__name__)


@slot_init
@dataclass(frozen=True, slots=True)
class CircuitState:
    provider: str
    failures: int  # consecutive failures
    is_open: bool
    opened_at: float | None
    next_probe_at: float | None
    last_error: str

    @property
    def block(self) -> Block:
        return Block(f"outage: {self.failures} consecutive failures", self.next_probe_at)

    @property
    def skipped(self) -> str:
        """Why a task passed the provider by, as its attempt says it (the outcome, "outage", beside it)."""
        return f"outage ({self.failures} consecutive failures); last error: {unnamed(self.provider, self.last_error)}"


class CircuitBreaker:
    def __init__(self, db: Database, clock: Clock, *, threshold: int, probe_interval: float) -> None:
        if threshold < 1 or probe_interval <= 0:
            raise ValueError("threshold must be >= 1 and probe_interval > 0")
        ensure_tables(db)
        self._db = db
        self._clock = clock
        self.threshold = threshold
        self.probe_interval = float(probe_interval)

    def record_failure(self, provider: str, error: str) -> CircuitState | None:
        """Count a failure; returns the new state if this failure opened the circuit."""
        now = self._clock.now()
        error = scrubbed(error)  # stored, logged and audited: a quoted key goes no further (cut after, not before)
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT failures, is_open FROM execution_circuits WHERE provider = ?", (provider,)
            ).fetchone()
            failures = (row["failures"] if row else 0) + 1
            was_open = bool(row and row["is_open"])
            opens = not was_open and failures >= self.threshold
            conn.execute(
                "INSERT INTO execution_circuits (provider, failures, is_open, opened_at, next_probe_at,"
                " last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (provider) DO UPDATE SET failures = excluded.failures, last_error = excluded.last_error,"
                " updated_at = excluded.updated_at, is_open = MAX(is_open, excluded.is_open),"
                " opened_at = COALESCE(execution_circuits.opened_at, excluded.opened_at),"
                " next_probe_at = COALESCE(execution_circuits.next_probe_at, excluded.next_probe_at)",
                (provider, failures, int(opens), now if opens else None,
                 now + self.probe_interval if opens else None, error[:500], now),
            )
        if opens:  # said once committed (this may be joined to a caller's transaction, which may roll back)
            self._db.after_commit(functools.partial(
                logger.warning, "%s: outage after %d consecutive failures: %s", provider, failures, error))
            return CircuitState(provider, failures, True, now, now + self.probe_interval, error)
        return None

    def record_success(self, provider: str) -> CircuitState | None:
        """Reset the count; returns the state it was in if this success closed an open circuit."""
        with self._db.transaction() as conn:
            # Read in this transaction, never taken from a snapshot: another process may have counted failures or
            # opened the circuit since. A closed circuit with no failures (after most calls) matches no row, which
            # costs half of fetching it (no Row built).
            row = conn.execute("SELECT * FROM execution_circuits WHERE provider = ?"
                               " AND (failures != 0 OR is_open != 0)", (provider,)).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE execution_circuits SET failures = 0, is_open = 0, opened_at = NULL, next_probe_at = NULL,"
                " updated_at = ? WHERE provider = ?",
                (self._clock.now(), provider),
            )
        if not row["is_open"]:
            return None
        self._db.after_commit(functools.partial(logger.warning, "%s: recovered after an outage", provider))
        return _state(row)

    def record_answer(self, provider: str) -> None:
        """The provider answered with a refusal that no outage gives (recovery.ANSWERS: a 429, a 401, a 404):
        the count of consecutive failures starts again, as after a success, but an open circuit stays open. Its probe
        decides (a probe's 429 closes it): a call sent before the circuit opened elsewhere says little of now."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE execution_circuits SET failures = 0, updated_at = ? WHERE provider = ?"
                         " AND is_open = 0 AND failures > 0", (self._clock.now(), provider))

    def claim_probe(self, provider: str) -> bool:
        """True for the one caller that may probe an open circuit whose probe is due."""
        now = self._clock.now()
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE execution_circuits SET next_probe_at = ? WHERE provider = ? AND is_open = 1"
                " AND next_probe_at <= ?",
                (now + self.probe_interval, provider, now),
            )
        return cur.rowcount == 1

    def reschedule_probe(self, provider: str, at: float) -> None:
        """Hand back a claimed probe that was not sent (the provider is held, or its window is full): the next
        one is due at ``at``, when it may be sent, not a whole interval after a probe that never happened."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE execution_circuits SET next_probe_at = ? WHERE provider = ? AND is_open = 1",
                         (at, provider))

    def probe_not_before(self, provider: str, at: float) -> None:
        """Move an open circuit's next probe on to ``at`` if it is due sooner: the provider said when to come
        back (a 503's Retry-After), and a probe before then would only meet the hold it set."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE execution_circuits SET next_probe_at = ? WHERE provider = ? AND is_open = 1"
                         " AND (next_probe_at IS NULL OR next_probe_at < ?)", (at, provider, at))

    def open_circuits(self) -> dict[str, CircuitState]:
        rows = self._db.query("SELECT * FROM execution_circuits WHERE is_open = 1")
        return {row["provider"]: _state(row) for row in rows}

    def state(self, provider: str) -> CircuitState:
        rows = self._db.query("SELECT * FROM execution_circuits WHERE provider = ?", (provider,))
        return _state(rows[0]) if rows else CircuitState(provider, 0, False, None, None, "")

    def due_probes(self) -> list[str]:
        now = self._clock.now()
        return [p for p, s in self.open_circuits().items() if s.next_probe_at is not None and s.next_probe_at <= now]


def _state(row) -> CircuitState:
    return CircuitState(
        provider=row["provider"],
        failures=row["failures"],
        is_open=bool(row["is_open"]),
        opened_at=row["opened_at"],
        next_probe_at=row["next_probe_at"],
        last_error=row["last_error"],
    )
