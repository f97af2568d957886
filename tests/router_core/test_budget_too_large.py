"""A task estimated at more than a whole allocation, or the whole daily total: the reset does not make room.

The refusal said "Wait for the reset at 00:00 UTC (in 14h 00m), raise budget.allocation.codex, or choose another
provider", and routing's block promised the provider back at midnight, though a fresh day's $30.00 cannot pay
for a $45.00 task either.
"""

from __future__ import annotations

import pytest

from router_core.budget import BudgetLedger
from router_core.capacity import budget_blocks
from router_core.clock import FakeClock
from router_core.errors import BudgetExceeded
from router_core.models import BudgetSnapshot, ProviderBudget
from router_core.settings import BudgetSettings
from router_core.store.db import Database

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z
RESET = 1_772_496_000.0
SETTINGS = BudgetSettings(daily_total=100.0, allocations=(("codex", 30.0), ("gemini", 40.0), ("claude", 30.0)))


@pytest.fixture
def ledger(db: Database) -> BudgetLedger:
    return BudgetLedger(db, FakeClock(T0), SETTINGS, "me.example:1:1")


def test_a_task_larger_than_the_whole_allocation_is_not_told_to_wait_for_the_reset(ledger: BudgetLedger) -> None:
    ledger.record_spend("codex", 10.0)
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("codex", 45.0)
    message = str(info.value)
    assert "Wait for the reset" not in message
    assert message.startswith("This task is estimated at $45.00, more than codex's whole daily allocation ($30.00), "
                              "so the reset at 00:00 UTC will not make room for it")
    assert "Raise budget.allocation.codex" in message and "another provider" in message


def test_a_task_larger_than_the_whole_daily_total_is_not_told_to_wait_for_the_reset(ledger: BudgetLedger) -> None:
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("gemini", 120.0)
    message = str(info.value)
    assert "Wait for the reset" not in message and "defer the task" not in message
    assert message.startswith("This task is estimated at $120.00, more than the whole daily budget ($100.00)")
    assert "Raise budget.daily_total" in message


def test_a_task_that_fits_a_fresh_day_is_still_told_when_the_reset_comes(ledger: BudgetLedger) -> None:
    ledger.record_spend("codex", 20.0)
    with pytest.raises(BudgetExceeded, match=r"Wait for the reset at 00:00 UTC \(in 14h 00m\)"):
        ledger.reserve("codex", 15.0)


def snapshot(allocation: float, total: float = 100.0, spent: float = 0.0) -> BudgetSnapshot:
    return BudgetSnapshot(day="2026-03-02", timezone="UTC", total=total,
                          providers=(ProviderBudget("codex", allocation, spent, 0.0),), next_reset_at=RESET)


def test_routing_does_not_promise_the_provider_back_at_midnight_for_a_task_no_day_can_pay() -> None:
    [block] = budget_blocks("codex", snapshot(30.0), min_cost=45.0, task_estimate=True)
    assert block.lifts_at is None
    assert block.reason == "budget: this task's estimate ($45.00) is more than the whole codex allocation ($30.00)"
    assert budget_blocks("codex", snapshot(30.0), min_cost=20.0, task_estimate=True) == ()
    allocation, total = budget_blocks("codex", snapshot(200.0, total=100.0, spent=100.0), min_cost=150.0, task_estimate=True)
    assert allocation.lifts_at == RESET  # the allocation would cover it after the reset; the total never will
    assert total.lifts_at is None and "more than the whole daily total ($100.00)" in total.reason


@pytest.mark.parametrize(("spent", "total", "shown"), [
    (89.96, 100.0, 89.9),  # it read 90.0 while the 90% alert had not fired
    (1.91 + 32.33 + 15.76, 100.0, 50.0),  # exactly half, whatever the float sum says
    (0.0, 100.0, 0.0), (5.0, 0.0, 0.0), (150.0, 100.0, 150.0),
])
def test_the_share_of_the_budget_spent_is_shown_rounded_down(spent, total, shown):
    from router_core.budget_text import percent_used

    assert percent_used(spent, total) == shown


def test_a_provider_without_an_allocation_has_none_until_one_is_configured(ledger: BudgetLedger) -> None:
    # The allocations are looked up by name once per configuration (budget_limits.py): a name missing from them
    # has 0, and configure() brings a new one in at once.
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("mistral", 0.01)
    assert (info.value.provider, info.value.remaining) == ("mistral", 0.0)
    ledger.configure(BudgetSettings(daily_total=100.0, allocations=(("codex", 30.0), ("mistral", 5.0))))
    assert ledger.reserve("mistral", 0.01).usd == 0.01
    with pytest.raises(BudgetExceeded):
        ledger.reserve("gemini", 0.01)  # no longer allocated
