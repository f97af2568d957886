"""Budget held by running tasks, told in the micro-dollars reserve() counts: $0.10 spent and a $0.20 task fit a $0.30
allocation (0.1 + 0.2 is 0.30000000000000004 in floats, which said "not held" and sent a host to wait for the
reset), and three providers held are named as a list."""

from __future__ import annotations

from router_core.capacity import budget_blocks
from router_core.models import Availability, BudgetSnapshot, ProviderBudget
from router_core.recommender import recommend
from tests.router_core.test_recommender import NOW, RESET, TOKENS_BLOCK, classification, cost, down


def test_held_budget_is_told_in_micro_dollars_and_names_every_provider_held() -> None:
    held = BudgetSnapshot(day="2026-01-01", timezone="UTC", total=1.0, next_reset_at=RESET, providers=(
        ProviderBudget("codex", 0.3, 0.1, 0.15), ProviderBudget("gemini", 0.3, 0.1, 0.15),
        ProviderBudget("claude", 0.3, 0.1, 0.15)))
    costs = {p: cost(p, 0.2) for p in ("codex", "gemini", "claude")}
    availability = {p: Availability(p, False, budget_blocks(p, held, min_cost=0.2, task_estimate=True))
                    for p in costs}
    assert all(a.blocks for a in availability.values())
    rec = recommend(classification(), availability, costs, held, now=NOW)
    assert (rec.all_blocked, rec.resets_at, rec.wait_seconds) == (True, None, None)
    assert "codex, gemini and claude: budget held by running tasks" in rec.reason


def test_all_blocked_by_budget_that_running_tasks_hold_does_not_wait_for_the_reset() -> None:
    # Two tasks running (codex and gemini) hold most of small allocations; a third task found every provider blocked
    # and `switchboard recommend` said "Recommended wait: 14m27s (capacity returns at <midnight>)", the budget's
    # reset, though the two would settle within seconds for a fraction of what they held (dispatch's own error said
    # "Try again when they finish"). A host told wait_seconds would sleep until midnight.
    held = BudgetSnapshot(day="2026-01-01", timezone="UTC", total=0.05, next_reset_at=RESET, providers=(
        ProviderBudget("codex", 0.02, 0.0, 0.0153), ProviderBudget("gemini", 0.005, 0.0, 0.0038),
        ProviderBudget("claude", 0.01, 0.0, 0.0)))
    costs = {"codex": cost("codex", 0.0153), "gemini": cost("gemini", 0.0038), "claude": cost("claude", 0.0232)}
    availability = {p: Availability(p, False, budget_blocks(p, held, min_cost=costs[p].usd, task_estimate=True))
                    for p in costs}
    assert all(a.blocks for a in availability.values())
    rec = recommend(classification(), availability, costs, held, now=NOW)
    assert (rec.all_blocked, rec.provider) == (True, "gemini")
    assert (rec.resets_at, rec.wait_seconds) == (None, None)
    assert "held by running tasks" in rec.reason and "try again when they finish" in rec.reason
    assert "capacity returns in" not in rec.reason
    # another provider back at a known time: that is the wait
    rec = recommend(classification(), {**availability, "claude": down("claude", TOKENS_BLOCK, NOW + 30)}, costs,
                    held, now=NOW)
    assert (rec.resets_at, rec.wait_seconds) == (NOW + 30, 30.0)
    assert rec.reason.endswith("or claude is back in 30s")


def test_exceeds_budget_is_told_in_the_micro_dollars_reserve_counts() -> None:
    # An estimate a fraction of a micro-dollar above what is left fits: reserve() takes it (both are 200,000 micro-
    # dollars), but capacity blocked codex ("$0.20 left ..., less than this task's estimate ($0.20)") and the
    # recommendation's flag and alert said it would exceed the budget.
    snap = BudgetSnapshot(day="2026-01-01", timezone="UTC", total=1.0, next_reset_at=RESET, providers=(
        ProviderBudget("codex", 0.3, 0.1, 0.0), ProviderBudget("gemini", 0.3, 0.3, 0.0),
        ProviderBudget("claude", 0.3, 0.3, 0.0)))
    costs = {p: cost(p, 0.2000004) for p in ("codex", "gemini", "claude")}
    blocks = {p: budget_blocks(p, snap, min_cost=costs[p].usd, task_estimate=True) for p in costs}
    assert not blocks["codex"] and blocks["gemini"] and blocks["claude"]
    availability = {p: Availability(p, not blocks[p], blocks[p]) for p in costs}
    rec = recommend(classification(), availability, costs, snap, now=NOW)
    assert (rec.provider, rec.all_blocked, rec.exceeds_budget, rec.budget_alerts) == ("codex", False, False, ())
