"""Every provider's usage and availability at one instant (design 3), from one read of the shared state.

The per-provider rules are capacity.py's pure functions; this applies them to each configured provider with the
state read once (router_core/shared_state.py), so that a decision, the dashboard and the resources see one instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from router_core.capacity import blocked_from, capacity_blocks, check_availability, provider_usage
from router_core.execution.state import ExecutionSnapshot
from router_core.models import Availability, BudgetSnapshot, ProviderUsage
from router_core.settings import Settings
from router_core.shared_state import SharedState
from router_core.slot_init import slot_init
from router_core.usage import UsageTracker


@slot_init
@dataclass(frozen=True, slots=True)
class CapacityView:
    """Every provider's usage record and availability at one instant, with the open circuits and holds
    that blocked them (the executor walks the routed provider on these rather than read them again)."""

    usage: dict[str, ProviderUsage]
    availability: dict[str, Availability]
    budget: BudgetSnapshot
    execution: ExecutionSnapshot


def read_capacity(
    settings: Settings, shared: SharedState, usage_tracker: UsageTracker, *, now: float,
    min_costs: Mapping[str, float] | None = None,
) -> CapacityView:
    """The capacity of every configured provider in ``shared`` at ``now``; ``min_costs``: the task's estimate per
    provider (a provider's cost_per_request otherwise). A blocked window's lift time is read from ``usage_tracker``
    (a walk over its events), inside the caller's read transaction."""
    budget, execution, windows = shared.budget, shared.execution, shared.windows
    extra = execution.blocks(now)
    estimates = min_costs or {}
    usage: dict[str, ProviderUsage] = {}
    availability: dict[str, Availability] = {}
    for configured in settings.providers:
        p = execution.limited(configured)  # a lower tier its headers reported counts, as pacing counts it
        name, window = p.name, windows[p.name]
        usage[name] = provider_usage(p, window, budget, now=now)
        blocks = capacity_blocks(p, window)
        if blocks:  # only a blocked window needs its lift time (a walk over events)
            lifts = usage_tracker.release_time(
                name,
                requests_below=blocked_from(p.requests_per_minute, p.block.requests_percent),
                tokens_below=blocked_from(p.tokens_per_minute, p.block.tokens_percent),
            )
            blocks = capacity_blocks(p, window, capacity_lifts_at=lifts)
        availability[name] = check_availability(
            p, window, budget, now=now, min_cost=estimates.get(name, p.cost_per_request), capacity=blocks,
            extra_blocks=extra.get(name, ()), task_estimate=name in estimates,
        )
    return CapacityView(usage, availability, budget, execution)
