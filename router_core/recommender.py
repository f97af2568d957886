"""Choose a provider for a classified task (design 4.1, with cost-aware routing from 8.2).

Pure: takes the classification, each provider's availability and cost estimate, and the
budget snapshot, and returns a ``Recommendation``. Providers missing from ``availability``
are not configured and are ignored; ``costs`` must hold every provider in ``availability``.

Order of decisions:
1. The first available provider of ``(primary, *fallback_chain)`` is chosen
   (route "primary", "fallback_1", "fallback_2").
2. Cost-aware: among available providers scoring within ``cost_aware_margin`` points of
   the chosen one, the cheapest wins (ties: higher score, then chain order). Providers
   whose estimate exceeds their remaining allocation or the daily remaining are skipped
   unless none fits. If that changes the choice, the route is "cost_aware".
3. If nothing is available, the cheapest provider whose estimate fits the budget (the cheapest of
   all if none fits) is the emergency choice, with the earliest time any provider's blocks all lift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from router_core.budget_amounts import fits
from router_core.budget_text import money
from router_core.errors import InvalidRequest
from router_core.models import (
    Alternative,
    Availability,
    BudgetSnapshot,
    Classification,
    CostEstimate,
    ProviderBudget,
    Recommendation,
)
from router_core.providers.timeparse import format_wait
from router_core.settings import PROVIDER_NAMES

BUDGET_BLOCK = "budget: "  # how capacity.budget_blocks' reasons begin


def _blocked_reasons(av: Availability) -> str:
    return "; ".join(b.reason for b in av.blocks) or "unavailable"


def _order(classification: Classification, availability: Mapping[str, Availability]) -> list[str]:
    chain = [classification.primary_provider, *classification.fallback_chain]
    return [p for p in chain if p in availability] + [p for p in availability if p not in chain]


def _role(classification: Classification, provider: str) -> str:
    if provider == classification.primary_provider:
        return "primary"
    if provider in classification.fallback_chain:
        return f"fallback {classification.fallback_chain.index(provider) + 1}"
    return "unranked"


def _chain_choice(
    classification: Classification, availability: Mapping[str, Availability]
) -> tuple[str, str, str] | None:
    """(provider, route, reason) for the first available provider of the chain, or None."""
    chain = [classification.primary_provider, *classification.fallback_chain]
    for i, provider in enumerate(chain):
        av = availability.get(provider)
        if av is None or not av.available:
            continue
        if i == 0:
            return provider, "primary", "primary available"
        if i == 1:
            primary = availability.get(chain[0])
            why = _blocked_reasons(primary) if primary else "not configured"
            return provider, "fallback_1", f"primary blocked ({why}), using fallback 1"
        earlier = "primary and fallback 1" if i == 2 else f"primary and fallbacks 1-{i - 1}"
        return provider, f"fallback_{i}", f"{earlier} blocked, using fallback {i}"
    return None


def fits_budget(cost: CostEstimate, budget: BudgetSnapshot) -> bool:
    """Whether the estimate fits both the provider's remaining allocation and the daily remaining."""
    return fits(cost.usd, budget.provider(cost.provider).remaining) and fits(cost.usd, budget.remaining)


def _cost_aware(
    chosen: str,
    classification: Classification,
    availability: Mapping[str, Availability],
    costs: Mapping[str, CostEstimate],
    budget: BudgetSnapshot,
    margin: int,
    order: list[str],
) -> str:
    scores = classification.all_scores
    score = scores.get(chosen, 0)
    near = [p for p in order if availability[p].available and abs(scores.get(p, 0) - score) <= margin]
    if len(near) == 1:  # (usually: the chosen one alone) the pool is it, fitting the budget or not
        return near[0]
    fitting = [p for p in near if fits_budget(costs[p], budget)]
    pool = fitting or near
    return min(pool, key=lambda p: (costs[p].usd, -scores.get(p, 0), order.index(p)))


