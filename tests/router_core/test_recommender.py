"""The recommender's decision tree (design 4.1) and cost-aware routing (8.2), over literal snapshots."""

from __future__ import annotations

import pytest

from router_core.capacity import check_availability
from router_core.errors import InvalidRequest
from router_core.models import (
    Availability,
    Block,
    BudgetAlert,
    BudgetSnapshot,
    Classification,
    CostEstimate,
    ProviderBudget,
    WindowCounts,
)
from router_core.recommender import recommend, requested
from router_core.settings import BlockThresholds, ModelPrice, ProviderSettings

NOW = 1_767_261_000.0
RESET = 1_767_312_000.0


def classification(codex: int = 80, gemini: int = 15, claude: int = 5) -> Classification:
    scores = {"codex": codex, "gemini": gemini, "claude": claude}
    primary, *chain = sorted(scores, key=lambda p: -scores[p])
    return Classification(
        primary_provider=primary,
        primary_score=scores[primary],
        fallback_chain=tuple(chain),
        all_scores=scores,
        task_type="code_generation",
        reasons=(),
    )


def cost(provider: str, usd: float) -> CostEstimate:
    return CostEstimate(
        provider=provider, model=f"{provider}-model", input_tokens=300, output_tokens=1500, usd=usd
    )


COSTS = {"codex": cost("codex", 0.02), "gemini": cost("gemini", 0.0077), "claude": cost("claude", 0.05)}


def budget(
    codex_spent: float = 12.5, total: float = 100.0, alerts: tuple[BudgetAlert, ...] = ()
) -> BudgetSnapshot:
    return BudgetSnapshot(
        day="2026-01-01",
        timezone="UTC",
        total=total,
        providers=(
            ProviderBudget("codex", 30.0, codex_spent, 0.0),
            ProviderBudget("gemini", 40.0, 8.3, 0.0),
            ProviderBudget("claude", 30.0, 15.2, 0.0),
        ),
        next_reset_at=RESET,
        alerts=alerts,
    )


def up(provider: str) -> Availability:
    return Availability(provider, True)


def down(provider: str, reason: str, lifts_at: float | None) -> Availability:
    return Availability(provider, False, (Block(reason, lifts_at),))


ALL_UP = {"codex": up("codex"), "gemini": up("gemini"), "claude": up("claude")}
TOKENS_BLOCK = "tokens_percent >= 90%"


def test_primary_available() -> None:
    rec = recommend(classification(), ALL_UP, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route, rec.reason) == ("codex", "primary", "primary available")
    assert rec.cost == COSTS["codex"]
    assert not rec.all_blocked and rec.wait_seconds is None and rec.resets_at is None
    assert not rec.exceeds_budget and rec.budget_alerts == ()
    assert [(a.provider, a.available, a.reason) for a in rec.alternatives] == [
        ("gemini", True, "fallback 1, available, $0.0123 cheaper"),
        ("claude", True, "fallback 2, available, $0.03 more"),
    ]
    assert rec.alternatives[0].cost == COSTS["gemini"]


def test_fallback_1_when_primary_blocked() -> None:
    availability = {**ALL_UP, "codex": down("codex", TOKENS_BLOCK, NOW + 30)}
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("gemini", "fallback_1")
    assert rec.reason == "primary blocked (tokens_percent >= 90%), using fallback 1"
    codex_alt = rec.alternatives[0]
    assert (codex_alt.provider, codex_alt.available, codex_alt.reason) == (
        "codex",
        False,
        f"blocked: {TOKENS_BLOCK}",
    )
    assert codex_alt.blocks == (Block(TOKENS_BLOCK, NOW + 30),)
    assert rec.alternatives[1].reason == "fallback 2, available, $0.0423 more"


def test_fallback_2_when_primary_and_fallback_1_blocked() -> None:
    availability = {
        "codex": down("codex", TOKENS_BLOCK, NOW + 30),
        "gemini": down("gemini", "requests_percent >= 80%", NOW + 12),
        "claude": up("claude"),
    }
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("claude", "fallback_2")
    assert rec.reason == "primary and fallback 1 blocked, using fallback 2"
    assert [a.reason for a in rec.alternatives] == [
        f"blocked: {TOKENS_BLOCK}",
        "blocked: requests_percent >= 80%",
    ]


def test_all_blocked_recommends_the_cheapest_with_the_earliest_reset() -> None:
    availability = {
        "codex": down("codex", TOKENS_BLOCK, NOW + 40),
        "gemini": down("gemini", "requests_percent >= 80%", NOW + 24.2),
        "claude": down("claude", "outage: 3 consecutive failures", None),
    }
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route, rec.all_blocked) == ("gemini", "emergency", True)
    assert rec.resets_at == NOW + 24.2
    assert rec.wait_seconds == 24.2  # not 24.199999809265137, the difference of the epoch floats
    assert (
        rec.reason == "emergency: all providers blocked; gemini is the lowest-cost, capacity returns in 25s"
    )
    assert [a.provider for a in rec.alternatives] == ["codex", "claude"]
    assert all(not a.available for a in rec.alternatives)


