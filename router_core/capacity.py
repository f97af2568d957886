"""Hard blocks (design 3.2, 3.3): which providers may take a task right now, and why not.

Pure functions over a provider's window counts and the budget snapshot. A provider is
blocked at or above its request or token threshold, or when its allocation or the daily
total has less left than the smallest cost a request could have (``min_cost``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from router_core.budget_amounts import fits
from router_core.budget_text import money
from router_core.models import Availability, Block, BudgetSnapshot, ProviderUsage, WindowCounts
from router_core.settings import ProviderSettings


def percent(used: int, limit: int) -> float:
    return 100.0 * used / limit if limit > 0 else 100.0


def blocked_from(limit: int, threshold_percent: float) -> int:
    """The smallest count that ``percent`` puts at or above ``threshold_percent`` of ``limit``: a window is under the
    threshold while its count is below this. ceil(limit * threshold / 100) alone can be one more than the count that
    blocks (89.9% of 11,000: 9,889 blocks, the product rounds to 9,890), and a block then had no lift time."""
    n = math.ceil(limit * threshold_percent / 100)
    while n > 0 and percent(n - 1, limit) >= threshold_percent:
        n -= 1
    while percent(n, limit) < threshold_percent:
        n += 1
    return n


def format_percent(value: float) -> str:
    """85.0 -> "85", 87.5 -> "87.5" (no trailing ".0")."""
    return f"{value:g}"


def capacity_blocks(
    provider: ProviderSettings, window: WindowCounts, *, capacity_lifts_at: float | None = None
) -> tuple[Block, ...]:
    """Blocks from the rate window: requests or tokens at or above the provider's threshold."""
    thresholds, rpm, tpm = provider.block, provider.requests_per_minute, provider.tokens_per_minute
    blocks: tuple[Block, ...] = ()
    # percent(), inline: a routing decision checks every provider's window
    if (100.0 * window.requests / rpm if rpm > 0 else 100.0) >= thresholds.requests_percent:
        blocks += (Block(f"requests_percent >= {format_percent(thresholds.requests_percent)}%", capacity_lifts_at),)
    if (100.0 * window.tokens / tpm if tpm > 0 else 100.0) >= thresholds.tokens_percent:
        blocks += (Block(f"tokens_percent >= {format_percent(thresholds.tokens_percent)}%", capacity_lifts_at),)
    return blocks


def budget_blocks(
    provider: str, budget: BudgetSnapshot, *, min_cost: float, task_estimate: bool = False
) -> tuple[Block, ...]:
    """Blocks from the daily budget: the allocation or the daily total cannot cover ``min_cost``, the cheapest
    request, or this task's estimate when ``task_estimate`` (a decision passes the estimate: the reason must
    not call a $0.02 task "the cheapest request" when a request can cost $0.00003).

    A limit of 0 is configured, not spent: its block names the setting and has no lift time, since the
    reset at midnight gives nothing back (the recommendation would otherwise promise capacity then). Nor has
    a limit smaller than ``min_cost``: a fresh day's allocation cannot pay for it either.
    """
    blocks = []
    mine = budget.provider(provider)
    if not fits(min_cost, mine.remaining):  # in micro-dollars, as reserve() counts
        if mine.allocation <= 0:
            blocks.append(Block(f"budget: {provider} has no allocation (budget.allocation.{provider} = 0)", None))
        elif not fits(min_cost, mine.allocation):
            blocks.append(Block(_too_large(f"{provider} allocation", mine.allocation, min_cost, task_estimate), None))
        else:
            blocks.append(Block(_short(f"{provider} allocation", mine.spent, mine.reserved, mine.allocation,
                                       mine.remaining, min_cost, task_estimate), budget.next_reset_at))
    if not fits(min_cost, budget.remaining):
        if budget.total <= 0:
            blocks.append(Block("budget: the daily budget is 0 (budget.daily_total = 0)", None))
        elif not fits(min_cost, budget.total):
            blocks.append(Block(_too_large("daily total", budget.total, min_cost, task_estimate), None))
        else:
            blocks.append(Block(_short("daily total", budget.spent, budget.reserved, budget.total,
                                       budget.remaining, min_cost, task_estimate), budget.next_reset_at))
    return tuple(blocks)


