"""Execute a batch (design 6.2): classify, group per provider, run the groups in parallel, each paced.

The tasks are routed once, on one capacity snapshot, by the same planner as the dry run
(router_core.batch_plan), so a run does what its plan said. Each provider group gets up to
``parallel`` workers; a shared gate caps the requests in flight across the batch at ``parallel``, and
a task holds it only while calling (not while pacing, backing off or parked), so a provider at its rate
limit never starves the others. A failed task never stops the batch: results come back in input order,
each with its status and error, and each task is audited as one line (event "batch_task"), a task the
batch's cancellation stopped before it started too.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from router_core.batch_plan import BatchTask, plan_batch
from router_core.decision import BatchItemPlan, BatchPlan
from router_core.errors import InvalidRequest, NoAgentAvailable
from router_core.execution.batch_stop import NOT_STARTED, BatchStop
from router_core.execution.dispatch import audited, check_limits
from router_core.execution.executor import CallNotice, Executor, Job, ParkNotice, Sleep
from router_core.execution.pace_notes import PaceNotes, PaceNotice
from router_core.execution.plan import chain_for
from router_core.execution.results import CANCELLED, FAILED, BatchOutcome, TaskOutcome
from router_core.execution.stopping import Stopping
from router_core.leases import AgentLease, AgentTaken
from router_core.loop_decisions import capacity_on_loop, release_agent_on_loop
from router_core.models import AgentChoice
from router_core.records import batch_item_record, execution_metrics, outcome_external_strings

if TYPE_CHECKING:
    from router_core.capacity_view import CapacityView
    from router_core.core import RouterCore

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], Awaitable[None]]
LEASE_TRIES = 40
LEASE_RETRY_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class BatchRun:
    plan: BatchPlan
    outcome: BatchOutcome
    agents: tuple[str | None, ...]  # the agent each task ran as, in input order


def prepare(core: RouterCore, tasks: Sequence[tuple[str | None, str]]) -> list[BatchTask]:
    return core.prepare_batch(tasks)


async def run_batch(
    core: RouterCore,
    executor: Executor,
    tasks: Sequence[tuple[str | None, str]],
    *,
    parallel: int | None = None,
    context: str | None = None,
    progress: Progress | None = None,
    on_cancel: Callable[[BatchRun], None] | None = None,
    on_park: ParkNotice | None = None,
    on_call: CallNotice | None = None,
    on_pace: PaceNotice | None = None,
    stopping: Stopping | None = None,
) -> BatchRun:
    """Run the tasks; if the run is cancelled, ``on_cancel`` is handed what it did so far (the tasks that
    did not end, status "cancelled") and the cancellation goes on. ``on_park`` hears of each task that waits
    because every provider is blocked, as it begins to wait (no task finishes meanwhile: the MCP tool says it
    in its progress); ``on_call`` of each provider call as it starts and ends; ``on_pace`` of a wait for room
    at a provider long enough to notice, once per provider while its tasks keep waiting there (pace_notes.py).
    As ``stopping`` says the server stops, no task starts (those not run are cancelled, "not started", nothing
    charged) and the batch returns once the tasks calling end, or are cut off (batch_stop.py)."""
    text = check_limits(None, context)
    cap = parallel or core.settings.execution.batch_concurrency
    if cap < 1:
        raise InvalidRequest("parallel must be at least 1")
    prepared = prepare(core, tasks)
    await executor.probe_due()
    view = await capacity_on_loop(core)
    plan = plan_batch(
        prepared, usage=view.usage, availability=view.availability, budget=view.budget, settings=core.settings,
        now=core.clock.now(), concurrency=cap, task_seconds=lambda cost: sum(core.costs.seconds(cost)) / 2,
    )
    batch_id = f"batch-{uuid.uuid4().hex[:12]}"
    started = core.clock.now()
    gate = anyio.Semaphore(cap)
    notes = PaceNotes(on_pace, core.clock, executor.pacer.window) if on_pace is not None else None
    outcomes: list[TaskOutcome | None] = [None] * len(prepared)
    agents: list[str | None] = [None] * len(prepared)
    done = 0
    stop = BatchStop(stopping)

    async def run_one(item: BatchItemPlan) -> None:
        with stop.task(item.index):
            await run_task(item)

    async def run_task(item: BatchItemPlan) -> None:
        nonlocal done
        choice = job = outcome = None

        def cancelled(outcome: TaskOutcome) -> None:  # audited as it ends: a call in flight may be billed
            if stop.not_started(item.index) and not any(a.called for a in outcome.attempts):
                return  # the server stopping left it not run: audited so with the rest
            outcomes[item.index] = outcome
            _audit(core, view, item, batch_id, choice, outcome)

        try:  # a bug (or a state error while leasing) must cost one task, not the batch
            tries = [LEASE_TRIES]
            while True:
                choice, leased = await choose_agent(core, executor.wait, item, item.task, tries)
                agent = choice.agent if choice else None
                agents[item.index] = agent.id if agent else None
                job = Job(
                    task_id=item.task_id, text=item.task, classification=item.classification,
                    chain=chain_for(item.classification, item.provider, fallback=True),
                    system_prompt=agent.system_prompt if agent else "", context=text,
                    agent_model=agent.model if agent else None, wait=True, estimate_usd=item.cost.usd, gate=gate,
                    # Taken as the task first passes the gate, with its reservation: a task waiting for the gate
                    # holds no agent (a worker leased first, so a batch held a lease per worker, up to
                    # `parallel` per provider, while only `parallel` calls were in flight in all).
                    lease=AgentLease(agent.id, agent.max_concurrency, item.task_id) if leased and agent else None,
                    on_cancel=cancelled, on_park=on_park, on_call=stop.told(item.index, on_call), on_pace=notes,
                    batch_id=batch_id, stopping=stopping,
                )
                try:
                    outcome = await executor.run(job)
                    break
                except AgentTaken:  # the agent filled up before this task reached the gate: nothing was sent
                    continue
        except Exception as exc:
            logger.exception("%s: execution failed", item.task_id)
            now = core.clock.now()
            outcome = TaskOutcome(item.task_id, FAILED, now, now, provider=item.provider,
                                  cost_estimate_usd=item.cost.usd, error=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            lease = job.lease.id if job is not None and job.lease is not None else None
            if lease and (outcome is None or not outcome.ok):  # a success released it with its settlement
                await _release(core, lease, item.task_id)
        if stop.not_started(item.index) and not any(a.called for a in outcome.attempts):
            outcome = _not_started(item, core.clock.now(), NOT_STARTED)  # stopped (executor) before its first call
        outcomes[item.index] = outcome
        _audit(core, view, item, batch_id, choice, outcome)
        done += 1
        if progress is not None:
            ran = outcome.provider and any(a.called for a in outcome.attempts)  # not "not_configured on claude"
            where = f" on {outcome.provider}{_fell_back(outcome)}" if ran else ""
            await _report(progress, done, len(prepared), f"{item.task_id}: {outcome.status}{where}")

    async def worker(queue: deque[BatchItemPlan]) -> None:
        while queue and not stop.stopped:
            await run_one(queue.popleft())

    def result() -> BatchRun:
        now = core.clock.now()
        ended = tuple(o or _not_started(item, now, NOT_STARTED if stop.stopped else None)
                      for o, item in zip(outcomes, plan.items, strict=True))
        groups = {g.provider: list(g.task_indexes) for g in plan.providers}
        return BatchRun(plan, BatchOutcome(batch_id, ended, started, now, groups), tuple(agents))

    try:
        async with anyio.create_task_group() as watching:
            with anyio.CancelScope() as every_task:  # cut off by the server stopping (batch_stop.py)
                watching.start_soon(stop.watch, every_task)
                async with anyio.create_task_group() as tg:
                    for group in plan.providers:
                        queue = deque(plan.items[i] for i in group.task_indexes)
                        for _ in range(min(cap, len(queue))):
                            tg.start_soon(worker, queue)
            watching.cancel_scope.cancel()
    except anyio.get_cancelled_exc_class():
        now = core.clock.now()
        for item in plan.items:  # never started (queued, or waiting for an agent): on record as cancelled too
            if outcomes[item.index] is None:
                outcomes[item.index] = _not_started(item, now, NOT_STARTED if stop.stopped else None)
                _audit(core, view, item, batch_id, None, outcomes[item.index])
        if on_cancel is not None:
            on_cancel(result())
        raise
    if stop.stopped:
        now = core.clock.now()
        for item in plan.items:
            if outcomes[item.index] is None:
                outcomes[item.index] = _not_started(item, now, NOT_STARTED)
                _audit(core, view, item, batch_id, None, outcomes[item.index])
    return result()


def _not_started(item: BatchItemPlan, now: float, why: str | None = None) -> TaskOutcome:
    return TaskOutcome(item.task_id, CANCELLED, now, now, provider=item.provider, cost_estimate_usd=item.cost.usd,
                       error=why or "cancelled before it started")


async def choose_agent(
    core: RouterCore, sleep: Sleep, item: BatchItemPlan, text: str, tries: list[int]
) -> tuple[AgentChoice | None, bool]:
    """The best free agent for the task's provider, and whether to lease it (the task takes the lease as it first
    passes the gate); waits while all are busy, each look costing one of ``tries``; with none left, the best
    agent, to run unleased."""
    task_type = item.classification.task_type
    while tries[0] > 0:
        tries[0] -= 1
        with core.db.read():  # the dead leases it finds are deleted after it, off the loop
            in_use = core.leases.in_use()
        if core.maintenance_due():
            await anyio.to_thread.run_sync(core.maintain)
        try:
            return core.pool.select(item.provider, task_type, in_use, text), True
        except NoAgentAvailable:
            await sleep(LEASE_RETRY_SECONDS)
    return core.pool.select_unleased(item.provider, task_type, text), False


async def _release(core: RouterCore, lease: str, task_id: str) -> None:
    """Give a task's agent lease back (loop_decisions.release_agent_on_loop: a cancelled batch's tasks release theirs
    too). A state error here (a database locked past its timeout, a full disk) is logged, not raised: it would end
    the whole batch, the other tasks' results lost."""
    try:
        await release_agent_on_loop(core, lease)
    except Exception:
        logger.exception("%s: its agent lease was not released; its agent has a slot fewer until the lease lapses", task_id)


