"""Provider holds: "do not send before T", learned from a provider and shared by every process.

A 429 with a retry-after sets a ``rate_limited`` hold, so the other tasks of a batch (and other
processes) wait it out instead of collecting 429s of their own; a 503 or 529 with a retry-after (to a
request or to an outage probe) sets an ``unavailable`` hold, which acts alike. An exhausted quota or spend cap sets a
``quota`` hold until its reset: no call can succeed before then, so every task falls back at once.
A later hold never shortens an earlier one, and none lasts longer than ``MAX_HOLD_SECONDS``: a reset
further off than that is more likely a bogus header than a real wait, and one call a day finds out
again. Holds appear in routing as blocks (design 3.2) and so in
the usage resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from router_core.clock import Clock
from router_core.errors import ProviderUnavailable
from router_core.execution.tables import ensure_tables
from router_core.models import Block
from router_core.redact import scrubbed
from router_core.store.db import Database

RATE_LIMITED = "rate_limited"
QUOTA = "quota"
UNAVAILABLE = "unavailable"  # a 503 or 529 that said when to come back
MAX_HOLD_SECONDS = 86400.0  # the longest hold written; a daily quota resets within it
MAX_REASON_CHARS = 300  # of a hold's reason, as stored and shown


@dataclass(frozen=True, slots=True)
class Hold:
    provider: str
    kind: str  # "rate_limited" | "quota" | "unavailable"
    until: float
    reason: str

    @property
    def block(self) -> Block:
        return Block(self.reason, self.until)


class ProviderHolds:
    def __init__(self, db: Database, clock: Clock) -> None:
        ensure_tables(db)
        self._db = db
        self._clock = clock

    def hold(self, provider: str, kind: str, until: float, reason: str) -> None:
        """Hold ``provider`` until ``until`` (epoch seconds), unless a longer hold is already in place.

        ``reason`` may quote a provider's error or a CLI's stderr; it is shown wherever the block is (routing
        reasons, the audit line's provider state, usage resources, the dashboard), so it is stored with any
        credential redacted, before it is cut (a cut key would no longer look like one)."""
        now = self._clock.now()
        if not until > now:  # also NaN
            return
        until = min(until, now + MAX_HOLD_SECONDS)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO execution_holds (provider, kind, until, reason) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (provider) DO UPDATE SET kind = excluded.kind, until = excluded.until,"
                " reason = excluded.reason WHERE excluded.until > execution_holds.until"
                " OR execution_holds.until <= ?",
                (provider, kind, until, _cut(scrubbed(reason)), now),
            )

    def hold_unavailable(self, provider: str, error: ProviderUnavailable) -> float:
        """Hold a provider whose 503 or 529 said when to come back (a request's or an outage probe's; the caller
        checked ``error.retry_after``): every process waits for it, as for a 429's. Returns when the hold ends,
        capped at ``MAX_HOLD_SECONDS`` from now."""
        until = self._clock.now() + min(error.retry_after, MAX_HOLD_SECONDS)
        self.hold(provider, UNAVAILABLE, until,
                  f"unavailable ({error.status_code}): retry after {error.retry_after:g}s")
        return until

    def active(self, provider: str | None = None) -> dict[str, Hold]:
        """Holds still in force, by provider."""
        now = self._clock.now()
        if provider is None:
            rows = self._db.query("SELECT * FROM execution_holds WHERE until > ?", (now,))
        else:
            rows = self._db.query("SELECT * FROM execution_holds WHERE provider = ? AND until > ?", (provider, now))
        return {r["provider"]: Hold(r["provider"], r["kind"], r["until"], r["reason"]) for r in rows}

    def clear(self, provider: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM execution_holds WHERE provider = ?", (provider,))


def _cut(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    """``reason`` within ``limit`` characters, a cut marked: "Please retry in 36." read as a whole sentence."""
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