def _emergency(
    availability: Mapping[str, Availability],
    costs: Mapping[str, CostEstimate],
    budget: BudgetSnapshot,
    order: list[str],
    now: float,
) -> tuple[str, float | None, float | None, str]:
    """(provider, resets_at, wait_seconds, reason) when every provider is blocked. As in design 8.2, the
    lowest-cost that the budget can pay for: a provider with its allocation at 0 or spent is not named
    (it was, as the cheapest, with another provider's wait, though it could not run before midnight)."""
    pool = [p for p in order if fits_budget(costs[p], budget)] or order
    provider = min(pool, key=lambda p: (costs[p].usd, order.index(p)))
    # Budget held by running tasks comes back as they settle, not at the reset its blocks name: no wait for it.
    held = [p for p in order if _held_by_running_tasks(availability[p], costs[p], budget)]
    lifts = sorted((t, order.index(p), p) for p in order
                   if p not in held and (t := availability[p].lifts_at) is not None)
    resets_at, first = (lifts[0][0], lifts[0][2]) if lifts else (None, None)
    wait = max(0.0, resets_at - now) if resets_at is not None else None
    if held:
        eta = (f"{_and(held)}: budget held by running tasks, back as they settle (each pays what it used, "
               f"often less than it holds): try again when they finish")
        if wait is not None:
            eta += f", or {first} is back in {format_wait(wait)}" if wait > 0 else f", or {first} is due back now"
    elif wait is None and all(b.reason.startswith(BUDGET_BLOCK) for p in order for b in availability[p].blocks):
        # (budget.daily_total = 0, say: "unknown" read as if they might lift on their own, and the reset does not)
        eta = "every block is the budget's, and no reset lifts it: raise budget.daily_total or budget.allocation"
    elif wait is None:
        eta = "capacity return time unknown"
    elif resets_at <= now:  # an outage whose probe is overdue: the block lifts once a probe is answered
        ago = math.floor(now - resets_at)  # (not "capacity returns in 0s": due now, and not confirmed)
        eta = (f"{first} was due back {ago}s ago and is not confirmed yet" if ago
               else f"{first} is due back now, not confirmed yet")
    else:
        eta = f"capacity returns in {format_wait(wait)}"
        own = availability[provider].lifts_at
        if own is None or math.ceil(own - now) > math.ceil(wait):  # the wait is another's
            eta += f" ({first} first)"
    return (
        provider,
        resets_at,
        None if wait is None else round(wait, 3),  # to the ms: epoch floats gave 24.199999809265137 for 24.2 s
        f"emergency: all providers blocked; {provider} is the lowest-cost, {eta}",
    )


def _and(names: list[str]) -> str:
    """"codex", "codex and gemini", "codex, gemini and claude"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _held_by_running_tasks(availability: Availability, cost: CostEstimate, budget: BudgetSnapshot) -> bool:
    """Blocked by the budget alone, and only because running tasks' reservations hold it: with them released (or
    settled for less), what is spent leaves room for ``cost`` in the provider's allocation and the daily total."""
    if budget.reserved <= 0 or not availability.blocks or not all(
            b.reason.startswith(BUDGET_BLOCK) for b in availability.blocks):
        return False
    mine = budget.provider(cost.provider)
    return fits(cost.usd, mine.allocation - mine.spent) and fits(cost.usd, budget.total - budget.spent)


def _alternative(
    provider: str,
    chosen: CostEstimate,
    classification: Classification,
    availability: Mapping[str, Availability],
    costs: Mapping[str, CostEstimate],
) -> Alternative:
    av, cost = availability[provider], costs[provider]
    if not av.available:
        reason = f"blocked: {_blocked_reasons(av)}"
    else:
        diff = cost.usd - chosen.usd
        compare = "same cost" if diff == 0 else f"{money(abs(diff))} {'more' if diff > 0 else 'cheaper'}"
        reason = f"{_role(classification, provider)}, available, {compare}"
    return Alternative(provider=provider, available=av.available, cost=cost, reason=reason, blocks=av.blocks)


def budget_alerts(cost: CostEstimate, budget: BudgetSnapshot) -> tuple[str, ...]:
    """The highest threshold passed today (the lower ones are behind it: a decision at 92% said each of 50%, 75%
    and 90% with its figures of the time, for the rest of the day), then what this task would overspend."""
    mine = budget.provider(cost.provider)
    left = mine.remaining
    return _budget_alerts(cost, budget, mine, left, _over(cost, budget, left))


def _over(cost: CostEstimate, budget: BudgetSnapshot, left: float) -> tuple[bool, bool]:
    """Whether ``cost`` would exceed the provider's ``left`` and the day's remaining, in micro-dollars as reserve()
    counts."""
    return not fits(cost.usd, left), not fits(cost.usd, budget.remaining)


