"""Settling by the Reservation that reserve() returned: the same ledger as settling by id, one read fewer."""

from __future__ import annotations

import os
import socket

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.models import ProviderBudget
from router_core.settings import BudgetSettings
from router_core.store.db import Database
from router_core.store.holders import current_holder

MIDNIGHT = 1_772_496_000.0  # 2026-03-03T00:00:00Z
SETTINGS = BudgetSettings(
    daily_total=100.0, allocations=(("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)),
    alert_thresholds=(50, 75, 90), timezone="UTC", reservation_ttl_seconds=900.0,
)


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> BudgetLedger:
    return BudgetLedger(db, clock, SETTINGS, current_holder())


def test_a_live_reservation_settles_without_reading_its_row_back(ledger: BudgetLedger, db: Database) -> None:
    r = ledger.reserve("codex", 0.52, task_id="task-1")
    seen: list[str] = []
    db.connection().set_trace_callback(seen.append)
    try:
        ledger.settle(r, 0.61)
    finally:
        db.connection().set_trace_callback(None)
    statements = {s for s in seen if not s.startswith(("BEGIN", "COMMIT"))}  # a trigger's body traces as its statement
    assert [" ".join(s.split()[:3]) for s in sorted(statements)] == [
        "DELETE FROM budget_reservations", "INSERT INTO budget_spend"]  # its row goes (schema 16)
    assert not any("RETURNING" in s for s in statements)
    ledger.settle(r, 0.61)  # idempotent, as by id
    ledger.settle(r.id, 0.61)
    ledger.release(r.id)  # too late to release: stays spent
    assert ledger.snapshot().provider("codex") == ProviderBudget("codex", 30.0, 0.61, 0.0)


def test_a_reservation_settles_into_its_own_day_and_provider(ledger: BudgetLedger, clock: FakeClock) -> None:
    late = ledger.reserve("gemini", 4.0)
    clock.set(MIDNIGHT)
    ledger.settle(late, 3.5)
    assert ledger.spend_by_day(2) == {
        "2026-03-02": {"codex": 0.0, "gemini": 3.5, "claude": 0.0},
        "2026-03-03": {"codex": 0.0, "gemini": 0.0, "claude": 0.0},
    }


def test_a_released_reservation_is_still_settled(ledger: BudgetLedger) -> None:
    r = ledger.reserve("claude", 2.0)
    ledger.release(r.id)
    ledger.settle(r, 1.25)  # the call finished after all: the money was spent
    assert ledger.snapshot().provider("claude") == ProviderBudget("claude", 30.0, 1.25, 0.0)


def test_a_call_charged_at_its_estimate_is_corrected_to_its_cost(ledger: BudgetLedger, clock: FakeClock) -> None:
    dead = f"{socket.gethostname()}:{os.getpid()}:1"  # this pid, but another start time: a process that died
    theirs = BudgetLedger(ledger._db, clock, SETTINGS, dead)
    in_call = theirs.reserve("claude", 10.0)
    theirs.calling(in_call.id, 2.5)
    assert ledger.snapshot().provider("claude").spent == pytest.approx(2.5)  # charged at the estimate
    theirs.settle(in_call, 9.0)  # its holder answered after all: the cost it knows replaces the estimate
    theirs.settle(in_call, 1.0)  # settled: changes nothing
    assert ledger.snapshot().spent == pytest.approx(9.0)