def test_all_blocked_names_the_provider_whose_capacity_returns_first_when_it_is_another() -> None:
    # The wait is the earliest any provider comes back; it read as the cheapest's own ("gemini ..., capacity
    # returns in 40s" while gemini's block lasts 60 s and codex's 40 s).
    availability = {
        "codex": down("codex", TOKENS_BLOCK, NOW + 40),
        "gemini": down("gemini", "requests_percent >= 80%", NOW + 60),
        "claude": down("claude", "outage: 3 consecutive failures", None),
    }
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.resets_at) == ("gemini", NOW + 40)
    assert rec.reason == ("emergency: all providers blocked; gemini is the lowest-cost, capacity returns in 40s "
                          "(codex first)")


def test_all_blocked_names_no_provider_first_when_the_recommended_one_returns_as_soon() -> None:
    # Every window fills at once, so every block lifts at once: the reason said "(codex first)", while the
    # availability it came with showed gemini back at the same instant.
    availability = {
        "codex": down("codex", TOKENS_BLOCK, NOW + 60),
        "gemini": down("gemini", "requests_percent >= 80%", NOW + 60),
        "claude": down("claude", "requests_percent >= 80%", NOW + 60),
    }
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.resets_at) == ("gemini", NOW + 60)
    assert rec.reason == "emergency: all providers blocked; gemini is the lowest-cost, capacity returns in 1m00s"


def test_all_blocked_with_unknown_reset() -> None:
    availability = {p: down(p, "outage: 3 consecutive failures", None) for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.resets_at, rec.wait_seconds) == ("gemini", None, None)
    assert (
        rec.reason
        == "emergency: all providers blocked; gemini is the lowest-cost, capacity return time unknown"
    )


def test_all_blocked_does_not_recommend_a_provider_the_budget_cannot_pay_for() -> None:
    # gemini is the cheapest, but its allocation is 0 (configured out): it never comes back, while codex's
    # tokens leave the window in 10 s. Design 8.2: the lowest-cost that won't exceed the budget.
    snapshot = BudgetSnapshot(
        day="2026-01-01", timezone="UTC", total=100.0,
        providers=(ProviderBudget("codex", 30.0, 0.0, 0.0), ProviderBudget("gemini", 0.0, 0.0, 0.0),
                   ProviderBudget("claude", 30.0, 0.0, 0.0)),
        next_reset_at=RESET,
    )
    availability = {
        "codex": down("codex", TOKENS_BLOCK, NOW + 10),
        "gemini": down("gemini", "budget: gemini has no allocation (budget.allocation.gemini = 0)", None),
        "claude": down("claude", "tokens_percent >= 80%", NOW + 30),
    }
    rec = recommend(classification(), availability, COSTS, snapshot, now=NOW)
    assert (rec.provider, rec.route, rec.wait_seconds) == ("codex", "emergency", 10.0)
    assert rec.reason == "emergency: all providers blocked; codex is the lowest-cost, capacity returns in 10s"
    assert not rec.exceeds_budget and rec.budget_alerts == ()


def test_all_blocked_with_no_provider_in_budget_still_names_the_cheapest() -> None:
    availability = {p: down(p, "budget: daily total exhausted", RESET) for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), availability, COSTS, budget(total=0.0), now=NOW)
    assert (rec.provider, rec.route, rec.exceeds_budget) == ("gemini", "emergency", True)


def test_budget_blocked_primary_falls_back() -> None:
    codex = ProviderSettings(
        name="codex",
        display_name="OpenAI Codex",
        specializations=(),
        strong_keywords=(),
        weak_keywords=(),
        requests_per_minute=3000,
        tokens_per_minute=500_000,
        block=BlockThresholds(85, 90),
        cost_tier="budget",
        fallback_order=("gemini", "claude"),
        cost_per_request=0.00001,
        default_model="m",
        models=(ModelPrice("m", 1.0, 10.0),),
    )
    snapshot = budget(codex_spent=30.0)
    codex_av = check_availability(codex, WindowCounts(10, 1000), snapshot, now=NOW, min_cost=0.00001)
    rec = recommend(classification(), {**ALL_UP, "codex": codex_av}, COSTS, snapshot, now=NOW)
    assert (rec.provider, rec.route) == ("gemini", "fallback_1")
    assert rec.reason == (
        "primary blocked (budget: codex allocation exhausted ($30.00 of $30.00 used)), using fallback 1"
    )
    assert rec.alternatives[0].blocks == (
        Block("budget: codex allocation exhausted ($30.00 of $30.00 used)", RESET),
    )


