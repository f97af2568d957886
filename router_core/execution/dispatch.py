"""Dispatch one task (design 5, 9, 10.1): route it, lease an agent, execute it, audit it in one line.

With ``execute=False`` it only routes and leases (the host runs the agent itself). When every provider
is blocked at routing time, it returns the ETA (status ``parked``) unless ``wait`` is set, in which case
it waits for the earliest reset and routes again. When no provider has a backend (no key, no CLI) the
result is ``not_configured`` with what to configure, and the lease is kept for the host, as without
execution: handed over, it lapses after ``leases.UNATTENDED_SECONDS``. Otherwise the lease is released
when the task ends.

To execute, it routes without leasing: the agent's lease is taken in the transaction of the task's
first budget reservation (leases.py). If another process filled the agent meanwhile, it routes again
leasing at once, which picks another free agent or raises NoAgentAvailable, as routing with a lease does.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from router_core.decision import RoutingDecision
from router_core.errors import InvalidRequest, StateUnusable
from router_core.execution.executor import CallNotice, Executor, Job, ParkNotice, due_at
from router_core.execution.pace_notes import PaceNotes, PaceNotice
from router_core.execution.pacing import GUARD_SECONDS
from router_core.execution.plan import chain_for
from router_core.execution.results import CANCELLED, NOT_CONFIGURED, PARKED, ROUTED, SUCCESS, TaskOutcome
from router_core.execution.state import ExecutionSnapshot
from router_core.leases import AgentLease, AgentTaken
from router_core.loop_decisions import decide_on_loop, release_agent_on_loop
from router_core.providers.timeparse import format_wait
from router_core.records import audit_record, execution_metrics, external_strings, outcome_external_strings
from router_core.settings import PROVIDER_NAMES
from router_core.slot_init import slot_init

if TYPE_CHECKING:
    from router_core.core import RouterCore

logger = logging.getLogger(__name__)

MAX_CONTEXT_CHARS = 400_000
# What a task parked for capacity can do next (the MCP argument, and the CLI's flag).
WAIT_HINT = "Dispatch it again then, or with wait=true (switchboard run --wait) to wait for capacity"


@slot_init
@dataclass(frozen=True, slots=True)
class DispatchResult:
    decision: RoutingDecision
    outcome: TaskOutcome
    audit: dict[str, Any]  # the line written


def check_limits(
    max_cost: float | None, context: str | None, *, names: tuple[str, str] = ("max_cost", "context")
) -> str:
    """``context`` as text, once it and ``max_cost`` are within limits. ``names`` are the two as the caller
    knows them, for the message (the tools' arguments by default; the CLI's flags for `switchboard run`)."""
    if max_cost is not None and (not isinstance(max_cost, int | float) or not math.isfinite(max_cost) or max_cost <= 0):
        raise InvalidRequest(f"{names[0]} must be a positive amount of USD, got {max_cost!r}")
    text = context or ""
    if len(text) > MAX_CONTEXT_CHARS:
        raise InvalidRequest(f"{names[1]} is {len(text):,} characters; the limit is {MAX_CONTEXT_CHARS:,}: pass only "
                             "the files and notes the task needs, or a summary of the rest")
    return text


def job_for(decision: RoutingDecision, *, context: str, max_cost: float | None, wait: bool, forced: bool,
            **extra: Any) -> Job:
    """The job for a routed task; its agent's lease is the decision's, or taken with the first reservation."""
    agent = decision.agent.agent if decision.agent is not None else None
    return Job(
        task_id=decision.task_id,
        text=decision.task,
        classification=decision.classification,
        chain=chain_for(decision.classification, decision.provider, fallback=not forced),
        system_prompt=agent.system_prompt if agent else "",
        context=context,
        agent_model=agent.model if agent else None,
        max_cost=max_cost,
        wait=wait,
        estimate_usd=decision.recommendation.cost.usd,
        lease=AgentLease(agent.id, agent.max_concurrency, decision.task_id, decision.lease_id) if agent else None,
        **extra,
    )


async def dispatch(
    core: RouterCore,
    executor: Executor,
    task: str,
    *,
    provider: str | None = None,
    context: str | None = None,
    max_cost: float | None = None,
    wait: bool = False,
    execute: bool = True,
    task_id: str | None = None,
    repo: str | None = None,
    on_park: ParkNotice | None = None,
    on_cancel: Callable[[DispatchResult], None] | None = None,
    on_call: CallNotice | None = None,
    on_pace: PaceNotice | None = None,
) -> DispatchResult:
    """Route and run ``task``. If it is cancelled, ``on_cancel`` is handed what it did (status "cancelled",
    as audited; its attempts say whether a call was in flight) and the cancellation goes on. ``on_call`` hears
    of each provider call as it starts and ends, ``on_pace`` of a wait for room at a provider long enough to
    notice (pace_notes.py)."""
    text = check_limits(max_cost, context)
    if not execute:
        decision, _ = await decide_on_loop(core, task, task_id=task_id, repo=repo, provider=provider,
                                           max_cost=max_cost, lease_agent=True, audit=False, event="dispatch")
        if decision.lease_id is not None:
            # The lock waited for on the loop (store/scopes.py), shielded: cancelled there, the lease taken would
            # never be handed over, and every heartbeat would extend it.
            try:
                async with core.db.async_transaction(shield=True):
                    core.leases.hand_over(decision.lease_id)
            except BaseException:  # not handed over (the lock held past its timeout): the host is told, runs nothing
                core.leases.release_later(decision.lease_id)  # deleted by the next heartbeat, not extended by it
                raise
        now = core.clock.now()
        outcome = TaskOutcome(decision.task_id, ROUTED, now, now, provider=decision.provider,
                              model=decision.recommendation.cost.model,
                              cost_estimate_usd=decision.recommendation.cost.usd)
        return _finish(core, decision, outcome)
    parked = 0.0
    while True:
        decision, seen = await _route(core, executor, task, task_id=task_id, repo=repo, provider=provider,
                                      max_cost=max_cost)
        task_id = decision.task_id
        rec = decision.recommendation
        # The providers the task may go to: all (blocked together), or the one requested.
        allowed = PROVIDER_NAMES if provider is None else (provider,)
        blocked, eta, cause = (rec.all_blocked, rec.resets_at, rec.reason) if provider is None else (
            _requested_block(decision, provider))
        if not blocked or not executor.configured or _budget_bound(decision, allowed):
            break  # a budget block is not waited out here: the reservation refuses it with a clear message
        now = core.clock.now()
        limit = core.settings.execution.max_park_seconds
        if not wait or eta is None or parked + (eta - now) > limit:
            outcome = TaskOutcome(decision.task_id, PARKED, now, now, provider=rec.provider, model=rec.cost.model,
                                  cost_estimate_usd=rec.cost.usd, error=f"{cause}. {_wait_advice(provider, waited=wait)}",
                                  resumes_at=eta)
            return _finish(core, decision, outcome)
        delay = max(executor.pacer.poll_seconds, eta - now + GUARD_SECONDS)
        logger.info("%s: every provider blocked; waiting %.1fs for capacity", decision.task_id, delay)
        if on_park is not None and (told := on_park(decision.task_id, delay, cause)) is not None:
            await told
        try:
            await executor.wait(delay)
        except anyio.get_cancelled_exc_class():  # nothing sent or held, but the decision and the wait are logged
            ended = core.clock.now()
            _cancelled(core, decision, on_cancel, TaskOutcome(
                decision.task_id, CANCELLED, now, ended, provider=rec.provider, model=rec.cost.model,
                cost_estimate_usd=rec.cost.usd, error="cancelled while waiting for capacity", resumes_at=eta,
                parked_seconds=parked + max(0.0, ended - now)))
            raise
        parked += delay
    notes = PaceNotes(on_pace, core.clock, executor.pacer.window) if on_pace is not None else None
    for lease_now in (False, True):
        if lease_now:  # another process filled the agent since routing: route again, leasing at once
            decision, view = await decide_on_loop(core, task, task_id=task_id, repo=repo, provider=provider,
                                                  max_cost=max_cost, lease_agent=True, audit=False, event="dispatch")
            seen = view.execution
        job = job_for(decision, context=text, max_cost=max_cost, wait=wait, forced=provider is not None, seen=seen,
                      # a cancelled task is audited as it ends: a call in flight may still be billed
                      on_cancel=functools.partial(_cancelled, core, decision, on_cancel), on_park=on_park,
                      on_call=on_call, on_pace=notes,
                      parked_seconds=parked)  # waited here for capacity before it runs: within the same limit
        try:
            outcome = await executor.run(job)
            if outcome.status == NOT_CONFIGURED and job.lease is not None and job.lease.id is None:
                async with core.db.async_transaction():  # nothing ran: lease the agent for the host
                    lease_id = core.leases.take(job.lease)
                    core.leases.hand_over(lease_id)
                job.lease.id = lease_id
            break
        except AgentTaken:  # nothing was written
            if lease_now:
                raise
        except BaseException:
            await _release(core, job)
            raise
    if outcome.status not in (SUCCESS, NOT_CONFIGURED):  # released with the answer / kept for the host
        await _release(core, job)
    if job.lease is not None and job.lease.id != decision.lease_id:
        decision = decision.with_lease(job.lease.id)
    return _finish(core, decision, _parked_advice(core, outcome, provider=provider, wait=wait))


def _parked_advice(core: RouterCore, outcome: TaskOutcome, *, provider: str | None, wait: bool) -> TaskOutcome:
    """A task parked by its tries (every provider answered 429, or was held) says when capacity returns and what
    to do, as one parked at routing does; with ``wait`` it waited up to ``execution.max_park_seconds`` already."""
    if outcome.status != PARKED or outcome.resumes_at is None or not outcome.error:
        return outcome
    now = core.clock.now()
    # (passed since the executor parked it, by the time the outcome was written: due back now)
    resumes_at = due_at(outcome.resumes_at, now)
    when = format_wait(resumes_at - now)
    advice = _wait_advice(provider, waited=wait)
    return dataclasses.replace(outcome, error=f"{outcome.error}; capacity returns in {when}. {advice}",
                               resumes_at=resumes_at)


async def _route(
    core: RouterCore, executor: Executor, task: str, *, task_id: str | None, repo: str | None, provider: str | None,
    max_cost: float | None,
) -> tuple[RoutingDecision, ExecutionSnapshot]:
    """Route the task, and the circuits and holds it was routed on. An outage whose probe is due may be
    over: probe it and route again with the answer."""
    decision, view = await decide_on_loop(core, task, task_id=task_id, repo=repo, provider=provider,
                                          max_cost=max_cost, audit=False, event="dispatch")
    if view.execution.due_probes(core.clock.now()):
        await executor.probe_due()
        decision, view = await decide_on_loop(core, task, task_id=decision.task_id, repo=repo, provider=provider,
                                              max_cost=max_cost, audit=False, event="dispatch")
    return decision, view.execution


def _requested_block(decision: RoutingDecision, provider: str) -> tuple[bool, float | None, str]:
    """Whether the requested ``provider`` is blocked, when it lifts, and why (the parked task's error, before
    :func:`_wait_advice`)."""
    av = decision.availability[provider]
    if av.available:
        return False, None, ""
    lifts = av.lifts_at
    when = (f"capacity returns in {format_wait(lifts - decision.timestamp)}" if lifts is not None
            else "capacity return time unknown")
    return True, lifts, f"{provider} (requested) is blocked: {'; '.join(b.reason for b in av.blocks)}; {when}"


def _wait_advice(provider: str | None, *, waited: bool) -> str:
    """What a parked task can do: dispatch again when capacity returns, or wait for it (unless it ``waited``
    already, as long as ``execution.max_park_seconds`` allows), or, forced to ``provider``, let the router choose."""
    advice = "Dispatch it again then" if waited else WAIT_HINT
    if provider is None:
        return advice
    return f"{advice}, or without a provider to let the router choose one with capacity"


def _budget_bound(decision: RoutingDecision, providers: Iterable[str]) -> bool:
    """Whether each of ``providers`` is blocked by the budget (among other things, perhaps)."""
    return all(any(b.reason.startswith("budget:") for b in decision.availability[p].blocks) for p in providers)


async def _release(core: RouterCore, job: Job) -> None:
    if job.lease is not None and job.lease.id:
        await release_agent_on_loop(core, job.lease.id)


def _cancelled(
    core: RouterCore, decision: RoutingDecision, on_cancel: Callable[[DispatchResult], None] | None,
    outcome: TaskOutcome,
) -> None:
    result = _finish(core, decision, outcome)
    if on_cancel is not None:
        on_cancel(result)


def _finish(core: RouterCore, decision: RoutingDecision, outcome: TaskOutcome) -> DispatchResult:
    record = audit_record(decision, session_id=core.session_id, event="dispatch")
    external = external_strings(decision)
    if outcome.status != ROUTED:
        record["execution_metrics"] = execution_metrics(outcome)
        external += outcome_external_strings(outcome)
    return DispatchResult(decision, outcome, audited(core, record, external=external))


def audited(core: RouterCore, record: dict[str, Any], *, external: Iterable[str] | None = None) -> dict[str, Any]:
    """``record`` appended to the audit log, as written. The work it describes is done, and perhaps paid for:
    if the log cannot be written (a full disk, permissions), the error is logged and the result still stands."""
    try:
        return core.audit.append(record, external=external)
    except (OSError, StateUnusable) as exc:
        logger.error("%s: audit line not written (%s); the result stands", record.get("task_id"), exc)
        return record
