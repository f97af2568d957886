"""Run one task along its provider chain (design 9): fall back, park when all are blocked, probe outages.

A ``Job`` is a routed task: its text, the agent's system prompt, the chain of providers to try and the
limits it runs under. ``Executor.run`` tries each provider in turn (``attempts.ProviderRun``), skipping
providers in outage or held until a reset, and returns a ``TaskOutcome``. When every provider is
blocked and the job may wait, it parks until the earliest one frees up (at most
``execution.max_park_seconds`` in all) and tries the chain again; otherwise it returns status
``parked`` with that time. Failures open outage circuits (failures.py); due probes close them
(outages.py), before a task walks its chain and after it has been parked.
"""

from __future__ import annotations

import logging
import random as _random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from router_core.budget_text import said_once
from router_core.execution.attempts import NO_GATE, Completed, ProviderRun
from router_core.execution.budget_wait import WAITING, BudgetWaits
from router_core.execution.circuit import CircuitState
from router_core.execution.holds import QUOTA, Hold
from router_core.execution.outages import Outages
from router_core.execution.pace_notes import PaceNotes
from router_core.execution.pacing import GUARD_SECONDS, RatePacer
from router_core.execution.recovery import STOP
from router_core.execution.results import (
    BUDGET_EXCEEDED,
    CANCELLED,
    CONFIG_MISMATCH,
    FAILED,
    NOT_CONFIGURED,
    PARKED,
    REJECTED,
    SUCCESS,
    Attempt,
    TaskOutcome,
)
from router_core.execution.state import ExecutionSnapshot
from router_core.execution.stopping import ServerStopping, Stopping
from router_core.failure_text import provider_said
from router_core.leases import AgentLease
from router_core.models import Classification
from router_core.providers.base import ProviderAdapter
from router_core.settings import ProviderSettings
from router_core.slot_init import slot_init

if TYPE_CHECKING:
    from router_core.core import RouterCore

logger = logging.getLogger(__name__)
# A parked task's ETA when every block it met had lapsed again by the end of its re-check: due back now, said as
# the shortest wait a message shows ("capacity returns in 1s"), never as a resumes_at already past.
DUE_NOW_SECONDS = 1.0


def due_at(resumes_at: float, now: float) -> float:
    """``resumes_at`` if it is still ahead of ``now``, else due now (``now + DUE_NOW_SECONDS``)."""
    return resumes_at if resumes_at > now else now + DUE_NOW_SECONDS

Sleep = Callable[[float], Awaitable[Any]]
# Told of a task about to wait (task id, seconds, why) because every provider is blocked; awaited if it is async.
ParkNotice = Callable[[str, float, str], Awaitable[None] | None]
# Told (task id, provider) as a request goes out to the provider, and (task id, None) as it ends however it ends.
CallNotice = Callable[[str, str | None], None]


@slot_init
@dataclass(frozen=True, slots=True)
class Job:
    task_id: str
    text: str
    classification: Classification
    chain: tuple[str, ...]
    system_prompt: str = ""
    context: str = ""
    agent_model: str | None = None
    max_cost: float | None = None
    wait: bool = True  # park while every provider is blocked
    estimate_usd: float = 0.0  # the routed provider's estimate, reported when nothing ran
    # The agent's lease: taken with the first budget reservation unless already held, released with the
    # answer's settlement (the caller releases it otherwise).
    lease: AgentLease | None = None
    gate: AbstractAsyncContextManager[Any] = NO_GATE  # a batch's concurrency cap, held only while calling
    # The circuits and holds the task was routed on: the first walk takes the routed provider's from here
    # (read a moment ago in the decision's snapshot) instead of reading them again.
    seen: ExecutionSnapshot | None = None
    # Told what the task did (status "cancelled", its attempts) when it is cancelled; the cancellation goes on.
    on_cancel: Callable[[TaskOutcome], None] | None = None
    # Told (task id, seconds, why) each time the task parks because every provider is blocked.
    on_park: ParkNotice | None = None
    # Told of each provider call as it starts and ends (an MCP tool's heartbeat says what is on the wire).
    on_call: CallNotice | None = None
    # Told of a wait for room at a provider (a full rate window, a hold, a retry's backoff) long enough to notice.
    on_pace: PaceNotes | None = None
    # Seconds the task already waited for capacity before its run (dispatch's wait at routing time): counted
    # against execution.max_park_seconds with its parking here, and in its outcome's parked_seconds.
    parked_seconds: float = 0.0
    batch_id: str | None = None  # the batch the task is of: its budget reservations name it (batch_ids.reserved_as)
    # The server stopping (a batch's task): once stopped the task starts no provider call (no retry, no fallback,
    # no walk after parking) and ends with what it has (Executor.run).
    stopping: Stopping | None = None

    def check_stopping(self) -> None:
        """Raise ServerStopping if the server has stopped: no provider call starts after that."""
        if self.stopping is not None:
            self.stopping.check()

    @property
    def estimate_text(self) -> str:
        return f"{self.text}\n{self.context}" if self.context else self.text

    def model_for(self, provider: ProviderSettings) -> str | None:
        known = self.agent_model is not None and any(m.name == self.agent_model for m in provider.models)
        return self.agent_model if known else None


