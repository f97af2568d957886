"""Sliding usage windows: events, corrections, observations, release times, pruning."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.clock import FakeClock
from router_core.models import WindowCounts
from router_core.store.db import Database
from router_core.usage import UsageTracker

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def usage(db: Database, clock: FakeClock) -> UsageTracker:
    return UsageTracker(db, clock, window_seconds=60)


def test_empty_window(usage: UsageTracker) -> None:
    assert usage.window("codex") == WindowCounts(requests=0, tokens=0, oldest_expires_at=None, source="tracked")


def test_window_sums_events_per_provider_until_each_leaves(usage: UsageTracker, clock: FakeClock) -> None:
    usage.record("codex", tokens=1000)
    clock.advance(10)
    usage.record("codex", requests=2, tokens=500)
    usage.record("gemini", tokens=7)
    assert usage.window("codex") == WindowCounts(3, 1500, oldest_expires_at=T0 + 60)
    assert usage.window("gemini") == WindowCounts(1, 7, oldest_expires_at=T0 + 70)
    clock.set(T0 + 59.999)
    assert usage.window("codex").requests == 3
    clock.set(T0 + 60)  # the first event is exactly one window old: out
    assert usage.window("codex") == WindowCounts(2, 500, oldest_expires_at=T0 + 70)
    clock.set(T0 + 70)
    assert usage.window("codex") == WindowCounts(0, 0)


def test_record_rejects_negative_amounts(usage: UsageTracker) -> None:
    with pytest.raises(ValueError, match="adjust_tokens"):
        usage.record("codex", tokens=-5)


def test_positive_adjustment_adds_tokens_but_no_request(usage: UsageTracker, clock: FakeClock) -> None:
    usage.record("codex", tokens=1000)
    clock.advance(5)
    usage.adjust_tokens("codex", 250)
    assert usage.window("codex") == WindowCounts(1, 1250, oldest_expires_at=T0 + 60)
    clock.set(T0 + 60)
    assert usage.window("codex") == WindowCounts(0, 250, oldest_expires_at=T0 + 65)


def test_negative_adjustment_takes_from_newest_events_and_never_below_zero(
    usage: UsageTracker, clock: FakeClock
) -> None:
    usage.record("codex", tokens=1000)
    clock.advance(5)
    usage.record("codex", tokens=300)
    usage.adjust_tokens("codex", -500)  # 300 from the newer event, 200 from the older
    assert usage.window("codex").tokens == 800
    clock.set(T0 + 60)
    assert usage.window("codex").tokens == 0  # the emptied newer event is all that is left
    usage.adjust_tokens("codex", -10_000)
    assert usage.window("codex").tokens == 0


def test_observation_is_a_floor_per_field_until_it_lapses(usage: UsageTracker, clock: FakeClock) -> None:
    usage.record("claude", requests=10, tokens=100)
    usage.observe("claude", requests_used=4, tokens_used=5000, source="manual", valid_until=T0 + 30)
    assert usage.window("claude") == WindowCounts(10, 5000, oldest_expires_at=T0 + 30, source="manual")
    usage.observe("claude", requests_used=1, tokens_used=1, source="manual", valid_until=T0 + 30)
    assert usage.window("claude") == WindowCounts(10, 100, oldest_expires_at=T0 + 60, source="tracked")
    usage.observe("claude", requests_used=50, tokens_used=0, source="headers", valid_until=T0 + 30)
    clock.set(T0 + 30)
    assert usage.window("claude") == WindowCounts(10, 100, oldest_expires_at=T0 + 60)


def test_each_dimension_of_a_headers_observation_refills_until_its_own_time(
        usage: UsageTracker, clock: FakeClock) -> None:
    # Rate-limit headers: requests full again in 1 s, tokens (all spent) in 20 s. The row held both until the
    # sooner; then each was spent in full until its own reset. Each comes back evenly until then (refill.py).
    usage.record("codex", requests=1, tokens=10)
    usage.observe("codex", requests_used=90, tokens_used=5000, source="headers", valid_until=T0 + 1,
                  tokens_valid_until=T0 + 20)
    assert usage.window("codex") == WindowCounts(90, 5000, oldest_expires_at=T0 + 1, source="headers")
    # Under 80 requests once 11 are back (0.12 s), under 1,000 tokens once 4,001 are (16.004 s).
    assert usage.release_time("codex", requests_below=80, tokens_below=1000) == pytest.approx(T0 + 16.004, abs=1e-6)
    assert usage.release_time("codex", requests_below=80, tokens_below=10_000) == pytest.approx(T0 + 11 / 90, abs=1e-6)
    clock.set(T0 + 0.5)
    assert usage.window("codex") == WindowCounts(45, 4875, oldest_expires_at=T0 + 1, source="headers")
    clock.set(T0 + 1)
    assert usage.window("codex") == WindowCounts(1, 4750, oldest_expires_at=T0 + 20, source="headers")
    assert usage.release_time("codex", requests_below=80, tokens_below=1000) == pytest.approx(T0 + 16.004, abs=1e-6)
    assert usage.release_time("codex", requests_below=80, tokens_below=10_000) is None
    clock.set(T0 + 20)
    assert usage.window("codex") == WindowCounts(1, 10, oldest_expires_at=T0 + 60)
    # The other way round: tokens back first, the requests still coming back.
    usage.observe("codex", requests_used=90, tokens_used=5000, source="headers", valid_until=T0 + 50,
                  tokens_valid_until=T0 + 21)
    clock.set(T0 + 30)
    assert usage.window("codex") == WindowCounts(60, 10, oldest_expires_at=T0 + 50, source="headers")
    assert usage.release_time("codex", requests_below=50, tokens_below=1000) == pytest.approx(T0 + 20 + 30 * 41 / 90, abs=1e-6)


def test_a_manual_observation_is_a_floor_until_it_lapses_not_a_refill(usage: UsageTracker, clock: FakeClock) -> None:
    # Usage entered by hand (design 7.2) says nothing of how the provider refills: it holds whole until it lapses.
    usage.observe("codex", requests_used=90, tokens_used=5000, source="manual", valid_until=T0 + 20)
    clock.set(T0 + 19.9)
    assert usage.window("codex") == WindowCounts(90, 5000, oldest_expires_at=T0 + 20, source="manual")
    assert usage.release_time("codex", requests_below=80, tokens_below=1000) == T0 + 20
    clock.set(T0 + 20)
    assert usage.window("codex") == WindowCounts(0, 0)


def test_our_usage_after_the_headers_counts_on_top_of_what_they_report(usage: UsageTracker, clock: FakeClock) -> None:
    # The headers came with our request at T0 (counted in them); two more sent after them may not be.
    usage.record("codex", requests=1, tokens=100)
    usage.observe("codex", requests_used=60, tokens_used=0, source="headers", valid_until=T0 + 60)
    clock.advance(1)
    usage.record("codex", requests=2, tokens=200)
    assert usage.window("codex") == WindowCounts(61, 300, oldest_expires_at=T0 + 60, source="headers")  # 59 + 2
    # Under 50 once 47 are still out (47 + 2), at T0 + 13, as the window reads then (50 at T0 + 12.99); the two of
    # ours stay in the window until after the refill.
    assert usage.release_time("codex", requests_below=50, tokens_below=10_000) == pytest.approx(T0 + 13, abs=1e-5)
    clock.set(T0 + 12.99)
    assert usage.window("codex").requests == 50
    clock.set(T0 + 13)
    assert usage.window("codex").requests == 49
    clock.set(T0 + 59.5)
    assert usage.window("codex").requests == 3  # 1 still out + 2: our own window's figure
    clock.set(T0 + 60)
    assert usage.window("codex") == WindowCounts(2, 200, oldest_expires_at=T0 + 61)  # ours of T0 left too


def test_clear_observation(usage: UsageTracker) -> None:
    usage.observe("gemini", requests_used=9, tokens_used=9, source="manual", valid_until=T0 + 900)
    usage.clear_observation("gemini")
    assert usage.window("gemini") == WindowCounts(0, 0)


def test_observation_alone_reports_its_expiry(usage: UsageTracker) -> None:
    usage.observe("gemini", requests_used=9, tokens_used=90, source="manual", valid_until=T0 + 900)
    assert usage.window("gemini") == WindowCounts(9, 90, oldest_expires_at=T0 + 900, source="manual")


def test_release_time_is_none_when_already_below(usage: UsageTracker) -> None:
    usage.record("codex", requests=3, tokens=10)
    assert usage.release_time("codex", requests_below=4, tokens_below=11) is None


def test_release_time_walks_events_in_time_order(usage: UsageTracker, clock: FakeClock) -> None:
    for _ in range(3):  # events at T0, T0+10, T0+20, five requests and 100 tokens each
        usage.record("codex", requests=5, tokens=100)
        clock.advance(10)
    clock.set(T0 + 25)
    # 15 requests now; under 10 needs two events gone: the second leaves at T0+70.
    assert usage.release_time("codex", requests_below=10, tokens_below=10_000) == T0 + 70
    # Tokens 300; under 250 once the first has left at T0+60.
    assert usage.release_time("codex", requests_below=100, tokens_below=250) == T0 + 60
    # Both conditions: the later one wins.
    assert usage.release_time("codex", requests_below=10, tokens_below=250) == T0 + 70
    # Only an empty window is below 1 request.
    assert usage.release_time("codex", requests_below=1, tokens_below=10_000) == T0 + 80


def test_release_time_waits_for_an_observation_to_lapse(usage: UsageTracker) -> None:
    usage.record("claude", requests=1, tokens=10)
    usage.observe("claude", requests_used=90, tokens_used=0, source="manual", valid_until=T0 + 300)
    assert usage.release_time("claude", requests_below=80, tokens_below=1000) == T0 + 300
    usage.observe("claude", requests_used=90, tokens_used=0, source="manual", valid_until=T0 + 20)
    assert usage.release_time("claude", requests_below=80, tokens_below=1000) == T0 + 20
    assert usage.release_time("claude", requests_below=1, tokens_below=1000) == T0 + 60


def test_release_time_rejects_limits_that_can_never_be_met(usage: UsageTracker) -> None:
    with pytest.raises(ValueError):
        usage.release_time("codex", requests_below=0, tokens_below=10)


def test_session_started_is_the_first_event_of_the_day_or_the_tracker_start(
    usage: UsageTracker, clock: FakeClock
) -> None:
    assert usage.session_started() == T0
    clock.advance(100)
    usage.record("codex")
    clock.advance(100)
    usage.record("gemini")
    usage.record("codex")
    assert usage.session_started() == T0 + 100
    assert usage.session_started("codex") == T0 + 100
    assert usage.session_started("gemini") == T0 + 200
    assert usage.session_started("claude") == T0  # nothing today: the tracker's start
    clock.set(T0 + 86_400)  # next day, nothing recorded yet
    assert usage.session_started() == T0
    usage.record("claude")
    assert usage.session_started() == T0 + 86_400


def test_trackers_on_one_file_share_state(tmp_path: Path, clock: FakeClock) -> None:
    a = UsageTracker(Database(tmp_path / "s.db"), clock)
    b = UsageTracker(Database(tmp_path / "s.db"), clock)
    a.record("codex", tokens=5)
    b.record("codex", tokens=6)
    assert a.window("codex").tokens == b.window("codex").tokens == 11


def test_old_events_are_pruned_so_the_table_stays_bounded(
    usage: UsageTracker, db: Database, clock: FakeClock
) -> None:
    for _ in range(1000):
        usage.record("codex", tokens=1)
        clock.advance(1)
    rows = db.query("SELECT COUNT(*) FROM usage_events")[0][0]
    assert rows <= 60 + usage.prune_every
    assert usage.window("codex") == WindowCounts(59, 59, oldest_expires_at=T0 + 941 + 60)


def test_windows_for_several_providers(usage: UsageTracker) -> None:
    usage.record("codex")
    assert usage.windows(("codex", "claude")) == {"codex": WindowCounts(1, 0, T0 + 60), "claude": WindowCounts(0, 0)}


def test_a_first_event_mark_found_is_not_read_again(tmp_path: Path, clock: FakeClock) -> None:
    a = UsageTracker(Database(tmp_path / "s.db"), clock)
    db = Database(tmp_path / "s.db")
    b = UsageTracker(db, clock)
    assert b.session_started() == T0  # nothing yet: not remembered, so another process's mark is seen
    clock.advance(50)
    a.record("codex")
    statements: list[str] = []
    db.connection().set_trace_callback(statements.append)
    assert b.session_started() == T0 + 50
    assert b.session_started() == T0 + 50
    assert sum("FROM kv" in s for s in statements) == 1


def test_marking_the_first_event_in_a_transaction_writes_it_once(tmp_path: Path, clock: FakeClock) -> None:
    db = Database(tmp_path / "s.db")
    usage = UsageTracker(db, clock)
    for _ in range(2):
        with db.transaction() as conn:
            usage.mark_first_event(conn, "codex", clock.now())
    assert usage.session_started("codex") == T0 and usage.session_started() == T0
    assert db.query("SELECT COUNT(*) FROM usage_events")[0][0] == 0  # a mark, not a usage event
    assert db.query("SELECT COUNT(*) FROM kv WHERE key LIKE 'usage.first_event:%'")[0][0] == 2
