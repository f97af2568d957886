"""A settlement the state database could not take (locked past its busy timeout, a full disk): the reservation
stays counted, and the ledger's next heartbeat or reservation records the actual cost, once."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.errors import StateUnusable
from router_core.store.db import Database
from tests.router_core.test_budget import ME, SETTINGS, T0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def short_db(tmp_path):
    database = Database(tmp_path / "state.db", busy_timeout_seconds=0.05)
    yield database
    database.close()


@contextmanager
def another_writer(db: Database):
    """Another process holding the write lock past our busy timeout."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("COMMIT")
        other.close()


def spend_rows(db: Database, rid: str) -> list[float]:
    return [row[0] / 1e6 for row in db.query("SELECT micro_usd FROM budget_spend WHERE reservation_id = ?", (rid,))]


def test_a_settle_that_failed_stays_counted_and_the_next_heartbeat_records_it_once(short_db, clock) -> None:
    # The error propagated and nothing remembered the cost: the caller released the reservation (or its heartbeat
    # did), and the answer's cost never reached the ledger.
    ledger = BudgetLedger(short_db, clock, SETTINGS, ME)
    r = ledger.reserve("codex", 20.0)
    with another_writer(short_db), pytest.raises(StateUnusable, match="locked"):
        ledger.settle(r.id, 2.5)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.0, 20.0)  # the money stays counted meanwhile
    clock.advance(600)
    ledger.heartbeat()
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (2.5, 0.0)
    ledger.heartbeat()
    ledger.reserve("codex", 1.0)
    assert ledger.snapshot().provider("codex").spent == 2.5
    assert spend_rows(short_db, r.id) == [2.5]


def test_a_settle_that_failed_is_recorded_by_the_next_reservation(short_db, clock) -> None:
    ledger = BudgetLedger(short_db, clock, SETTINGS, ME)
    r = ledger.reserve("codex", 25.0)
    with another_writer(short_db), pytest.raises(StateUnusable):
        ledger.settle(r.id, 1.0)
    # 25 of codex's 30 were held at the output cap: 20 more fit only once the answer's real cost replaced them.
    ledger.reserve("codex", 20.0)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (1.0, 20.0)
    assert spend_rows(short_db, r.id) == [1.0]


def test_a_settlement_that_committed_though_its_caller_saw_it_fail_is_not_charged_twice(db, clock) -> None:
    ledger = BudgetLedger(db, clock, SETTINGS, ME)
    r = ledger.reserve("codex", 20.0)
    ledger.settle(r.id, 2.5)
    ledger.settle_later(r.id, 2.5)  # the caller's transaction reported a failure after the write went through
    ledger.heartbeat()
    ledger.reserve("codex", 1.0)
    assert ledger.snapshot().provider("codex").spent == 2.5
    assert spend_rows(db, r.id) == [2.5]


def test_a_reservation_charged_at_its_estimate_while_its_settle_waited_is_corrected_to_the_cost(short_db, clock):
    # The store stayed unwritable past the TTL, so no heartbeat refreshed the reservation: another process found it
    # silent with its call on the wire and charged it at the call's estimate. The settlement corrects that charge.
    ledger = BudgetLedger(short_db, clock, SETTINGS, ME)
    r = ledger.reserve("codex", 20.0)
    assert ledger.calling(r.id, 4.0)
    with another_writer(short_db), pytest.raises(StateUnusable):
        ledger.settle(r.id, 2.5)
    clock.advance(SETTINGS.reservation_ttl_seconds + 1)
    other = BudgetLedger(short_db, clock, SETTINGS, "otherhost:1:1")
    assert other.snapshot().provider("codex").spent == 4.0
    ledger.heartbeat()
    assert ledger.snapshot().provider("codex").spent == 2.5
    assert spend_rows(short_db, r.id) == [2.5]
