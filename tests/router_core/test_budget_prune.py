"""Pruning the finished reservations past the week kept: by the time their ids begin with, and now and then all."""

from __future__ import annotations

import secrets

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.settings import BudgetSettings
from router_core.store import ledger as sql
from router_core.store.db import Database
from router_core.store.holders import current_holder
from tests.conftest import T0  # 2026-03-02T10:00:00Z; the clock fixture starts there

DAY = 86_400.0
SETTINGS = BudgetSettings(
    daily_total=1000.0, allocations=(("codex", 300.0), ("gemini", 400.0), ("claude", 300.0)),
    alert_thresholds=(50, 75, 90), timezone="UTC", reservation_ttl_seconds=900.0,
)


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> BudgetLedger:
    made = BudgetLedger(db, clock, SETTINGS, current_holder())
    made.prune_every = 10**9  # none while the test makes its rows
    return made


def _ids(db: Database) -> set[str]:
    return {row["id"] for row in db.query("SELECT id FROM budget_reservations")}


def _older_version_row(db: Database, rid: str, day: str) -> None:
    """A settled reservation as a Switchboard before schema 14 made it: a random id."""
    with db.transaction() as conn:
        sql.insert_reservation(conn, rid, day, "codex", 1, None, current_holder(), T0 - 9 * DAY)
        sql.set_status(conn, [rid], "settled")


def _reserve_at(ledger: BudgetLedger, clock: FakeClock, at: float, *, settle: bool = True) -> str:
    """A reservation made at ``at``; ``settle``: finished as this version keeps a row, expired (a settled or
    released one's row goes at once, schema 16)."""
    clock.set(at)
    r = ledger.reserve("codex", 0.01)
    if settle:
        with ledger._db.transaction() as conn:
            sql.set_status(conn, [r.id], "expired")
    return r.id


def test_a_prune_reads_only_the_reservations_made_before_the_kept_week(
    ledger: BudgetLedger, clock: FakeClock, db: Database,
) -> None:
    nine = _reserve_at(ledger, clock, T0 - 9 * DAY)
    eight = _reserve_at(ledger, clock, T0 - 8 * DAY)
    live = _reserve_at(ledger, clock, T0 - 8 * DAY, settle=False)  # never settled nor found stale: left alone
    six = _reserve_at(ledger, clock, T0 - 6 * DAY)  # within the week kept
    above, below = "f" + secrets.token_hex(16)[1:], "00" + secrets.token_hex(16)[2:]  # either side of the range
    _older_version_row(db, above, "2026-02-20")
    _older_version_row(db, below, "2026-02-20")
    clock.set(T0)
    ledger.prune_every, ledger._prunes = 1, 1  # the next prune is not a process's first: by the ids' time
    seen: list[str] = []
    db.connection().set_trace_callback(seen.append)
    try:
        kept = _reserve_at(ledger, clock, T0)
    finally:
        db.connection().set_trace_callback(None)
    assert _ids(db) == {live, six, above, kept}  # the random id above the range waits for a prune of all
    assert not {nine, eight, below} & _ids(db)
    pruned = sorted({s for s in seen if s.startswith("DELETE FROM budget_reservations")})  # (once per trigger run)
    assert len(pruned) == 1 and " id < '" in pruned[0]
    plan = [tuple(row)[3] for row in db.query("EXPLAIN QUERY PLAN " + pruned[0])]
    assert plan == ["SEARCH budget_reservations USING PRIMARY KEY (id<?)"]  # a range, not a scan of the table


def test_the_first_prune_of_a_process_and_one_in_fifty_read_every_row(
    ledger: BudgetLedger, clock: FakeClock, db: Database,
) -> None:
    old = "f" + secrets.token_hex(16)[1:]
    _older_version_row(db, old, "2026-02-20")
    ledger.prune_every = 1
    ledger.reserve("codex", 0.01)  # the process's first prune: all rows
    assert old not in _ids(db)
    _older_version_row(db, old, "2026-02-20")
    for _ in range(ledger.full_prune_every - 1):  # by the ids' time: the random id stays
        ledger.reserve("codex", 0.01)
        assert old in _ids(db)
    ledger.reserve("codex", 0.01)  # the fiftieth: all rows again
    assert old not in _ids(db)
