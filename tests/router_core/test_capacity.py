"""Hard blocks (design 3.2, 3.3) and the usage record (3.1) over literal snapshots."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import pytest

from router_core.capacity import check_availability, format_percent, provider_usage
from router_core.models import Block, BudgetSnapshot, ProviderBudget, WindowCounts
from router_core.settings import BlockThresholds, ModelPrice, ProviderSettings

NOW = 1_767_261_000.0
RESET = 1_767_312_000.0  # next midnight


CODEX_BLOCK = BlockThresholds(85, 90)


def codex(block: BlockThresholds = CODEX_BLOCK) -> ProviderSettings:
    return ProviderSettings(
        name="codex",
        display_name="OpenAI Codex",
        specializations=(),
        strong_keywords=(),
        weak_keywords=(),
        requests_per_minute=3000,
        tokens_per_minute=500_000,
        block=block,
        cost_tier="budget",
        fallback_order=("gemini", "claude"),
        cost_per_request=0.00001,
        default_model="m",
        models=(ModelPrice("m", 1.0, 10.0),),
    )


def budget(
    codex_spent: float = 12.5, codex_reserved: float = 0.0, others_spent: float = 0.0
) -> BudgetSnapshot:
    return BudgetSnapshot(
        day="2026-01-01",
        timezone="UTC",
        total=100.0,
        providers=(
            ProviderBudget("codex", 30.0, codex_spent, codex_reserved),
            ProviderBudget("gemini", 40.0, others_spent, 0.0),
            ProviderBudget("claude", 30.0, 0.0, 0.0),
        ),
        next_reset_at=RESET,
    )


def check(window: WindowCounts, snapshot: BudgetSnapshot | None = None, **kw: object):
    return check_availability(
        codex(),
        window,
        snapshot or budget(),
        now=NOW,
        min_cost=0.01,
        **kw,  # type: ignore[arg-type]
    )


def test_under_every_threshold_is_available() -> None:
    av = check(WindowCounts(requests=2500, tokens=449_999))  # 83.3%, 89.99%
    assert av.available
    assert av.blocks == ()
    assert av.provider == "codex"


def test_tokens_at_threshold_block_with_lift_time() -> None:
    av = check(WindowCounts(requests=2500, tokens=450_000), capacity_lifts_at=NOW + 42)
    assert not av.available
    assert av.blocks == (Block("tokens_percent >= 90%", NOW + 42),)
    assert av.lifts_at == NOW + 42


def test_requests_and_tokens_both_block() -> None:
    av = check(WindowCounts(requests=2550, tokens=459_000))
    assert [b.reason for b in av.blocks] == ["requests_percent >= 85%", "tokens_percent >= 90%"]
    assert av.lifts_at is None  # unknown unless the caller says


def test_fractional_threshold_is_shown_exactly() -> None:
    av = check_availability(
        codex(BlockThresholds(87.5, 90)), WindowCounts(2625, 0), budget(), now=NOW, min_cost=0.0
    )
    assert av.blocks == (Block("requests_percent >= 87.5%", None),)


@pytest.mark.parametrize(("value", "text"), [(85.0, "85"), (87.5, "87.5"), (90, "90"), (80.25, "80.25")])
def test_format_percent(value: float, text: str) -> None:
    assert format_percent(value) == text


def test_exhausted_allocation_blocks_until_reset() -> None:
    av = check(WindowCounts(0, 0), budget(codex_spent=30.0))
    assert av.blocks == (Block("budget: codex allocation exhausted ($30.00 of $30.00 used)", RESET),)
    assert av.lifts_at == RESET


def test_allocation_with_less_than_min_cost_left_blocks_and_counts_reservations() -> None:
    av = check(WindowCounts(0, 0), budget(codex_spent=29.5, codex_reserved=0.5))
    assert av.blocks == (
        Block("budget: codex allocation exhausted ($29.50 spent + $0.50 reserved of $30.00)", RESET),
    )


def test_allocation_too_small_for_the_cheapest_request_says_so_rather_than_exhausted() -> None:
    snapshot = BudgetSnapshot(
        day="2026-01-01", timezone="UTC", total=100.0,
        providers=(ProviderBudget("codex", 0.02, 0.0, 0.0),), next_reset_at=RESET,
    )
    av = check_availability(codex(), WindowCounts(0, 0), snapshot, now=NOW, min_cost=0.03)
    # No lift time: a fresh day's $0.02 cannot pay for it either (it promised the provider back at midnight).
    assert av.blocks == (
        Block("budget: the cheapest request ($0.03) is more than the whole codex allocation ($0.02)", None),
    )


def test_allocation_short_of_a_task_estimate_names_the_estimate() -> None:
    av = check_availability(codex(), WindowCounts(0, 0), budget(codex_spent=29.99), now=NOW, min_cost=0.0232,
                            task_estimate=True)
    assert av.blocks == (
        Block("budget: codex allocation has $0.01 left ($29.99 of $30.00 used), "
              "less than this task's estimate ($0.0232)", RESET),
    )


def test_allocation_with_exactly_min_cost_left_is_available() -> None:
    assert check(WindowCounts(0, 0), budget(codex_spent=29.99)).available


def test_exhausted_daily_total_blocks_even_with_allocation_left() -> None:
    snapshot = BudgetSnapshot(
        day="2026-01-01",
        timezone="UTC",
        total=50.0,  # allocations sum to more than the total here on purpose
        providers=(ProviderBudget("codex", 30.0, 10.0, 0.0), ProviderBudget("gemini", 40.0, 40.0, 0.0)),
        next_reset_at=RESET,
    )
    av = check(WindowCounts(0, 0), snapshot)
    assert av.blocks == (Block("budget: daily total exhausted ($50.00 of $50.00 used)", RESET),)


def test_extra_blocks_are_appended_after_capacity_and_budget() -> None:
    outage = Block("outage: 3 consecutive failures", NOW + 300)
    av = check(
        WindowCounts(0, 450_000), budget(codex_spent=30.0), extra_blocks=(outage,), capacity_lifts_at=NOW + 5
    )
    assert [b.reason for b in av.blocks] == [
        "tokens_percent >= 90%",
        "budget: codex allocation exhausted ($30.00 of $30.00 used)",
        "outage: 3 consecutive failures",
    ]
    assert av.lifts_at == RESET  # every block has lifted by the latest of them


def test_provider_usage_is_the_designs_record() -> None:
    window = WindowCounts(requests=2500, tokens=450_000, oldest_expires_at=NOW + 17, source="headers")
    usage = provider_usage(codex(), window, budget(), now=NOW)
    assert usage.provider == "codex"
    assert usage.timestamp == NOW
    assert (usage.requests_used, usage.requests_limit, usage.requests_percent) == (2500, 3000, 83.3)
    assert (usage.tokens_used, usage.tokens_limit, usage.tokens_percent) == (450_000, 500_000, 90.0)
    assert (usage.cost_today, usage.daily_budget) == (12.5, 30.0)
    assert (usage.source, usage.window_resets_at) == ("headers", NOW + 17)


def test_a_zero_allocation_or_total_blocks_with_no_lift_time() -> None:
    # Configured, not spent: the reset at midnight gives nothing back, so no time is promised.
    zero = BudgetSnapshot(
        day="2026-01-01", timezone="UTC", total=10.0, next_reset_at=RESET,
        providers=(ProviderBudget("codex", 0.0, 0.0, 0.0), ProviderBudget("gemini", 10.0, 0.0, 0.0)),
    )
    av = check(WindowCounts(0, 0), zero)
    assert [b.reason for b in av.blocks] == ["budget: codex has no allocation (budget.allocation.codex = 0)"]
    assert av.lifts_at is None
    nothing = BudgetSnapshot(day="2026-01-01", timezone="UTC", total=0.0, next_reset_at=RESET,
                             providers=(ProviderBudget("codex", 0.0, 0.0, 0.0),))
    av = check(WindowCounts(0, 0), nothing)
    assert [b.reason for b in av.blocks] == [
        "budget: codex has no allocation (budget.allocation.codex = 0)",
        "budget: the daily budget is 0 (budget.daily_total = 0)",
    ]
    assert av.lifts_at is None


def test_an_estimate_equal_to_what_is_left_to_the_cent_is_available() -> None:
    # The ledger counts micro-dollars and reserves exactly what is left ($100.00 - $99.70 = $0.30); the float
    # difference 0.29999999999999716 blocked the task as "$0.3000 left, less than this task's estimate ($0.3000)".
    snapshot = BudgetSnapshot(
        day="2026-01-01", timezone="UTC", total=100.0, next_reset_at=RESET,
        providers=(ProviderBudget("codex", 30.0, 29.7, 0.0), ProviderBudget("gemini", 40.0, 40.0, 0.0),
                   ProviderBudget("claude", 30.0, 30.0, 0.0)),
    )
    assert snapshot.remaining == 0.3
    assert check_availability(codex(), WindowCounts(0, 0), snapshot, now=NOW, min_cost=0.3,
                              task_estimate=True).available
    small = BudgetSnapshot(day="2026-01-01", timezone="UTC", total=100.0, next_reset_at=RESET,
                           providers=(ProviderBudget("codex", 1.0, 0.9, 0.0),))
    assert small.provider("codex").remaining == 0.1
    assert check_availability(codex(), WindowCounts(0, 0), small, now=NOW, min_cost=0.1,
                              task_estimate=True).available


def test_provider_usage_percents_are_the_percent_rounded_down_to_one_decimal() -> None:
    """Rounded down, exactly: a percent shown at a threshold is one the block applies at."""

    def down(used: int, limit: int) -> float:
        return math.floor(Fraction(1000 * used, limit)) / 10 if limit > 0 else 100.0

    for rpm, tpm in ((3000, 500_000), (7, 1), (11_000, 0)):
        provider = replace(codex(), requests_per_minute=rpm, tokens_per_minute=tpm)
        for used in (0, 1, 2, 7, 15, 333, 2500, 2999, 3000, 3001, 9889, 10**12):
            usage = provider_usage(provider, WindowCounts(used, used * 37), budget(), now=NOW)
            assert usage.requests_percent == down(used, rpm)
            assert usage.tokens_percent == down(used * 37, tpm)
            assert isinstance(usage.requests_percent, float) and isinstance(usage.tokens_percent, float)


def test_a_window_just_under_a_threshold_does_not_show_the_threshold() -> None:
    # 449,999 of codex's 500,000 tokens is under its 90% block: the usage view and the audit line read 90.0%
    # (rounded up) for a provider shown available.
    window = WindowCounts(requests=2549, tokens=449_999)
    usage = provider_usage(codex(), window, budget(), now=NOW)
    assert (usage.requests_percent, usage.tokens_percent) == (84.9, 89.9)
    assert check(window).available
    assert provider_usage(codex(), WindowCounts(2550, 450_000), budget(), now=NOW).tokens_percent == 90.0


def test_a_window_checked_already_is_not_checked_again() -> None:
    """check_availability takes the window's blocks when the caller has them (routing checks a window once)."""
    given = (Block("requests_percent >= 85%", NOW + 9),)
    av = check(WindowCounts(requests=0, tokens=0), capacity=given)
    assert av.blocks == given and not av.available
    free = check(WindowCounts(requests=2999, tokens=0), capacity=())  # the caller found nothing: nothing added
    assert free.available and free == check(WindowCounts(requests=0, tokens=0))