class Executor:
    def __init__(
        self,
        core: RouterCore,
        adapters: Mapping[str, ProviderAdapter],
        *,
        sleep: Sleep | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        self.core = core
        self.adapters = dict(adapters)
        self.sleep: Sleep = sleep or anyio.sleep
        self.random = random or _random.random
        self.state = core.execution_state
        ex = core.settings.execution
        self.pacer = RatePacer(core.db, core.clock, core.settings, core.usage_tracker,
                               in_flight_seconds=ex.longest_call_seconds + 5.0, clock_steps=core.clock_steps)
        self.outages = Outages(core, self.adapters, self.pacer)
        self.budget_waits = BudgetWaits(core, self.wait)
        self._last_beat = core.clock.now()

    @property
    def _beat_every(self) -> float:
        """Waiting tasks keep their budget reservations and agent leases alive well inside their TTLs; read from
        the settings in force, since an edited [budget] changes the reservations' TTL while the server runs."""
        return min(self.core.settings.budget.reservation_ttl_seconds, self.core.leases.ttl_seconds) / 3

    async def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (pacing, backoff, parking), heartbeating reservations and leases meanwhile."""
        left = max(0.0, seconds)
        while True:
            now = self.core.clock.now()
            if not 0 <= now - self._last_beat < self._beat_every:  # due, or the clock was set back since the last
                self._last_beat = now
                await anyio.to_thread.run_sync(self._heartbeat)
            chunk = min(left, self._beat_every)
            await self.sleep(chunk)
            left -= chunk
            if left <= 0:
                return

    def _heartbeat(self) -> None:
        """Keep this process's reservations and leases alive, in a worker thread: while another process holds the
        state database's write lock, SQLite's busy handler sleeps in the calling thread (up to the busy timeout), and
        on the event loop that froze every session of the server. Each keeps its own bookkeeping, written only once
        its transaction commits (a heartbeat is never part of another transaction); a cancelled wait lets it end."""
        self.core.ledger.heartbeat()
        self.core.leases.heartbeat()

    def backend(self, provider: str) -> str:
        adapter = self.adapters.get(provider)
        return adapter.backend if adapter is not None else "none"

    @property
    def configured(self) -> list[str]:
        return [p for p in self.core.settings.provider_names if self.backend(p) != "none"]

    # -- one task ----------------------------------------------------------------------------

    async def run(self, job: Job) -> TaskOutcome:
        started = self.core.clock.now()
        attempts: list[Attempt] = []
        parking = _Parking(job.parked_seconds)
        try:
            return await self._run(job, started, attempts, parking)
        except ServerStopping as stop:
            return self._stopped(job, started, attempts, parking.seconds(self.core.clock.now()), str(stop))
        except anyio.get_cancelled_exc_class():
            if job.on_cancel is not None:
                job.on_cancel(self._cancelled(job, started, attempts, parking.seconds(self.core.clock.now())))
            raise

    def _cancelled(self, job: Job, started: float, attempts: list[Attempt], parked: float) -> TaskOutcome:
        # Said of both: a host that cancelled or stopped waiting, and a server stopping (SIGTERM, a deploy)
        why = "cancelled before it finished: the caller cancelled the call, or the server stopped"
        return self._unanswered(job, started, attempts, CANCELLED, why, parked=parked)

    def _stopped(self, job: Job, started: float, attempts: list[Attempt], parked: float, why: str) -> TaskOutcome:
        """A task the server's stop kept from starting another provider call: cancelled, with the call that failed."""
        called = [a for a in attempts if a.called]
        if called:
            last = called[-1]
            error = (f"{why}: after {provider_said(last.provider, last.error)}, no retry or fallback was started; "
                     "nothing more was sent or charged: run it again once the server is back")
        else:
            error = f"not started: {why}; nothing was sent and nothing charged: run it again once the server is back"
        return self._unanswered(job, started, attempts, CANCELLED, error, parked=parked)

    def _unanswered(self, job: Job, started: float, attempts: list[Attempt], status: str, error: str, *,
                    resumes_at: float | None = None, parked: float = 0.0, budget_wait: float = 0.0) -> TaskOutcome:
        """The outcome of a task that got no answer, told by its last attempt that reached a provider (else its
        last attempt; none: nothing was tried), as an answered task's is by the try that answered: its provider
        and backend ("api", "cli"; None for a provider with none, which nothing was sent to). A provider skipped
        after the tries (in an outage, on hold, with no backend) is not named: nothing was sent to it."""
        last = next((a for a in reversed(attempts) if a.called), attempts[-1] if attempts else None)
        backend = self.backend(last.provider) if last else None
        return TaskOutcome(
            job.task_id, status, started, self.core.clock.now(), provider=last.provider if last else None,
            backend=backend if backend in ("api", "cli") else None,
            model=last.model or None if last else None, cost_estimate_usd=job.estimate_usd,
            cost_usd=_charged(attempts), attempts=tuple(attempts), error=error, resumes_at=resumes_at,
            parked_seconds=parked, budget_wait_seconds=budget_wait,
        )

    async def _run(self, job: Job, started: float, attempts: list[Attempt], parking: _Parking) -> TaskOutcome:
        clock = self.core.clock
        while True:
            first = len(attempts)
            result = await self._pass(job, attempts)
            if isinstance(result, Completed):
                c = result.completion
                return TaskOutcome(
                    job.task_id, SUCCESS, started, clock.now(), provider=c.provider, model=c.model, text=c.text,
                    backend=c.backend, input_tokens=c.input_tokens, output_tokens=c.output_tokens,
                    cost_usd=_charged(attempts), cost_estimate_usd=result.plan.estimate.usd,
                    attempts=tuple(attempts),
                    parked_seconds=parking.total, truncated=c.truncated, warning=result.warning,
                    tokens_estimated=c.usage_estimated,
                    budget_wait_seconds=parking.budget,
                )
            status, error, eta = result
            if status == BUDGET_EXCEEDED and job.wait and any(a.budget_held for a in attempts[first:]):
                error = await self._wait_for_budget(job, attempts, first, error, parking)
                if error is None:
                    continue
            parking.budget_stalled = False
            now = clock.now()
            limit = self.core.settings.execution.max_park_seconds
            if status == PARKED and job.wait and eta is not None and parking.total + max(0.0, eta - now) <= limit:
                delay = max(self.pacer.poll_seconds, eta - now + GUARD_SECONDS)
                logger.info("%s: parked for %.1fs: %s", job.task_id, delay, error)
                if job.on_park is not None and (told := job.on_park(job.task_id, delay, error)) is not None:
                    await told
                job.check_stopping()  # not parked for a walk that would not start
                parking.since = clock.now()
                await self.wait(delay)
                parking.total += delay
                parking.since = None
                await self.probe_due()
                continue
            if status == PARKED and eta is not None and eta <= now:
                # The earliest lift passed while the walk went on (codex's 429 asked for 3 s; gemini's and claude's
                # retries took longer): said so, the task "returns in 0s" with a resumes_at already past. The next
                # lift still ahead, or due now; not a second walk, which sent every provider that had just answered
                # 429 its full retries again (one that waits walks again after its park's poll, as before).
                eta = due_at(min((a.lifts_at for a in attempts[first:] if a.lifts_at is not None and a.lifts_at > now),
                                 default=now), now)
            return self._unanswered(job, started, attempts, status, error, resumes_at=eta if status == PARKED else None,
                                    parked=parking.total, budget_wait=parking.budget)

    async def _wait_for_budget(self, job: Job, attempts: list[Attempt], first: int, error: str,
                               parking: _Parking) -> str | None:
        """The walk from ``attempts[first]`` was refused budget only running tasks hold: wait for one of their
        reservations to go away (None: walk again), or the refusal's error if the last wait saw none go."""
        if parking.budget_stalled:
            seconds = self.budget_waits.longest_seconds
            return f"{error} (It waited {seconds:.0f}s for the running tasks to settle, and none did.)"
        if parking.budget_told and not any(a.called or a.cost_usd for a in attempts[first:]):
            del attempts[first:]  # the same refusal again: the first one stays on record, with the wait
        elif not parking.budget_told:
            parking.budget_told = True
            why = f"{WAITING} ({error})"
            logger.info("%s: waiting: %s", job.task_id, why)
            if job.on_park is not None and (
                    told := job.on_park(job.task_id, self.budget_waits.longest_seconds, why)) is not None:
                await told
        began = self.core.clock.now()
        parking.budget_stalled = not await self.budget_waits.until_freed()
        parking.budget += max(0.0, self.core.clock.now() - began)
        return None

    async def _pass(self, job: Job, attempts: list[Attempt]) -> Completed | tuple[str, str, float | None]:
        """One walk along the chain: the first answer, or (status, error, when capacity returns)."""
        first = len(attempts)
        for provider in job.chain:
            adapter = self.adapters.get(provider)
            run = ProviderRun(self, job, provider, attempts)
            if adapter is None or adapter.backend == "none":
                run.skip("not_configured", getattr(adapter, "message", f"{provider}: no backend configured"))
                continue
            circuit, hold = self._circuit_and_hold(job, provider, routed=not attempts)
            if circuit.is_open:
                if not await self.outages.probe_if_due(circuit):
                    circuit = self.state.circuits.state(provider)
                    if (refused := self.outages.budget_refusal(circuit)) is not None:
                        run.skip("budget_exceeded", refused)
                    else:
                        run.skip("outage", circuit.skipped, circuit.next_probe_at)
                    continue
                hold = self.state.holds.active(provider).get(provider)  # the probe took time
            now = self.core.clock.now()
            if hold is not None and (hold.kind == QUOTA or hold.until - now > self.longest_wait):
                run.skip("on_hold", hold.reason, hold.until)
                continue
            result = await run.run(adapter)
            if isinstance(result, Completed):
                return result
            if result.action == STOP:  # the provider rejected the request, or the shared budget settings changed
                last = attempts[-1]
                return CONFIG_MISMATCH if last.outcome == CONFIG_MISMATCH else REJECTED, last.error or "rejected", None
        return _verdict(attempts[first:])

    def _circuit_and_hold(self, job: Job, provider: str, *, routed: bool) -> tuple[CircuitState, Hold | None]:
        """The provider's circuit and hold: as routing saw them for the routed provider's first try, else read
        now from one snapshot."""
        if routed and job.seen is not None and provider == job.chain[0]:
            return job.seen.circuit(provider), job.seen.holds.get(provider)
        with self.core.db.read():
            return self.state.circuits.state(provider), self.state.holds.active(provider).get(provider)

    @property
    def longest_wait(self) -> float:
        """A provider held for longer than this is skipped (fall back or park) rather than waited for."""
        return self.core.settings.execution.backoff_max_seconds

    # -- outages -----------------------------------------------------------------------------

    async def probe_due(self) -> list[str]:
        """Probe every open circuit whose probe is due; returns the providers that recovered."""
        return await self.outages.probe_due()

    def audit_outage(self, state: CircuitState) -> None:
        self.outages.audit_outage(state)

    def audit_recovered(self, state: CircuitState) -> None:
        self.outages.audit_recovered(state)


@dataclass(slots=True)
class _Parking:
    """A task's time parked so far (``total``), and when the wait in progress began, if one is, so a task
    cancelled while parked is audited with its wait."""

    total: float
    since: float | None = None
    budget: float = 0.0  # seconds waited for budget that running tasks held (budget_wait.py)
    budget_told: bool = False  # the first such wait was told (on_park), and its refusal kept in the attempts
    budget_stalled: bool = False  # the last such wait saw none of the holds go: the next refusal is final

    def seconds(self, now: float) -> float:
        return self.total + (max(0.0, now - self.since) if self.since is not None else 0.0)


def _charged(attempts: list[Attempt]) -> float:
    """What the task's tries cost: the answer, and any refusal a provider billed on the way."""
    return round(sum(a.cost_usd for a in attempts), 6)


def _verdict(attempts: list[Attempt]) -> tuple[str, str, float | None]:
    """Why a walk along the chain found no answer: parked (with when), or a final status."""
    lifts = [a.lifts_at for a in attempts if a.lifts_at is not None]
    last: dict[str, Attempt] = {}
    for a in attempts:
        last[a.provider] = a
    summary = "; ".join(provider_said(p, a.error) for p, a in last.items())
    outcomes = {a.outcome for a in attempts}
    if lifts:  # one provider when it was asked for by name
        blocked = "every provider is" if len(last) > 1 else f"{next(iter(last))} is"
        return PARKED, f"{blocked} blocked ({summary})", min(lifts)
    if outcomes <= {"not_configured"}:
        what = " ".join(f"{p}: {a.error}." for p, a in last.items())
        return NOT_CONFIGURED, (f"Nothing to execute on, so this is a recommendation only (the routing and agent "
                                f"stand; run it yourself or configure a backend). {what}"), None
    # The budget (or what remains of max_cost) had the last word on every provider: before any call, or after tries
    # that cost the task what was left.
    # Each refusal is said, once: the first alone told a user whose every provider was out to choose another one.
    if {a.outcome for a in last.values()} <= {"not_configured", "budget_exceeded"}:
        # The daily total refuses every provider alike: its cause said once, with each provider's estimate
        said = said_once((p, a.error) for p, a in last.items() if a.outcome == "budget_exceeded" and a.error)
        return BUDGET_EXCEEDED, said, None
    return FAILED, f"every provider failed ({summary})", None