def _short(
    what: str, spent: float, reserved: float, limit: float, remaining: float, min_cost: float, task_estimate: bool
) -> str:
    """Why ``what`` cannot cover a request: used up, or left with less than the cheapest request costs (a
    small allocation with nothing spent was called "exhausted ($0.00 of $0.02 used)", which misled)."""
    used = _used(spent, reserved, limit)
    if remaining <= 0:
        return f"budget: {what} exhausted ({used})"
    needed = "this task's estimate" if task_estimate else "the cheapest request costs"
    return f"budget: {what} has {money(remaining)} left ({used}), less than {needed} ({money(min_cost)})"


def _too_large(what: str, limit: float, min_cost: float, task_estimate: bool) -> str:
    needed = "this task's estimate" if task_estimate else "the cheapest request"
    return f"budget: {needed} ({money(min_cost)}) is more than the whole {what} ({money(limit)})"


def _used(spent: float, reserved: float, limit: float) -> str:
    if reserved > 0:
        return f"{money(spent)} spent + {money(reserved)} reserved of {money(limit)}"
    return f"{money(spent)} of {money(limit)} used"


def check_availability(
    provider: ProviderSettings,
    window: WindowCounts,
    budget: BudgetSnapshot,
    *,
    now: float,
    min_cost: float,
    capacity_lifts_at: float | None = None,
    extra_blocks: Sequence[Block] = (),
    task_estimate: bool = False,
    capacity: tuple[Block, ...] | None = None,
) -> Availability:
    """Whether ``provider`` may take a task at ``now``, with every reason it may not.

    ``capacity_lifts_at`` is when the window drops back under the thresholds (the caller
    knows the event times); ``capacity``, the window's blocks if the caller has them already
    (``capacity_blocks`` of the same window, lift time and all); ``extra_blocks`` carries blocks decided elsewhere, such as an
    open outage circuit; ``task_estimate`` says ``min_cost`` is the task's estimate. ``now`` is accepted for symmetry with the other checks; the
    decision depends only on the snapshots given.
    """
    if capacity is None:
        capacity = capacity_blocks(provider, window, capacity_lifts_at=capacity_lifts_at)
    blocks = (
        *capacity,
        *budget_blocks(provider.name, budget, min_cost=min_cost, task_estimate=task_estimate),
        *extra_blocks,
    )
    if blocks:
        return Availability(provider=provider.name, available=False, blocks=blocks)
    free = _FREE.get(provider.name)
    if free is None:
        free = Availability(provider=provider.name, available=True, blocks=())
        if len(_FREE) < _FREE_KEPT:
            _FREE[provider.name] = free
    return free


# A provider with no block, per name: one record shared by every decision (it is immutable, and building a
# frozen dataclass costs more than the rest of the check).
_FREE: dict[str, Availability] = {}
_FREE_KEPT = 64


def provider_usage(
    provider: ProviderSettings,
    window: WindowCounts,
    budget: BudgetSnapshot,
    *,
    now: float,
) -> ProviderUsage:
    """The design's usage record (section 3.1) for one provider at ``now``."""
    mine = budget.provider(provider.name)
    requests, tokens, rpm, tpm = window.requests, window.tokens, provider.requests_per_minute, provider.tokens_per_minute
    # percent(), to one decimal rounded down, in integers: 449,999 of 500,000 tokens read 90.0% (rounded up) in the
    # usage view and the audit line while the >= 90% block did not apply; 89.9% says it (as get_budget's percent)
    requests_percent = 1000 * requests // rpm / 10 if rpm > 0 else 100.0
    tokens_percent = 1000 * tokens // tpm / 10 if tpm > 0 else 100.0
    return ProviderUsage(
        provider=provider.name,
        timestamp=now,
        requests_used=requests,
        requests_limit=rpm,
        requests_percent=requests_percent,
        tokens_used=tokens,
        tokens_limit=tpm,
        tokens_percent=tokens_percent,
        cost_today=mine.spent,
        daily_budget=mine.allocation,
        source=window.source,
        window_resets_at=window.oldest_expires_at,
    )
