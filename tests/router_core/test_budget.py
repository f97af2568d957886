"""The daily budget ledger: reservations, settlement, expiry, day boundaries and alerts."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.errors import BudgetExceeded, InvalidRequest
from router_core.models import ProviderBudget
from router_core.settings import BudgetSettings
from router_core.store.db import Database
from router_core.store.holders import current_holder

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z
MIDNIGHT = 1_772_496_000.0  # 2026-03-03T00:00:00Z
ME = current_holder()
SETTINGS = BudgetSettings(
    daily_total=100.0,
    allocations=(("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)),
    alert_thresholds=(50, 75, 90),
    timezone="UTC",
    reservation_ttl_seconds=900.0,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> BudgetLedger:
    return BudgetLedger(db, clock, SETTINGS, ME)


def test_fresh_snapshot(ledger: BudgetLedger) -> None:
    snap = ledger.snapshot()
    assert (snap.day, snap.timezone, snap.total, snap.next_reset_at) == ("2026-03-02", "UTC", 100.0, MIDNIGHT)
    assert snap.providers == (
        ProviderBudget("codex", 30.0, 0.0, 0.0),
        ProviderBudget("gemini", 40.0, 0.0, 0.0),
        ProviderBudget("claude", 30.0, 0.0, 0.0),
    )
    assert snap.alerts == ()


def test_reserve_then_settle_at_the_actual_cost(ledger: BudgetLedger) -> None:
    r = ledger.reserve("codex", 0.52, task_id="task-1")
    assert (r.provider, r.usd, r.day) == ("codex", 0.52, "2026-03-02")
    assert ledger.snapshot().provider("codex") == ProviderBudget("codex", 30.0, 0.0, 0.52)
    ledger.settle(r.id, 0.61)
    ledger.settle(r.id, 0.61)  # idempotent
    ledger.release(r.id)  # too late to release: stays spent
    assert ledger.snapshot().provider("codex") == ProviderBudget("codex", 30.0, 0.61, 0.0)


def test_release_gives_the_amount_back_once(ledger: BudgetLedger) -> None:
    r = ledger.reserve("gemini", 3.0)
    ledger.release(r.id)
    ledger.release(r.id)
    ledger.release("no-such-reservation")
    assert ledger.snapshot().provider("gemini") == ProviderBudget("gemini", 40.0, 0.0, 0.0)


def test_settling_an_unknown_reservation_is_an_error(ledger: BudgetLedger) -> None:
    with pytest.raises(InvalidRequest, match="unknown budget reservation"):
        ledger.settle("nope", 1.0)


@pytest.mark.parametrize("bad", [-0.01, float("nan"), float("inf")])
def test_amounts_must_be_finite_and_not_negative(ledger: BudgetLedger, bad: float) -> None:
    with pytest.raises(InvalidRequest):
        ledger.reserve("codex", bad)
    with pytest.raises(InvalidRequest):
        ledger.record_spend("codex", bad)


def test_allocation_is_exact_to_the_cent(ledger: BudgetLedger) -> None:
    for _ in range(300):  # 300 x $0.10 = $30.00 exactly, though 0.1 is not exact in binary
        ledger.reserve("codex", 0.1)
    with pytest.raises(BudgetExceeded):
        ledger.reserve("codex", 0.01)
    ledger.reserve("codex", 0.0)  # a free task still fits


def test_a_provider_without_allocation_cannot_reserve(ledger: BudgetLedger) -> None:
    with pytest.raises(BudgetExceeded, match="mistral has no daily budget allocation"):
        ledger.reserve("mistral", 0.01)


def test_silent_reservations_expire_after_the_ttl(ledger: BudgetLedger, clock: FakeClock) -> None:
    kept = ledger.reserve("codex", 1.0)
    forgotten = BudgetLedger(ledger._db, clock, SETTINGS, "elsewhere.example:1:1").reserve("codex", 2.0)
    clock.advance(900)  # exactly the TTL: both still count
    assert ledger.snapshot().provider("codex").reserved == 3.0
    ledger.heartbeat()  # refreshes only this ledger's holder
    clock.advance(1)
    assert ledger.snapshot().provider("codex").reserved == 1.0
    status = ledger._db.query("SELECT status FROM budget_reservations WHERE id = ?", (forgotten.id,))[0][0]
    assert status == "expired"
    ledger.settle(kept.id, 1.0)
    ledger.settle(forgotten.id, 2.0)  # the call finished after all: its cost is still counted
    assert ledger.snapshot().provider("codex") == ProviderBudget("codex", 30.0, 3.0, 0.0)


def test_a_release_that_failed_is_done_by_the_next_heartbeat_not_extended(tmp_path, clock: FakeClock) -> None:
    # A release that met a locked database (or a full disk) raised, and every later heartbeat of the process (each
    # task waiting for room beats) refreshed the reservation: its amount stayed held for as long as the process ran.
    import sqlite3

    db = Database(tmp_path / "state.db", busy_timeout_seconds=0.05)
    ledger = BudgetLedger(db, clock, SETTINGS, ME)
    failed = ledger.reserve("codex", 20.0)
    other = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing past our busy timeout
    with pytest.raises(Exception, match="locked|busy"):
        ledger.release(failed.id)
    other.execute("COMMIT")
    other.close()
    assert ledger.snapshot().provider("codex").reserved == 20.0
    clock.advance(600)
    ledger.heartbeat()
    assert ledger.snapshot().provider("codex").reserved == 0.0
    assert db.query("SELECT status FROM budget_reservations WHERE id = ?", (failed.id,)) == []  # released: gone
    ledger.reserve("codex", 30.0)  # the whole allocation is free again
    db.close()


def test_reservations_of_dead_processes_stop_counting(ledger: BudgetLedger, clock: FakeClock) -> None:
    dead = f"{socket.gethostname()}:{os.getpid()}:1"  # this pid, but another start time
    if os.path.exists("/proc/self/stat"):
        BudgetLedger(ledger._db, clock, SETTINGS, dead).reserve("claude", 25.0)
        assert ledger.snapshot().provider("claude").reserved == 0.0
        ledger.reserve("claude", 25.0)  # the dead holder's 25 no longer blocks this
    BudgetLedger(ledger._db, clock, SETTINGS, "elsewhere.example:1:1").reserve("gemini", 5.0)
    assert ledger.snapshot().provider("gemini").reserved == 5.0  # other hosts: trusted until the TTL


def test_a_dead_process_call_in_flight_is_charged_at_its_estimate(ledger: BudgetLedger, clock: FakeClock) -> None:
    # Killed while the provider answered: the provider goes on and bills the call, which nobody will settle.
    # Releasing its reservation let that spend go unseen (a chaos run: 2-6 answered calls a run never charged).
    dead = f"{socket.gethostname()}:{os.getpid()}:1"  # this pid, but another start time
    theirs = BudgetLedger(ledger._db, clock, SETTINGS, dead)
    in_call = theirs.reserve("claude", 10.0)
    theirs.calling(in_call.id, 2.5)
    between = theirs.reserve("claude", 10.0)  # parked, or waiting for room: nothing on the wire
    answered = theirs.reserve("codex", 10.0)
    theirs.calling(answered.id, 1.0)
    theirs.calling(answered.id, 0.0)  # the call came back (and failed); the next one was not sent
    snap = ledger.snapshot()
    assert (snap.provider("claude").spent, snap.provider("claude").reserved) == (pytest.approx(2.5), 0.0)
    assert (snap.provider("codex").spent, snap.provider("codex").reserved) == (0.0, 0.0)
    ledger.settle(in_call.id, 9.0)  # its holder answered after all: the cost it knows replaces the estimate
    ledger.settle(in_call.id, 1.0)  # settled: changes nothing
    assert ledger.snapshot().spent == pytest.approx(9.0)
    assert between.id  # released, not charged


def test_a_dead_process_call_in_flight_is_charged_when_a_reservation_drops_it(ledger: BudgetLedger,
                                                                              clock: FakeClock) -> None:
    dead = f"{socket.gethostname()}:{os.getpid()}:1"
    theirs = BudgetLedger(ledger._db, clock, SETTINGS, dead)
    theirs.calling(theirs.reserve("claude", 30.0).id, 4.0)
    ledger.reserve("claude", 26.0)  # the stale 30 is dropped inside the reservation: 4 of it is spend
    with pytest.raises(BudgetExceeded):
        ledger.reserve("claude", 0.01)
    assert ledger.snapshot().provider("claude").spent == pytest.approx(4.0)


def test_the_day_resets_at_midnight_in_the_ledger_time_zone(ledger: BudgetLedger, clock: FakeClock) -> None:
    ledger.record_spend("codex", 30.0)
    clock.set(MIDNIGHT - 1)
    assert ledger.snapshot().provider("codex").spent == 30.0
    late = ledger.reserve("gemini", 4.0)
    clock.set(MIDNIGHT)
    snap = ledger.snapshot()
    assert (snap.day, snap.spent, snap.reserved, snap.next_reset_at) == ("2026-03-03", 0.0, 0.0, MIDNIGHT + 86_400)
    ledger.reserve("codex", 30.0)
    ledger.settle(late.id, 4.0)  # settles into the day it was reserved for
    assert ledger.spend_by_day(2) == {
        "2026-03-02": {"codex": 30.0, "gemini": 4.0, "claude": 0.0},
        "2026-03-03": {"codex": 0.0, "gemini": 0.0, "claude": 0.0},
    }


def test_day_in_another_time_zone(db: Database) -> None:
    ny = BudgetSettings(daily_total=10.0, allocations=(("codex", 10.0),), timezone="America/New_York")
    clock = FakeClock(1_767_236_400.0)  # 2026-01-01T03:00:00Z = 2025-12-31T22:00 in New York
    ledger = BudgetLedger(db, clock, ny, ME)
    snap = ledger.snapshot()
    assert snap.day == "2025-12-31"
    assert snap.next_reset_at == 1_767_243_600.0  # 2026-01-01T05:00:00Z
    ledger.record_spend("codex", 5.0)
    with pytest.raises(BudgetExceeded, match="reset at 00:00 America/New_York \\(in 2h 00m\\)"):
        ledger.reserve("codex", 6.0)


def test_spend_by_day_lists_every_day_and_any_extra_provider(ledger: BudgetLedger, clock: FakeClock) -> None:
    ledger.record_spend("mistral", 1.25, note="manual")
    clock.advance(86_400)
    ledger.record_spend("codex", 2.5)
    assert ledger.spend_by_day(3) == {
        "2026-03-01": {"codex": 0.0, "gemini": 0.0, "claude": 0.0},
        "2026-03-02": {"codex": 0.0, "gemini": 0.0, "claude": 0.0, "mistral": 1.25},
        "2026-03-03": {"codex": 2.5, "gemini": 0.0, "claude": 0.0},
    }
    assert ledger.spend_by_day(0) == {}


def test_spend_on_a_day_after_today_is_left_out_not_fatal(ledger: BudgetLedger, clock: FakeClock) -> None:
    # Another process in a zone ahead, or this one before its clock stepped back: the dashboard raised
    # KeyError on such a row until that day came.
    clock.advance(86_400)
    ledger.record_spend("codex", 2.5)
    clock.advance(-600 - 86_400)
    assert ledger.spend_by_day(2) == {
        "2026-03-01": {"codex": 0.0, "gemini": 0.0, "claude": 0.0},
        "2026-03-02": {"codex": 0.0, "gemini": 0.0, "claude": 0.0},
    }


def test_each_alert_fires_once_a_day_across_ledgers(ledger: BudgetLedger, db: Database, clock: FakeClock) -> None:
    other = BudgetLedger(Database(db.path), clock, SETTINGS, "other-process")
    ledger.record_spend("gemini", 39.99)
    ledger.record_spend("codex", 10.0)
    assert ledger.claim_alerts() == []  # $49.99 of $100
    ledger.record_spend("codex", 0.01)
    [half] = ledger.claim_alerts()
    assert (half.threshold, half.level, half.spent, half.total) == (50, "info", 50.0, 100.0)
    assert other.claim_alerts() == []
    ledger.record_spend("claude", 25.0)  # $75.00
    [warning] = other.claim_alerts()
    ledger.record_spend("codex", 16.0)  # $91.00
    [critical] = ledger.claim_alerts()
    assert ledger.claim_alerts() == [] and other.claim_alerts() == []
    assert (warning.threshold, warning.level, critical.threshold, critical.level) == (75, "warning", 90, "critical")
    assert warning.message == (
        "WARNING: Daily budget at 75% ($75.00 / $100.00)\n"
        "    Remaining budget: $25.00\n"
        "    Recommended action: Switch to budget-tier providers with allocation left (codex $19.99, claude $5.00, gemini $0.01)"
    )
    assert critical.message == (
        "CRITICAL: Daily budget at 91% ($91.00 / $100.00)\n"
        "    Remaining budget: $9.00\n"
        "    Recommended action: Defer non-critical tasks to next day\n"
        "    Next reset: Tomorrow 00:00 UTC"
    )
    assert [a.threshold for a in ledger.snapshot().alerts] == [50, 75, 90]
    assert ledger.snapshot().alerts[0] == half  # the fired alert as it was worded then
    clock.set(MIDNIGHT)
    assert ledger.snapshot().alerts == ()
    ledger.record_spend("gemini", 40.0)
    ledger.record_spend("codex", 15.0)
    assert [a.threshold for a in other.claim_alerts()] == [50]


def test_snapshot_lists_passed_thresholds_before_anyone_claims_them(ledger: BudgetLedger) -> None:
    ledger.record_spend("gemini", 40.0)
    ledger.record_spend("claude", 20.0)
    [alert] = ledger.snapshot().alerts
    assert alert.message.startswith("INFO: Daily budget at 60% ($60.00 / $100.00)\n    Remaining budget: $40.00")
    assert [a.threshold for a in ledger.claim_alerts()] == [50]


def test_can_afford_is_a_hint_matching_reserve(ledger: BudgetLedger) -> None:
    ledger.record_spend("codex", 29.5)
    assert ledger.can_afford("codex", 0.5)
    assert not ledger.can_afford("codex", 0.51)


def test_what_is_left_for_a_provider_is_the_smaller_of_its_allocation_and_the_total(ledger: BudgetLedger) -> None:
    ledger.record_spend("gemini", 90.0)  # over its allocation: the total has $10 left, codex's allocation $30
    left, snap = ledger.left_for("codex")
    assert (left, snap.provider("codex").remaining, snap.remaining) == (10.0, 30.0, 10.0)
    assert ledger.can_afford("codex", 10.0)
    assert not ledger.can_afford("codex", 10.000001)


def test_can_afford_counts_in_micro_dollars_as_reserve_does(ledger: BudgetLedger) -> None:
    ledger.record_spend("codex", 29.7)
    assert ledger.can_afford("codex", 0.1 + 0.2)  # 0.30000000000000004: float noise is not a micro-dollar
    ledger.reserve("codex", 0.1 + 0.2)  # and reserve agrees


def test_can_afford_leaves_stale_reservations_to_the_next_maintenance(ledger: BudgetLedger, clock: FakeClock) -> None:
    # An outage probe asks it on the loop: the stale reservation stops counting at once, but is marked expired by
    # the next decision's maintenance, not by a blocking write here (outages.py read it so before it was the rule).
    ledger.reserve("codex", 30.0)
    clock.advance(SETTINGS.reservation_ttl_seconds + 1)
    assert ledger.can_afford("codex", 30.0)
    assert ledger.maintenance_due
    ledger.maintain()
    assert not ledger.maintenance_due


def test_threads_reserving_together_never_overspend(ledger: BudgetLedger) -> None:
    won: list[str] = []

    def grab() -> None:
        for _ in range(40):
            with contextlib.suppress(BudgetExceeded):
                won.append(ledger.reserve("claude", 0.25).id)

    threads = [threading.Thread(target=grab) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 120  # $30.00 / $0.25
    assert ledger.snapshot().provider("claude").reserved == 30.0


def test_a_reservation_that_silent_ones_would_refuse_expires_them_first(ledger: BudgetLedger, clock: FakeClock) -> None:
    other = BudgetLedger(ledger._db, clock, SETTINGS, "elsewhere.example:1:1")
    silent = other.reserve("codex", 20.0)
    clock.advance(901)  # past the TTL without a heartbeat
    fits = ledger.reserve("codex", 5.0)  # fits even with the silent 20 counted: nothing to expire yet

    def status(rid: str) -> str:
        return ledger._db.query("SELECT status FROM budget_reservations WHERE id = ?", (rid,))[0][0]

    assert status(silent.id) == "live"
    needs_room = ledger.reserve("codex", 20.0)  # refused with the silent 20 counted, granted without it
    assert status(silent.id) == "expired" and status(needs_room.id) == "live"
    assert ledger.snapshot().provider("codex").reserved == 25.0
    with pytest.raises(BudgetExceeded):
        ledger.reserve("codex", 5.01)  # 30 allocated: 25 live, nothing stale left to drop
    ledger.release(fits.id)


def test_old_spend_rows_are_pruned_but_the_days_totals_stay(ledger: BudgetLedger, db: Database,
                                                            clock: FakeClock) -> None:
    # One spend row per settled request, kept for ever, grew the database by every request ever made.
    for _ in range(3):
        ledger.settle(ledger.reserve("codex", 0.5).id, 0.25)
    clock.advance(8 * 86_400)
    ledger.prune_every = 1
    ledger.settle(ledger.reserve("codex", 0.5).id, 0.5)  # a reservation prunes
    assert [tuple(r) for r in db.query("SELECT day FROM budget_spend")] == [("2026-03-10",)]
    assert db.query("SELECT COUNT(*) FROM budget_reservations")[0][0] == 0  # a settled one's row goes (schema 16)
    history = ledger.spend_by_day(9)
    assert history["2026-03-02"]["codex"] == 0.75 and history["2026-03-10"]["codex"] == 0.5


def test_a_prune_looks_at_a_bounded_number_of_spend_rows(ledger: BudgetLedger, db: Database,
                                                         clock: FakeClock) -> None:
    from router_core.store import ledger as rows

    with db.transaction() as conn:
        conn.executemany("INSERT INTO budget_spend (day, provider, micro_usd, at) VALUES ('2026-03-01', 'codex', 1, ?)",
                         [(T0,)] * (rows.PRUNE_SPEND_ROWS + 10))
        rows.prune_finished(conn, "2026-03-02")
    assert db.query("SELECT COUNT(*) FROM budget_spend")[0][0] == 10  # the rest at the next prune
    assert ledger.spend_by_day(2)["2026-03-01"]["codex"] == pytest.approx((rows.PRUNE_SPEND_ROWS + 10) / 1e6)
