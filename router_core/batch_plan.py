"""Plan a batch (design section 6.2) without running it: route, group, sub-batch, cost.

Pure: it takes each task's classification and cost estimates plus one capacity
snapshot, and decides which provider runs each task, how a provider's tasks are split
into sub-batches that fit its requests/min and tokens/min below the hard-block
threshold, and what the batch costs and how long it should take.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from router_core.batch_ids import task_named
from router_core.capacity import blocked_from, budget_blocks, capacity_blocks
from router_core.decision import BatchItemPlan, BatchPlan, ProviderBatchPlan
from router_core.models import (
    Availability,
    BudgetSnapshot,
    Classification,
    CostEstimate,
    ProviderUsage,
    WindowCounts,
)
from router_core.recommender import fits_budget, recommend
from router_core.settings import Settings


@dataclass(frozen=True, slots=True)
class BatchTask:
    task_id: str
    text: str
    classification: Classification
    costs: Mapping[str, CostEstimate]


def window_room(limit: int, threshold_percent: float, used: int) -> tuple[int, int]:
    """(room now, room in a fresh window) below the hard-block threshold."""
    ceiling = max(1, blocked_from(limit, threshold_percent) - 1)  # as routing counts it (89.9% of 11,000: 9,888)
    return max(0, ceiling - used), ceiling


def finish_time(calls: Sequence[tuple[float, int, float]], slots: int) -> float:
    """When ``calls`` ((earliest start, index, seconds), taken in that order) have all ended on ``slots`` workers:
    each starts at its earliest start or when a worker frees, whichever is later. A sub-batch waits for the
    window but also for the workers still busy with the one before (it was timed as if it had workers of its own,
    and a batch's groups as if each had ``parallel`` slots, where they share them: 10 codex and 10 gemini tasks
    at parallel 5 were planned at 60 s, a third of their calls' 450 s, which take 90 s at best)."""
    free = [0.0] * max(1, min(slots, len(calls)))
    end = 0.0
    for earliest, _index, seconds in calls:
        start = max(heapq.heappop(free), earliest)
        heapq.heappush(free, start + seconds)
        end = max(end, start + seconds)
    return end


def task_availability(
    availability: Mapping[str, Availability],
    usage: Mapping[str, ProviderUsage],
    budget: BudgetSnapshot,
    settings: Settings,
    costs: Mapping[str, CostEstimate],
    left: BudgetSnapshot | None = None,
) -> dict[str, Availability]:
    """``availability`` (checked on ``budget`` against each provider's cheapest request) as a single decision
    checks it for this task: a provider whose allocation or the daily total (in ``left``, the budget less the
    tasks planned before this one; ``budget`` if None) cannot cover the task's estimate is blocked, so a planned
    task goes where recommend_provider would send it (it went to a primary that could not pay for it)."""
    left = left or budget
    out = dict(availability)
    for name, av in availability.items():
        if fits_budget(costs[name], left):  # an estimate is never below the cheapest request: nothing changes
            continue
        p, u = settings.provider(name), usage[name]
        general = budget_blocks(name, budget, min_cost=p.cost_per_request)
        kept = [b for b in av.blocks if b not in general]
        n_capacity = len(capacity_blocks(p, WindowCounts(u.requests_used, u.tokens_used)))
        mine = budget_blocks(name, left, min_cost=costs[name].usd, task_estimate=True)
        out[name] = Availability(name, False, (*kept[:n_capacity], *mine, *kept[n_capacity:]))
    return out


def _held(budget: BudgetSnapshot, cost: CostEstimate) -> BudgetSnapshot:
    """``budget`` with ``cost`` reserved on its provider: the tasks planned before a task spend before it does
    (a run reserves each task's cost and falls back when its provider's allocation refuses it; the plan sent
    all 500 tasks of a batch to a primary whose allocation paid for 20, as 'primary available')."""
    providers = tuple(
        replace(pb, reserved=pb.reserved + cost.usd) if pb.provider == cost.provider else pb for pb in budget.providers
    )
    return replace(budget, providers=providers)


def plan_batch(
    tasks: Sequence[BatchTask],
    *,
    usage: Mapping[str, ProviderUsage],
    availability: Mapping[str, Availability],
    budget: BudgetSnapshot,
    settings: Settings,
    now: float,
    concurrency: int,
    task_seconds: Callable[[CostEstimate], float],
) -> BatchPlan:
    routed = []
    left = budget  # less each planned task's estimate, held as a reservation, as the run will hold it
    for i, t in enumerate(tasks):
        mine = task_availability(availability, usage, budget, settings, t.costs, left)
        rec = recommend(t.classification, mine, t.costs, left, now=now)
        routed.append((i, t, rec))
        left = _held(left, rec.cost)

    items: dict[int, BatchItemPlan] = {}
    provider_plans: list[ProviderBatchPlan] = []
    every_call: list[tuple[float, int, float]] = []
    warnings: list[str] = []
    for p in settings.providers:
        mine = [(i, t, rec) for i, t, rec in routed if rec.provider == p.name]
        if not mine:
            continue
        req_now, req_full = window_room(p.requests_per_minute, p.block.requests_percent, usage[p.name].requests_used)
        tok_now, tok_full = window_room(p.tokens_per_minute, p.block.tokens_percent, usage[p.name].tokens_used)
        subs: list[list[int]] = [[]]
        req_left, tok_left = req_now, tok_now
        for i, _task, rec in mine:
            tokens = rec.cost.input_tokens + rec.cost.output_tokens
            if tokens > tok_full:
                warnings.append(
                    f"{task_named(i)} needs ~{tokens:,} tokens; {p.name} allows {tok_full:,} per minute below its threshold"
                )
            while not (req_left >= 1 and tokens <= tok_left):
                if not subs[-1] and (req_left, tok_left) == (req_full, tok_full):
                    break  # a task larger than a whole window goes alone into a fresh one
                subs.append([])
                req_left, tok_left = req_full, tok_full
            subs[-1].append(i)
            req_left -= 1
            tok_left -= tokens
        spent = 0.0
        remaining = budget.provider(p.name).remaining
        calls = []  # (earliest start, index, seconds) of this provider's tasks, in the order its workers take them
        for k, sub in enumerate(subs):
            start = k * settings.execution.rate_window_seconds  # the window the limits apply to
            for i in sub:
                _, t, rec = routed[i]
                calls.append((start, i, task_seconds(rec.cost)))
                spent += rec.cost.usd
                items[i] = BatchItemPlan(
                    index=i,
                    task_id=t.task_id,
                    task=t.text,
                    classification=t.classification,
                    provider=p.name,
                    route=rec.route,
                    reason=rec.reason,
                    cost=rec.cost,
                    sub_batch=k,
                    starts_after_seconds=start,
                    exceeds_budget=spent > remaining + 1e-12,
                )
        every_call += calls
        provider_plans.append(
            ProviderBatchPlan(
                provider=p.name,
                task_indexes=tuple(i for i, _, _ in mine),
                sub_batches=tuple(tuple(s) for s in subs if s),
                requests_room=req_now,
                tokens_room=tok_now,
                cost=round(spent, 6),
                estimated_seconds=round(finish_time(calls, concurrency), 1),
            )
        )
    ordered = tuple(items[i] for i in range(len(tasks)))
    total = round(sum(it.cost.usd for it in ordered), 6)
    if any(it.exceeds_budget for it in ordered):
        warnings.append("some tasks would exceed their provider's remaining daily allocation (exceeds_budget)")
    return BatchPlan(
        items=ordered,
        providers=tuple(provider_plans),
        total_cost=total,
        # The groups share the batch's `parallel` cap (execution/batch.py's gate): the batch ends no sooner than
        # all its calls through that many slots, nor than its slowest group.
        estimated_seconds=max(round(finish_time(sorted(every_call), concurrency), 1),
                              *(pp.estimated_seconds for pp in provider_plans), 0.0),
        sequential_seconds=round(sum(task_seconds(it.cost) for it in ordered), 1),
        budget_before=budget,
        budget_remaining_after=round(budget.remaining - total, 6),
        exceeds_budget=total > budget.remaining + 1e-12 or any(it.exceeds_budget for it in ordered),
        warnings=tuple(warnings),
    )
