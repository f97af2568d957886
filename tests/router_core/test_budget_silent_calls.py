"""A reservation whose holder is alive but fell silent past the TTL while its call was on the wire.

The laptop slept (the wall clock jumps ahead, the CLI's process is suspended with it) or the call started on a
heartbeat already old: another snapshot finds the reservation stale and charges its call at the estimate. The
holder then comes back with the answer and settles it at what it really cost.
"""

from __future__ import annotations

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.settings import BudgetSettings
from router_core.store.db import Database
from router_core.store.holders import current_holder

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z
ME = current_holder()
SETTINGS = BudgetSettings(
    daily_total=100.0,
    allocations=(("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)),
    reservation_ttl_seconds=900.0,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> BudgetLedger:
    return BudgetLedger(db, clock, SETTINGS, ME)


def test_a_call_charged_at_its_estimate_while_silent_settles_at_its_actual_cost(
    ledger: BudgetLedger, clock: FakeClock
) -> None:
    # The settle was dropped ("settled already"): the day kept the estimate, $0.40, for a call that cost $2.75.
    r = ledger.reserve("claude", 5.0)
    ledger.calling(r.id, 0.4)
    clock.advance(3 * 3600)  # the laptop slept with the CLI running
    assert ledger.snapshot().provider("claude").spent == pytest.approx(0.4)  # charged at the estimate meanwhile
    ledger.settle(r.id, 2.75)  # the CLI answered on waking
    snap = ledger.snapshot().provider("claude")
    assert (snap.spent, snap.reserved) == (pytest.approx(2.75), 0.0)
    ledger.settle(r.id, 9.0)  # settling twice still changes nothing
    assert ledger.snapshot().provider("claude").spent == pytest.approx(2.75)
    assert ledger.spend_by_day(1)["2026-03-02"]["claude"] == pytest.approx(2.75)


def test_a_call_answered_for_less_than_its_estimate_is_counted_at_that(ledger: BudgetLedger, clock: FakeClock) -> None:
    r = ledger.reserve("codex", 5.0)
    ledger.calling(r.id, 1.0)
    clock.advance(901)
    ledger.snapshot()
    ledger.settle(r.id, 0.25)
    assert ledger.snapshot().provider("codex").spent == pytest.approx(0.25)


def test_a_call_is_not_charged_as_silent_while_it_runs_within_the_request_timeout(db: Database, clock: FakeClock) -> None:
    # reservation_ttl_seconds may be as low as twice the request timeout, since "a reservation is refreshed between
    # calls". It was not refreshed when its call went out: the executor beats every TTL/3 at most, so a task that
    # waited for room (150 s here) sent its call on a heartbeat that old, and 110 s into a 120 s call another
    # process found it stale and charged it at the estimate, releasing the rest of what it held.
    tight = BudgetSettings(daily_total=100.0, allocations=(("codex", 30.0),), reservation_ttl_seconds=240.0)
    mine = BudgetLedger(db, clock, tight, ME)
    other = BudgetLedger(Database(db.path), clock, tight, "elsewhere.example:1:1")
    r = mine.reserve("codex", 20.0)
    clock.advance(150)  # waited for room in the rate window
    mine.calling(r.id, 0.5)
    clock.advance(110)  # the call is still running, within its timeout
    snap = other.snapshot().provider("codex")
    assert (snap.spent, snap.reserved) == (0.0, 20.0)
    mine.settle(r.id, 0.75)
    assert other.snapshot().provider("codex").spent == pytest.approx(0.75)


def test_a_call_charged_while_silent_that_came_back_unbilled_is_released_at_no_cost(
    ledger: BudgetLedger, clock: FakeClock
) -> None:
    # Released (the call failed, nothing billed): the release changed nothing, and the day kept the estimate.
    r = ledger.reserve("codex", 5.0)
    ledger.calling(r.id, 1.0)
    clock.advance(901)
    assert ledger.snapshot().provider("codex").spent == pytest.approx(1.0)
    ledger.release(r.id)
    ledger.release(r.id)
    snap = ledger.snapshot().provider("codex")
    assert (snap.spent, snap.reserved) == (0.0, 0.0)
    ledger.settle(r.id, 2.0)  # released for good: a late settle still counts what it says was spent
    assert ledger.snapshot().provider("codex").spent == pytest.approx(2.0)
