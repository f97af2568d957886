"""Running totals (schema migration 2): kept exact by triggers on every write path, filled in on upgrade,
and read instead of re-summing; the budget calendar computed once per quarter hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.models import WindowCounts
from router_core.settings import BudgetSettings
from router_core.store import db as db_module
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.store.schema import MIGRATIONS
from router_core.usage import UsageTracker

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z
ME = current_holder()
BUDGET = BudgetSettings(
    daily_total=100.0, allocations=(("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)), timezone="UTC",
    reservation_ttl_seconds=900.0,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "state.db")
    yield database
    database.close()


def usage_totals(db: Database) -> dict[str, tuple[int, int]]:
    return {r[0]: (r[1], r[2]) for r in db.query("SELECT provider, requests, tokens FROM usage_totals") if r[1] or r[2]}


def usage_sums(db: Database) -> dict[str, tuple[int, int]]:
    rows = db.query("SELECT provider, SUM(requests), SUM(tokens) FROM usage_events GROUP BY provider")
    return {r[0]: (r[1], r[2]) for r in rows if r[1] or r[2]}


def budget_totals(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    rows = db.query("SELECT day, provider, spent, reserved FROM budget_day_totals")
    return {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2] or r[3]}


def budget_sums(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    rows = db.query(
        "SELECT day, provider, SUM(spent), SUM(reserved) FROM ("
        " SELECT day, provider, micro_usd AS spent, 0 AS reserved FROM budget_spend"
        " UNION ALL SELECT day, provider, 0, micro_usd FROM budget_reservations WHERE status = 'live'"
        ") GROUP BY day, provider"
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2] or r[3]}


def test_usage_totals_follow_every_write_path(db: Database, clock: FakeClock) -> None:
    usage = UsageTracker(db, clock, window_seconds=60)
    usage.record("codex", requests=2, tokens=500)
    usage.record("gemini", tokens=40)
    clock.advance(10)
    usage.record("codex", tokens=300)
    usage.adjust_tokens("codex", 120)
    usage.adjust_tokens("codex", -700)  # takes from several events
    with db.transaction() as conn:  # the pacer restamps an event and settles its tokens
        conn.execute("UPDATE usage_events SET at = at + 5, tokens = 11 WHERE provider = 'gemini'")
    assert usage_totals(db) == usage_sums(db) == {"codex": (3, 220), "gemini": (1, 11)}
    clock.advance(100)
    usage.record("claude", tokens=9)  # deletes claude's old events (none) ...
    usage.record("codex", tokens=1)  # ... and codex's, which have left the window
    assert usage_totals(db) == usage_sums(db) == {"codex": (1, 1), "gemini": (1, 11), "claude": (1, 9)}
    assert usage.window("gemini") == WindowCounts(0, 0)  # stored but out of the window


def test_budget_totals_follow_every_write_path(db: Database, clock: FakeClock) -> None:
    ledger = BudgetLedger(db, clock, BUDGET, ME)
    other = BudgetLedger(db, clock, BUDGET, "elsewhere.example:1:1")
    settled = ledger.reserve("codex", 0.50)
    released = ledger.reserve("codex", 0.25)
    late = ledger.reserve("gemini", 1.00)
    forgotten = other.reserve("claude", 2.00)
    ledger.settle(settled.id, 0.61)
    ledger.settle(settled.id, 0.61)  # twice: counted once
    ledger.release(released.id)
    ledger.release(late.id)
    ledger.settle(late.id, 0.90)  # settled after a release: still spent
    ledger.record_spend("claude", 0.05, note="manual")
    assert budget_totals(db) == budget_sums(db) == {
        ("2026-03-02", "codex"): (610_000, 0),
        ("2026-03-02", "gemini"): (900_000, 0),
        ("2026-03-02", "claude"): (50_000, 2_000_000),
    }
    clock.advance(901)
    assert ledger.snapshot().provider("claude").reserved == 0.0  # the silent holder's reservation expired
    assert budget_totals(db) == budget_sums(db)
    assert ("2026-03-02", "claude") in budget_totals(db)
    other.settle(forgotten.id, 1.5)
    assert budget_totals(db) == budget_sums(db)
    assert ledger.snapshot().provider("claude").spent == pytest.approx(1.55)
    assert ledger.spend_by_day(1) == {"2026-03-02": {"codex": 0.61, "gemini": 0.9, "claude": 1.55}}


def test_upgrading_a_schema_1_database_fills_the_totals(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:1])
        old = Database(path)
        assert old.schema_version == 1
        with old.transaction() as conn:
            conn.executemany(
                "INSERT INTO usage_events (provider, at, requests, tokens) VALUES (?, ?, ?, ?)",
                [("codex", T0 - 10, 1, 100), ("codex", T0 - 5, 2, 50), ("claude", T0 - 1, 1, 7)],
            )
            conn.execute(
                "INSERT INTO budget_spend (day, provider, micro_usd, at) VALUES ('2026-03-02', 'codex', 400000, ?)",
                (T0,),
            )
            conn.execute(
                "INSERT INTO budget_reservations (id, day, provider, micro_usd, holder, status, created_at,"
                " heartbeat_at) VALUES ('r1', '2026-03-02', 'codex', 250000, ?, 'live', ?, ?),"
                " ('r2', '2026-03-02', 'codex', 999000, ?, 'released', ?, ?)",
                (ME, T0, T0, ME, T0, T0),
            )
        old.close()
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS)
    assert usage_totals(new) == {"codex": (3, 150), "claude": (1, 7)}
    assert budget_totals(new) == {("2026-03-02", "codex"): (400_000, 250_000)}
    assert UsageTracker(new, clock).window("codex") == WindowCounts(3, 150, oldest_expires_at=T0 + 50)
    codex = BudgetLedger(new, clock, BUDGET, ME).snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.4, 0.25)
    new.close()


def test_a_read_that_meets_many_old_events_prunes_them(db: Database, clock: FakeClock) -> None:
    usage = UsageTracker(db, clock, window_seconds=60)
    with db.transaction() as conn:  # a burst written without pruning (as by another process's writes)
        conn.executemany(
            "INSERT INTO usage_events (provider, at, requests, tokens) VALUES ('codex', ?, 1, 10)",
            [(T0 + i / 100,) for i in range(usage.stale_limit + 10)],
        )
    assert usage.window("codex").requests == usage.stale_limit + 10
    clock.advance(120)  # every event has left the window; nothing writes for codex any more
    assert usage.window("codex") == WindowCounts(0, 0)
    assert db.query("SELECT COUNT(*) FROM usage_events")[0][0] == 0
    assert usage_totals(db) == {}


def test_a_read_inside_a_caller_transaction_leaves_the_prune_for_later(db: Database, clock: FakeClock) -> None:
    usage = UsageTracker(db, clock, window_seconds=60)
    with db.transaction() as conn:
        conn.executemany(
            "INSERT INTO usage_events (provider, at, requests, tokens) VALUES ('gemini', ?, 1, 1)",
            [(T0,)] * (usage.stale_limit + 1),
        )
    clock.advance(60)
    with db.read():
        assert usage.window("gemini") == WindowCounts(0, 0)
    assert db.query("SELECT COUNT(*) FROM usage_events")[0][0] == usage.stale_limit + 1
    usage.maintain()
    assert db.query("SELECT COUNT(*) FROM usage_events")[0][0] == 0


def test_release_time_counts_events_of_one_instant_together(db: Database, clock: FakeClock) -> None:
    usage = UsageTracker(db, clock, window_seconds=60)
    for _ in range(3):
        usage.record("codex", requests=1)
    clock.advance(10)
    usage.record("codex", requests=1)
    # 4 requests; under 2 needs all three of T0 gone, at T0 + 60, not one at a time.
    assert usage.release_time("codex", requests_below=2, tokens_below=10) == T0 + 60
    assert usage.release_time("codex", requests_below=1, tokens_below=10) == T0 + 70
    # An observation below both limits changes nothing; one above either holds until it lapses.
    usage.observe("codex", requests_used=1, tokens_used=0, source="manual", valid_until=T0 + 500)
    assert usage.release_time("codex", requests_below=2, tokens_below=10) == T0 + 60
    usage.observe("codex", requests_used=0, tokens_used=10, source="manual", valid_until=T0 + 65)
    assert usage.release_time("codex", requests_below=2, tokens_below=10) == T0 + 65
    assert usage.release_time("codex", requests_below=1, tokens_below=10) == T0 + 70


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_the_budget_day_and_reset_are_right_at_every_moment(db: Database, zone: str) -> None:
    tz = ZoneInfo(zone)
    clock = FakeClock(T0)
    ledger = BudgetLedger(db, clock, replace(BUDGET, timezone=zone), ME)
    # Across two DST changes of the zones above (New York in March and November, Lord Howe in
    # April and October), in 7-minute steps so every quarter hour and midnight is crossed.
    for start in (1_772_841_600.0, 1_775_174_400.0, 1_790_899_200.0, 1_793_404_800.0):
        for step in range(0, 3 * 86_400, 420):
            clock.set(start + step)
            local = datetime.fromtimestamp(clock.now(), tz)
            assert ledger.day() == local.date().isoformat()
            midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            assert ledger.next_reset_at() == midnight.timestamp()