def _audit(core: RouterCore, view: CapacityView, item: BatchItemPlan, batch_id: str, choice: AgentChoice | None,
           outcome: TaskOutcome) -> None:
    record = batch_item_record(item, view.usage, view.availability, core.session_id, batch_id)
    record["event"] = "batch_task"
    record["recommendation"]["agent_assigned"] = choice.agent.id if choice else None
    record["recommendation"]["agent_reason"] = choice.reason if choice else None
    record["execution_metrics"] = execution_metrics(outcome)
    audited(core, record, external=_external_strings(item, choice, outcome))


def _external_strings(item: BatchItemPlan, choice: AgentChoice | None, outcome: TaskOutcome) -> tuple[str, ...]:
    """The strings of ``_audit``'s record that came from outside Switchboard, as records.external_strings says of
    a dispatch's: the host's task text and id, the agent's id and reason, the providers' model names and errors.
    The rest are its own words and numbers (the batch id is its own; the classifier's reasons quote the task
    text scrubbed). Keep this in step with records.batch_item_record: the audit log tests only these for secrets."""
    agent = (choice.agent.id, choice.reason) if choice is not None else ()
    return (item.task, item.task_id, *agent, *outcome_external_strings(outcome))


async def _report(progress: Progress, done: int, total: int, message: str) -> None:
    try:
        await progress(done, total, message)
    except Exception:  # a client that went away must not fail the batch
        logger.warning("progress report failed", exc_info=True)


def _fell_back(outcome: TaskOutcome) -> str:
    """What progress says after "on gemini": ' (fell back from codex: rate limited)', each provider left before the
    one the task ended on with its last try's outcome in words ("on gemini" alone hid why; `switchboard run` says
    the error itself)."""
    left = {a.provider: a.outcome.replace("_", " ") for a in outcome.attempts if a.provider != outcome.provider}
    return f" (fell back from {', '.join(f'{p}: {why}' for p, why in left.items())})" if left else ""
