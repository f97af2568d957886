"""The budget ledger's refusals and alerts: what each says remains, what running tasks hold and what to do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.errors import BudgetExceeded
from router_core.settings import BudgetSettings
from router_core.store.db import Database
from tests.router_core.test_budget import ME, SETTINGS, T0


@pytest.fixture
def ledger(db: Database) -> BudgetLedger:
    return BudgetLedger(db, FakeClock(T0), SETTINGS, ME)


def test_refusal_names_what_remains_and_what_to_do(ledger: BudgetLedger) -> None:
    ledger.record_spend("codex", 29.60)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("codex", 0.52)
    assert str(info.value) == (
        "codex has $0.40 of its $30.00 daily allocation left; this task is estimated at $0.52. "
        "Wait for the reset at 00:00 UTC (in 14h 00m), raise budget.allocation.codex, or choose another provider."
    )
    assert (info.value.provider, info.value.needed, info.value.remaining) == ("codex", 0.52, pytest.approx(0.40))


def test_refusal_mentions_what_running_tasks_hold(ledger: BudgetLedger) -> None:
    ledger.reserve("claude", 29.0)
    with pytest.raises(BudgetExceeded, match=r"\$1.00 of its \$30.00 .*running tasks hold \$29.00 more"):
        ledger.reserve("claude", 2.0)


def test_a_refusal_that_running_tasks_cause_says_to_try_again_when_they_finish(ledger: BudgetLedger) -> None:
    # A batch of 120 tasks, 16 at a time, on a nearly spent day: 101 were refused in 1.5 s, each told to wait
    # for the reset 10 hours away, though what the running ones held came back as they finished (the day ended
    # with room for more). Only money that is spent waits for the reset.
    ledger.record_spend("claude", 20.0)
    ledger.reserve("claude", 9.0)
    with pytest.raises(BudgetExceeded) as fits_later:
        ledger.reserve("claude", 2.0)
    with pytest.raises(BudgetExceeded) as never_today:
        ledger.reserve("claude", 11.0)
    assert "estimated at $2.00. Try again when they finish (each pays what it used" in str(fits_later.value)
    assert "estimated at $11.00. Wait for the reset at 00:00 UTC" in str(never_today.value)
    assert "Try again" not in str(never_today.value)
    assert fits_later.value.held and not never_today.value.held  # what a batch task waits for (budget_wait.py)


def test_a_refusal_is_held_only_when_both_limits_fit_the_spend(db: Database) -> None:
    # The daily total is full of what codex holds, but gemini's own spend leaves it too little: no settlement
    # makes room for the task, so it is not one to wait for.
    both = BudgetSettings(daily_total=49.5, allocations=(("codex", 40.0), ("gemini", 10.0)))
    ledger = BudgetLedger(db, FakeClock(T0), both, ME)
    ledger.record_spend("gemini", 9.0)
    ledger.reserve("codex", 40.0)
    with pytest.raises(BudgetExceeded, match="daily budget has") as spent_out:
        ledger.reserve("gemini", 2.0)
    with pytest.raises(BudgetExceeded, match="daily budget has") as held:
        ledger.reserve("gemini", 1.0)
    assert not spent_out.value.held and held.value.held


def test_daily_total_caps_the_sum_of_allocations(db: Database) -> None:
    generous = BudgetSettings(daily_total=50.0, allocations=(("codex", 40.0), ("gemini", 40.0)))
    ledger = BudgetLedger(db, FakeClock(T0), generous, ME)
    ledger.record_spend("codex", 30.0)
    ledger.reserve("gemini", 15.0)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("gemini", 6.0)
    assert str(info.value) == (
        "The daily budget has $5.00 of $50.00 left across all providers (running tasks hold $15.00 more until "
        "they settle); this task is estimated at $6.00. Try again when they finish (each pays what it used, often "
        "less than it holds), wait for the reset at 00:00 UTC (in 14h 00m), raise budget.daily_total, or defer the task."
    )


def test_a_zero_daily_total_says_so_not_to_set_an_allocation(db: Database) -> None:
    # With daily_total = 0 every allocation must be 0 too: advice to set budget.allocation.codex alone
    # led to a configuration the loader refuses ("allocations add up to more than daily_total").
    ledger = BudgetLedger(db, FakeClock(T0), BudgetSettings(daily_total=0.0, allocations=(("codex", 0.0),)), ME)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("codex", 0.01)
    assert str(info.value) == (
        "The daily budget is $0 (budget.daily_total = 0), so no provider can run a task. "
        "Raise budget.daily_total and give each provider you want to use a share of it in budget.allocation.<provider>."
    )
    assert (info.value.remaining, ledger.snapshot().remaining) == (0.0, 0.0)
    ledger.reserve("codex", 0.0)  # nothing to spend, nothing refused


def test_a_spent_daily_total_is_named_before_the_allocation(ledger: BudgetLedger) -> None:
    # Every allocation spent, so the day's total too: the refusal said "codex has $0.00 of its $30.00 daily
    # allocation left; ... raise budget.allocation.codex, or choose another provider", and every other
    # provider refused the same way.
    for provider, usd in (("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)):
        ledger.record_spend(provider, usd)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("codex", 0.02)
    assert str(info.value).startswith("The daily budget has $0.00 of $100.00 left across all providers")
    assert "another provider" not in str(info.value)


def test_an_alert_fired_before_the_total_was_edited_shows_todays_figures(ledger: BudgetLedger) -> None:
    # The total raised after the 75% alert fired: the alert kept its old figures ("$76.00 / $100.00, remaining
    # $24.00") while the day stood at $152.00 of $200.00 with $48.00 left.
    ledger.record_spend("codex", 76.0)
    assert [a.threshold for a in ledger.claim_alerts()] == [50, 75]
    ledger.configure(replace(SETTINGS, daily_total=200.0, allocations=(("codex", 200.0),)))
    ledger.record_spend("codex", 76.0)
    half, warning = ledger.snapshot().alerts
    assert (warning.spent, warning.total) == (152.0, 200.0)
    assert warning.message.startswith(
        "WARNING: Daily budget at 76% ($152.00 / $200.00), past the 50% and 75% thresholds at once\n"
        "    Remaining budget: $48.00"
    )
    assert half.message == warning.message  # passed together: one announcement of both