def test_cost_aware_picks_a_cheaper_provider_within_the_margin() -> None:
    rec = recommend(classification(codex=55, gemini=45, claude=0), ALL_UP, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("gemini", "cost_aware")
    assert rec.reason == "cost-aware: gemini scores within 10 of codex and is $0.0123 cheaper"
    assert [(a.provider, a.reason) for a in rec.alternatives] == [
        ("codex", "primary, available, $0.0123 more"),
        ("claude", "fallback 2, available, $0.0423 more"),
    ]


def test_cost_aware_does_not_pick_outside_the_margin() -> None:
    rec = recommend(classification(codex=55, gemini=44, claude=1), ALL_UP, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("codex", "primary")


def test_cost_aware_margin_is_a_parameter() -> None:
    c = classification(codex=55, gemini=44, claude=1)
    rec = recommend(c, ALL_UP, COSTS, budget(), now=NOW, cost_aware_margin=11)
    assert (rec.provider, rec.route) == ("gemini", "cost_aware")
    assert rec.reason == "cost-aware: gemini scores within 11 of codex and is $0.0123 cheaper"


def test_cost_aware_does_not_pick_a_blocked_provider() -> None:
    availability = {**ALL_UP, "gemini": down("gemini", "requests_percent >= 80%", NOW + 5)}
    rec = recommend(classification(codex=55, gemini=45, claude=0), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("codex", "primary")


def test_cost_aware_never_picks_an_over_budget_provider_when_the_chosen_fits() -> None:
    snapshot = BudgetSnapshot(
        day="2026-01-01",
        timezone="UTC",
        total=100.0,
        providers=(
            ProviderBudget("codex", 30.0, 0.0, 0.0),
            ProviderBudget("gemini", 40.0, 39.995, 0.0),  # $0.005 left < $0.0077
            ProviderBudget("claude", 30.0, 0.0, 0.0),
        ),
        next_reset_at=RESET,
    )
    rec = recommend(classification(codex=55, gemini=45, claude=0), ALL_UP, COSTS, snapshot, now=NOW)
    assert (rec.provider, rec.route, rec.exceeds_budget) == ("codex", "primary", False)


def test_cost_aware_moves_to_a_dearer_provider_when_only_it_fits() -> None:
    costs = {**COSTS, "gemini": cost("gemini", 0.03)}
    snapshot = budget(codex_spent=29.99)  # $0.01 left < $0.02
    rec = recommend(classification(codex=55, gemini=45, claude=0), ALL_UP, costs, snapshot, now=NOW)
    assert (rec.provider, rec.route) == ("gemini", "cost_aware")
    assert rec.reason == "cost-aware: gemini scores within 10 of codex and fits the budget"
    assert not rec.exceeds_budget


def test_cost_aware_after_a_fallback_keeps_the_fallback_reason() -> None:
    availability = {**ALL_UP, "codex": down("codex", TOKENS_BLOCK, NOW + 30)}
    costs = {**COSTS, "claude": cost("claude", 0.005)}
    rec = recommend(classification(codex=60, gemini=25, claude=20), availability, costs, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("claude", "cost_aware")
    assert rec.reason == (
        "cost-aware: claude scores within 10 of gemini and is $0.0027 cheaper; "
        "primary blocked (tokens_percent >= 90%), using fallback 1"
    )


def test_exceeding_the_allocation_is_flagged_with_alerts() -> None:
    passed = BudgetAlert(50, "info", 51.0, 100.0, "Daily budget at 50% ($51.00 / $100.00)")
    snapshot = budget(codex_spent=29.99, alerts=(passed,))
    rec = recommend(classification(), ALL_UP, COSTS, snapshot, now=NOW)
    assert (rec.provider, rec.route, rec.exceeds_budget) == ("codex", "primary", True)
    assert rec.budget_alerts == (
        "Daily budget at 50% ($51.00 / $100.00)",
        "task would exceed the codex allocation: $0.02 needed, $0.01 of $30.00 left",
    )


def test_exceeding_the_daily_total_is_flagged() -> None:
    snapshot = budget(total=36.0)  # 12.5 + 8.3 + 15.2 = 36.0 spent
    rec = recommend(classification(), ALL_UP, COSTS, snapshot, now=NOW)
    assert rec.exceeds_budget
    assert rec.budget_alerts == ("task would exceed the daily budget: $0.02 needed, $0.00 of $36.00 left",)


def test_passed_thresholds_are_reported_even_within_budget() -> None:
    passed = BudgetAlert(75, "warning", 76.0, 100.0, "WARNING: Daily budget at 75% ($76.00 / $100.00)")
    rec = recommend(classification(), ALL_UP, COSTS, budget(alerts=(passed,)), now=NOW)
    assert not rec.exceeds_budget
    assert rec.budget_alerts == ("WARNING: Daily budget at 75% ($76.00 / $100.00)",)


def test_unconfigured_providers_are_ignored() -> None:
    availability = {"codex": down("codex", TOKENS_BLOCK, NOW + 30), "claude": up("claude")}
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.provider, rec.route) == ("claude", "fallback_2")
    assert [a.provider for a in rec.alternatives] == ["codex"]


def test_all_blocked_past_their_lift_time_do_not_say_capacity_returns_in_0s() -> None:
    # Outages whose probes are overdue: the reason said "capacity returns in 0s" though none had returned.
    availability = {p: down(p, "outage: 3 consecutive failures", NOW - 90) for p in ("codex", "gemini", "claude")}
    availability["codex"] = down("codex", "outage: 3 consecutive failures", NOW - 120)
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.resets_at, rec.wait_seconds) == (NOW - 120, 0.0)
    assert rec.reason == ("emergency: all providers blocked; gemini is the lowest-cost, codex was due back 120s ago "
                          "and is not confirmed yet")


def test_a_requested_provider_gets_the_recommendation_requested_makes_of_the_routers() -> None:
    """recommend(provider=p) is requested(recommend(), p) (core routes a dispatch with a provider so, without
    working out the alternatives of the choice it overrides), in every state: primary, fallback, cost-aware,
    all blocked, a spent allocation, the router's own choice requested."""
    blocked = {**ALL_UP, "codex": down("codex", TOKENS_BLOCK, NOW + 30)}
    all_down = {p: down(p, TOKENS_BLOCK, NOW + 10 * i) for i, p in enumerate(ALL_UP)}
    states = [(classification(), ALL_UP, budget()), (classification(), blocked, budget()),
              (classification(codex=60, gemini=55), ALL_UP, budget()), (classification(), all_down, budget()),
              (classification(), ALL_UP, budget(codex_spent=30.0, total=0.01))]
    for cls, availability, snapshot in states:
        router = recommend(cls, availability, COSTS, snapshot, now=NOW)
        for provider in ("codex", "gemini", "claude"):
            expected = requested(router, provider, COSTS, availability, cls, snapshot)
            assert recommend(cls, availability, COSTS, snapshot, now=NOW, provider=provider) == expected
            if provider != router.provider:
                assert expected.route == "requested" and expected.provider == provider
                assert expected.reason.endswith(f"the router recommended {router.provider}")
    with pytest.raises(InvalidRequest, match="unknown provider 'mistral'"):
        recommend(classification(), ALL_UP, COSTS, budget(), now=NOW, provider="mistral")


def test_all_blocked_gives_a_long_wait_in_hours_and_minutes() -> None:
    # With the day's budget spent, the reason said "capacity returns in 43386s", to the model (recommend_provider,
    # dispatch_agent) and to the user (recommend); the budget's own error says "in 12h 03m".
    availability = {p: down(p, "requests_percent >= 80%", NOW + 43_386) for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert rec.reason == "emergency: all providers blocked; gemini is the lowest-cost, capacity returns in 12h03m"


def test_all_blocked_by_a_budget_no_reset_restores_says_so_not_unknown() -> None:
    # budget.daily_total = 0: every provider blocked by the budget, none with a time it lifts. The reason said
    # "capacity return time unknown", as if the blocks might lift on their own; only a configuration edit lifts them.
    availability = {p: Availability(p, False, (Block(f"budget: {p} has no allocation (budget.allocation.{p} = 0)", None),
                                               Block("budget: the daily budget is 0 (budget.daily_total = 0)", None)))
                    for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert (rec.resets_at, rec.wait_seconds) == (None, None)
    assert "capacity return time unknown" not in rec.reason
    assert rec.reason.endswith("every block is the budget's, and no reset lifts it: raise budget.daily_total or "
                               "budget.allocation")
    # one block that is not the budget's: its time is still not known
    availability["claude"] = down("claude", "outage: 3 consecutive failures", None)
    rec = recommend(classification(), availability, COSTS, budget(), now=NOW)
    assert rec.reason.endswith("capacity return time unknown")


def test_all_blocked_until_this_instant_or_under_a_second_never_say_0s() -> None:
    # resets_at == now read "capacity returns in 0s" (only a lift already past was said to be due back).
    due = {p: down(p, "outage: 3 consecutive failures", NOW) for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), due, COSTS, budget(), now=NOW)
    assert rec.reason.endswith("codex is due back now, not confirmed yet") and "0s" not in rec.reason
    soon = {p: down(p, TOKENS_BLOCK, NOW + 0.3) for p in ("codex", "gemini", "claude")}
    rec = recommend(classification(), soon, COSTS, budget(), now=NOW)
    assert rec.reason.endswith("capacity returns in 1s") and rec.resets_at > NOW