def _budget_alerts(cost: CostEstimate, budget: BudgetSnapshot, mine: ProviderBudget, left: float,
                   over: tuple[bool, bool]) -> tuple[str, ...]:
    """:func:`budget_alerts`, given the provider's budget, what it has ``left`` (its ``remaining``) and ``_over``."""
    alerts = [max(budget.alerts, key=lambda a: a.threshold).message] if budget.alerts else []
    if over[0]:
        alerts.append(
            f"task would exceed the {cost.provider} allocation: {money(cost.usd)} needed, "
            f"{money(left)} of {money(mine.allocation)} left"
        )
    if over[1]:
        alerts.append(
            f"task would exceed the daily budget: {money(cost.usd)} needed, "
            f"{money(budget.remaining)} of {money(budget.total)} left"
        )
    return tuple(alerts)


def recommend(
    classification: Classification,
    availability: Mapping[str, Availability],
    costs: Mapping[str, CostEstimate],
    budget: BudgetSnapshot,
    *,
    now: float,
    cost_aware_margin: int = 10,
    provider: str | None = None,
) -> Recommendation:
    """The provider to use for this task, why, what it costs, and every alternative. With ``provider`` (the
    caller asked for it), the recommendation is :func:`requested`'s, the router's choice named in its reason
    (the alternatives and alerts of the choice the caller overrode are not worked out)."""
    order = _order(classification, availability)
    picked = _chain_choice(classification, availability)
    resets_at = wait = None
    if picked is None:
        chosen, resets_at, wait, reason = _emergency(availability, costs, budget, order, now)
        route = "emergency"
    else:
        first, route, reason = picked
        chosen = _cost_aware(first, classification, availability, costs, budget, cost_aware_margin, order)
        if chosen != first:
            saved = costs[first].usd - costs[chosen].usd
            why = f"cost-aware: {chosen} scores within {cost_aware_margin} of {first}"
            why += f" and is {money(saved)} cheaper" if saved > 0 else " and fits the budget"
            reason = why if route == "primary" else f"{why}; {reason}"
            route = "cost_aware"
    if provider is not None:
        _check_known(provider)  # (after the choice, as requested() checks it)
    if provider is not None and provider != chosen:
        reason, route = _requested_reason(provider, chosen, availability), "requested"
    else:
        provider = chosen
    return _recommendation(provider, reason, route, order, classification, availability, costs, budget,
                           all_blocked=picked is None, wait=wait, resets_at=resets_at)


def _recommendation(
    provider: str,
    reason: str,
    route: str,
    order: list[str],
    classification: Classification,
    availability: Mapping[str, Availability],
    costs: Mapping[str, CostEstimate],
    budget: BudgetSnapshot,
    *,
    all_blocked: bool,
    wait: float | None,
    resets_at: float | None,
) -> Recommendation:
    cost = costs[provider]
    mine = budget.provider(cost.provider)
    left = mine.remaining  # (a property that rounds: read once for the flag and the alerts)
    over = _over(cost, budget, left)
    return Recommendation(
        provider=provider,
        reason=reason,
        route=route,
        cost=cost,
        alternatives=tuple(
            _alternative(p, cost, classification, availability, costs) for p in order if p != provider
        ),
        all_blocked=all_blocked,
        wait_seconds=wait,
        resets_at=resets_at,
        exceeds_budget=any(over),  # fits_budget, as read here
        budget_alerts=_budget_alerts(cost, budget, mine, left, over),
    )


def requested(
    rec: Recommendation,
    provider: str,
    costs: Mapping[str, CostEstimate],
    availability: Mapping[str, Availability],
    classification: Classification,
    budget: BudgetSnapshot,
) -> Recommendation:
    """``rec`` sent to ``provider`` because the caller asked for it, saying why and what the router chose. The
    alternatives, budget flag and alerts are those of ``provider`` (they were the router's choice's: the
    alternatives listed the requested provider itself, compared costs with the router's choice, and a requested
    provider with its allocation spent had no alert and exceeds_budget false)."""
    _check_known(provider)
    if provider == rec.provider:
        return rec
    return _recommendation(provider, _requested_reason(provider, rec.provider, availability), "requested",
                           _order(classification, availability), classification, availability, costs, budget,
                           all_blocked=rec.all_blocked, wait=rec.wait_seconds, resets_at=rec.resets_at)


def _check_known(provider: str) -> None:
    if provider not in PROVIDER_NAMES:
        raise InvalidRequest(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDER_NAMES)}")


def _requested_reason(provider: str, chosen: str, availability: Mapping[str, Availability]) -> str:
    why = "; ".join(b.reason for b in availability[provider].blocks) or "available"
    return f"provider {provider} requested by the caller ({why}); the router recommended {chosen}"
