"""Budget held by running tasks, told in the micro-dollars reserve() counts: $0.10 spent and a $0.20 task fit a $0.30
allocation (0.1 + 0.2 is 0.30000000000000004 in floats, which said "not held" and sent a host to wait for the
reset), and three providers held are named as a list."""

from __future__ import annotations

from router_core.capacity import budget_blocks
from router_core.models import Availability, BudgetSnapshot, ProviderBudget
from router_core.recommender import recommend
from tests.router_core.test_recommender import NOW, RESET, classification, cost


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
