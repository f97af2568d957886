"""One task on one provider: pace and reserve the budget, then call and retry until success or a step away.

``ProviderRun.run`` returns a ``Completed`` (the answer, its cost, the reservation settled) or the recovery
``Step`` that ends this provider's turn (fall back, or stop); every try and skip is appended to the task's
attempts. Each try's output cap comes from what remains of the job's max_cost after what the task's tries cost
so far (billed failures, here or on an earlier provider): retries and fallbacks together stay within it, and a
provider is not called when what remains pays for no try. The budget is reserved in the transaction of the
first pacing check and the agent lease, so nothing is called without all three; the reservation is released on
any failure but a call cancelled in flight (charged at its estimate). A reservation whose call is on the wire
carries the call's estimate, charged if this process dies before the answer (budget.py). The pace ticket is
always settled, so the window holds what was sent. The answer settles pacing, budget, circuit and lease in one
transaction: one write lock, and the answer counts everywhere at once.
"""

from __future__ import annotations

import contextlib
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from router_core.batch_ids import reserved_as
from router_core.budget import Reservation
from router_core.budget_text import money
from router_core.errors import BudgetExceeded, RouterError, StateUnusable
from router_core.execution.circuit import CircuitState
from router_core.execution.failures import after_failure
from router_core.execution.holds import QUOTA, Hold
from router_core.execution.pacing import PaceTicket
from router_core.execution.plan import RequestPlan, actual_cost, plan_request
from router_core.execution.recovery import FALL_BACK, RETRY, STOP, Step, never_sent, outcome_name
from router_core.execution.results import CANCELLED, CONFIG_MISMATCH, Attempt
from router_core.loop_decisions import release_agent_on_loop, repair_clock_steps
from router_core.providers.base import Completion, CompletionRequest, ProviderAdapter
from router_core.shared_budget import SharedBudgetMismatch
from router_core.slot_init import slot_init

if TYPE_CHECKING:
    from router_core.execution.executor import Executor, Job

CANCELLED_IN_FLIGHT = "cancelled while the provider was answering; charged at the estimate (the provider may bill it)"
NO_GATE: AbstractAsyncContextManager[Any] = contextlib.nullcontext()  # a job outside any batch: no slot to hand on

logger = logging.getLogger(__name__)


@slot_init
@dataclass(frozen=True, slots=True)
class Completed:
    completion: Completion
    plan: RequestPlan
    cost_usd: float
    warning: str | None = None  # the answer stands, but its settlement could not be written yet


class ProviderRun:
    """Runs ``job`` on ``provider`` for ``executor``; one object per provider turn."""

    def __init__(self, executor: Executor, job: Job, provider: str, attempts: list[Attempt]) -> None:
        self.ex = executor
        self.job = job
        self.provider = provider
        self.attempts = attempts
        self.settings = executor.core.settings.provider(provider)
        self.plan: RequestPlan | None = None
        self.reservation: Reservation | None = None  # settled by the object: its day and provider are known
        self.took_reservation = False  # it held one (the money is back, or spent, when the turn ends)
        self._paced: tuple[PaceTicket, Completion, float] | None = None  # with when the answer arrived

    def skip(self, outcome: str, error: str, lifts_at: float | None = None, model: str = "", *,
             held: bool = False) -> Step:
        self.attempts.append(Attempt(self.provider, outcome, model=model, error=error, lifts_at=lifts_at,
                                     budget_held=held))
        return Step(FALL_BACK, lifts_at=lifts_at)

    async def run(self, adapter: ProviderAdapter) -> Completed | Step:
        core = self.ex.core
        plan = self._plan()
        if isinstance(plan, str):
            return self.skip("budget_exceeded", plan)
        self.plan = plan
        backed_off = 0.0
        try:
            for retry in range(core.settings.execution.max_retries + 1):
                try:
                    result, paced, seconds = await self._send(adapter)
                except BudgetExceeded as exc:
                    return self.skip("budget_exceeded", str(exc), model=plan.model, held=exc.held)
                except SharedBudgetMismatch as exc:  # refreshing the settings before a reservation: nothing held
                    self.attempts.append(Attempt(self.provider, CONFIG_MISMATCH, model=plan.model, error=str(exc)))
                    return Step(STOP)  # every provider would be refused alike, until the settings agree
                waited = backed_off + paced
                if isinstance(result, Hold):
                    return self.skip("on_hold", result.reason, result.until, model=self.plan.model)
                if isinstance(result, CircuitState):
                    return self._outage(result)
                if isinstance(result, Completion):
                    cost = actual_cost(self.settings, self.plan.model, result)
                    warning = await self._settled(cost)
                    self.attempts.append(Attempt(self.provider, "success", model=result.model, retry=retry,
                                                 waited_seconds=waited, duration_seconds=seconds, cost_usd=cost))
                    return Completed(result, self.plan, cost, warning)
                billed, step = await self._failed(result, retry)
                used = getattr(result, "billed", None)  # the tokens the provider reported it billed, if any
                self.attempts.append(Attempt(
                    self.provider, outcome_name(result), model=self.plan.model, error=str(result),
                    status_code=getattr(result, "status_code", None), retry=retry, waited_seconds=waited,
                    duration_seconds=seconds, lifts_at=step.lifts_at, cost_usd=billed,
                    input_tokens=used.input_tokens if used else 0, output_tokens=used.output_tokens if used else 0,
                ))
                if step.action != RETRY:
                    return step
                self.job.check_stopping()  # no retry once the server stops (nor its backoff waited for)
                if self.job.on_pace is not None:
                    await self.job.on_pace.retrying(self.job.task_id, self.provider, step.delay, str(result))
                await self.ex.wait(step.delay)
                backed_off = step.delay
                if (circuit := self._opened()) is not None:  # no retry into the outage
                    return self._outage(circuit)
                if self.reservation is None:  # that try was billed: the next one's cap is from what remains
                    plan = self._plan()
                    if isinstance(plan, str):
                        return self.skip("budget_exceeded", plan, model=self.plan.model)
                    self.plan = plan
            return Step(FALL_BACK)  # pragma: no cover - the last retry always steps away
        finally:
            if self.reservation is not None:  # waited for on the loop, as the turn's other writes (a cancel too)
                core.ledger.release_later(self.reservation.id)  # remembered, should the wait time out
                async with core.db.async_transaction(shield=True):
                    core.ledger.release(self.reservation.id)
            if self.took_reservation:  # settled or released: tasks refused what it held may fit now
                self.ex.budget_waits.freed()

    # -- steps -----------------------------------------------------------------------------------

    def _plan(self) -> RequestPlan | str:
        """The next try's plan: its output cap from what remains of the job's ``max_cost`` after what the task's
        tries have cost so far (billed failures on this provider and the ones before it), so retries and
        fallbacks together stay within it; a reason string when what remains pays for no try."""
        core, job = self.ex.core, self.job
        return plan_request(core.settings, core.costs, self.provider, job.estimate_text,
                            job.classification.task_type, model=job.model_for(self.settings), max_cost=job.max_cost,
                            spent=sum(a.cost_usd for a in self.attempts), system_prompt=job.system_prompt)

    def _reserve(self, *, sending: bool) -> None:
        """Reserve the cost at the output cap, else at the estimate with the cap lowered to match; ``sending``: the
        call goes out at once (the reservation carries its estimate, as ``ledger.calling`` sets)."""
        ledger, plan = self.ex.core.ledger, self.plan
        assert plan is not None
        calling = plan.estimate.usd if sending else 0.0  # the same estimate whatever the cap
        task = reserved_as(self.job.task_id, self.job.batch_id)  # a batch's task with its batch: a dead call names it
        try:
            self.reservation = ledger.reserve(self.provider, plan.cap_usd, task_id=task, calling=calling)
            self.took_reservation = True
            return
        except BudgetExceeded:
            if plan.estimate.usd >= plan.cap_usd:
                raise
        smaller = plan.within(plan.estimate.usd, self.settings)
        self.reservation = ledger.reserve(self.provider, smaller.cap_usd, task_id=task, calling=calling)
        self.plan, self.took_reservation = smaller, True

    async def _send(
        self, adapter: ProviderAdapter
    ) -> tuple[Completion | RouterError | Hold | CircuitState, float, float]:
        """Wait for room (outside the concurrency gate), then call; (result, waited, call seconds).

        A hold that another task set meanwhile ends the turn when it is a quota or longer than the
        longest backoff (the result is then the Hold), as it would have before the turn began; so does an
        outage circuit opened while it waited (the result is then the open CircuitState).
        """
        core, pacer = self.ex.core, self.ex.pacer
        clock = core.clock
        start = clock.monotonic()
        slot = None  # the send slot pacing gave this request after a hold ended
        while True:
            result: tuple[Completion | RouterError, float, float] | None = None
            async with self.job.gate:
                self.job.check_stopping()  # the last moment before a call: nothing reserved or sent after a stop
                lease_id = None
                if self.reservation is None:  # a budget edited since routing binds it (a batch routes once)
                    core.refresh_settings()
                if core.clock_steps.stepped_back():  # repaired before the transaction (inside it, it is not)
                    await repair_clock_steps(core)
                # The write lock is waited for on the loop (store/scopes.py); a task cancelled meanwhile did nothing.
                async with core.db.async_transaction():
                    fresh = self.reservation is None
                    if fresh and self.job.lease is not None:
                        lease_id = core.leases.take(self.job.lease)  # raises AgentTaken, nothing written
                    # Paced on the estimate's tokens, which a cap lowered to fit the budget (_reserve) keeps.
                    ticket = pacer.try_acquire(self.provider, self.plan.pace_tokens, slot=slot)
                    sending = isinstance(ticket, PaceTicket)
                    # Charged at the estimate if this process dies in the call: a fresh reservation carries it.
                    if fresh:
                        self._reserve(sending=sending)  # raises BudgetExceeded: the lease and ticket roll back
                    # A reservation lapsed while the task waited (asleep, a clock step) is taken again, or the task is
                    # refused, before anything is sent: no call goes out with nothing held.
                    elif sending and not core.ledger.calling(self.reservation.id, self.plan.estimate.usd):
                        logger.warning("%s: its budget reservation lapsed while it waited; reserving again",
                                       self.job.task_id)
                        lapsed, self.reservation = self.reservation, None
                        try:
                            self._reserve(sending=True)  # raises BudgetExceeded (the ticket rolls back with it)
                        except BudgetExceeded:
                            self.reservation = lapsed  # released as the turn ends
                            raise
                        core.ledger.release(lapsed.id)  # a call charged while silent came back unbilled: no charge
                if lease_id is not None:
                    self.job.lease.id = lease_id
                if isinstance(ticket, PaceTicket):
                    called = clock.monotonic()
                    waited = called - start
                    try:
                        completion = await self._call(adapter)
                    except RouterError as exc:
                        billed = getattr(exc, "billed", None)
                        said = getattr(exc, "rate_limit", None)  # an error response's rate-limit headers
                        async with core.db.async_transaction(shield=True):  # billed or not: recorded
                            # Charged though no answer (a refusal, a blocked prompt): its tokens count, but pacing
                            # learns no ratio from them (no answer's size: the learned ratio would drop).
                            if never_sent(exc):  # its CLI not found, say: the provider's window never saw it
                                pacer.unsent(ticket)
                            elif billed is not None:
                                pacer.settle(ticket, billed.input_tokens + billed.output_tokens,
                                             billed.rate_limit or said, counted=False)
                            elif getattr(exc, "maybe_billed", False):  # timed out: the provider counts it anyway
                                pacer.settle(ticket, ticket.tokens, said, counted=False)
                            else:
                                pacer.failed(ticket, said)
                            core.ledger.calling(self.reservation.id, 0.0)  # answered: nothing on the wire
                        result = exc, waited, clock.monotonic() - called
                    except anyio.get_cancelled_exc_class():  # the request still counts, and may be billed
                        # the window and the charge together, or neither; the lock waited for on the loop, shielded
                        async with core.db.async_transaction(shield=True):
                            pacer.settle(ticket, ticket.tokens, counted=False)  # as a call that timed out
                            charged = self._charge_estimate()
                        self.attempts.append(Attempt(self.provider, CANCELLED, model=self.plan.model,
                                                     error=CANCELLED_IN_FLIGHT,
                                                     duration_seconds=clock.monotonic() - called,
                                                     cost_usd=charged))
                        raise
                    except BaseException:  # a bug: the request still counts, then it propagates
                        async with core.db.async_transaction(shield=True):
                            pacer.failed(ticket)
                        raise
                    else:
                        self._paced = (ticket, completion, clock.now())
                        result = completion, waited, clock.monotonic() - called
            if result is not None:
                if self.job.gate is not NO_GATE:  # the task waiting for our slot sends before we settle; shielded:
                    await anyio.lowlevel.cancel_shielded_checkpoint()  # a cancel here would lose a billed answer
                return result
            slot = ticket.slot if ticket.slot is not None else slot
            if ticket.hold is not None and (ticket.hold == QUOTA or ticket.seconds > self.ex.longest_wait):
                held = self.ex.state.holds.active(self.provider).get(self.provider)
                if held is not None:
                    return held, clock.monotonic() - start, 0.0
            if self.job.on_pace is not None:
                await self.job.on_pace.paced(self.job.task_id, self.provider, ticket, clock.monotonic() - start)
            await self.ex.wait(ticket.seconds)
            if (circuit := self._opened()) is not None:  # nothing sent into the outage
                return circuit, clock.monotonic() - start, 0.0

    async def _call(self, adapter: ProviderAdapter) -> Completion:
        told = self.job.on_call
        if told is not None:
            told(self.job.task_id, self.provider)
        try:
            return await adapter.complete(self._request(adapter))
        finally:
            if told is not None:
                told(self.job.task_id, None)

    def _opened(self) -> CircuitState | None:
        """The provider's circuit if it is open: other tasks or processes may open it while this one waits
        (backing off, pacing), and a call sent then would only add a failure to the outage."""
        circuit = self.ex.state.circuits.state(self.provider)
        return circuit if circuit.is_open else None

    def _outage(self, circuit: CircuitState) -> Step:
        assert self.plan is not None
        return self.skip("outage", circuit.skipped, circuit.next_probe_at, model=self.plan.model)

    def _request(self, adapter: ProviderAdapter) -> CompletionRequest:
        assert self.plan is not None
        ex = self.ex.core.settings.execution
        return CompletionRequest(
            prompt=self.job.text, system_prompt=self.job.system_prompt, context=self.job.context,
            model=self.plan.model, max_output_tokens=self.plan.max_output_tokens, max_cost_usd=self.plan.budget_usd,
            timeout=ex.cli_timeout_seconds if adapter.backend == "cli" else ex.request_timeout_seconds,
        )

    async def _settled(self, cost: float) -> str | None:
        """Pace ticket, budget, circuit (and the job's lease) in one transaction; a warning if it failed.

        The answer is paid for, so a state database that cannot be written now (locked past its busy timeout,
        a full disk) does not lose it: the reservation stays live, its amount counted, and the ledger settles it
        at ``cost`` at its next heartbeat or reservation; the lease is released (or by the next heartbeat)."""
        core = self.ex.core
        assert self._paced is not None and self.reservation is not None
        ticket, completion, answered_at = self._paced
        reservation = self.reservation
        try:
            async with core.db.async_transaction(shield=True):  # paid for: a cancel does not cut its wait short
                self.ex.pacer.settle(ticket, completion.input_tokens + completion.output_tokens,
                                     completion.rate_limit, answered_at=answered_at,
                                     counted=not completion.usage_estimated)
                core.ledger.settle(reservation, cost)
                recovered = self.ex.state.circuits.record_success(self.provider)
                if self.job.lease is not None and self.job.lease.id:
                    core.leases.release(self.job.lease.id)
        except StateUnusable as exc:
            self.reservation = None  # settled later, never released
            return await self._unsettled(reservation.id, cost, exc)
        self.reservation = None
        if recovered is not None:
            self.ex.audit_recovered(recovered)
        return None

    async def _unsettled(self, reservation_id: str, cost: float, exc: StateUnusable) -> str:
        """The answer's settlement failed: leave it to the ledger, release the lease as far as the store lets us,
        and say so. The release waits for the write lock on the loop, as the settlement did: a blocking one froze
        the loop for another busy timeout when the settlement had failed on a lock nobody gave back."""
        core = self.ex.core
        core.ledger.settle_later(reservation_id, cost)
        if self.job.lease is not None and self.job.lease.id:
            with contextlib.suppress(StateUnusable):  # remembered: the next lease heartbeat deletes it
                await release_agent_on_loop(core, self.job.lease.id)
        logger.warning("%s: %s answered, but its cost could not be recorded: %s", self.job.task_id, self.provider,
                       exc)
        return (f"the answer stands, but its cost ({money(cost)}) could not be recorded in the budget yet: {exc}. "
                "Do not run the task again for it: its budget reservation stays counted, and Switchboard records "
                "the cost once the state database can be written again (at its next heartbeat or reservation)")

    def _charge_estimate(self) -> float:
        """A call cancelled in flight: the provider read the prompt and may have answered part of it, and
        says nothing of what it billed. The reservation is settled at the plan's estimate rather than
        released, so cancelled calls cannot spend the budget unseen."""
        if self.reservation is None or self.plan is None:
            return 0.0
        return self._settle_reservation(round(self.plan.estimate.usd, 6))

    async def _failed(self, error: RouterError, retry: int) -> tuple[float, Step]:
        """What a failed try cost and the step it leads to, recorded in one transaction whose write lock is waited
        for on the loop (shielded: it records what happened): its charge (:meth:`_billed`) and what the failure
        says of the provider (failures.after_failure: a hold, the outage circuit). A charge whose write fails is
        settled at the next heartbeat or reservation, as the ledger's own failed settlements are."""
        cost, reservation = self._billed(error), self.reservation
        try:
            async with self.ex.core.db.async_transaction(shield=True):
                if cost is not None:
                    self._settle_reservation(cost)
                return cost or 0.0, after_failure(self.ex, self.provider, error, retry)
        except BaseException:  # not only StateUnusable: a bug after the settlement rolls it back too
            if cost is not None and reservation is not None:
                self.ex.core.ledger.settle_later(reservation.id, cost)
            raise

    def _billed(self, error: RouterError) -> float | None:
        """What a failed call was charged (a refusal, a cut before any text), to settle its reservation at in place
        of its release; None when the provider charged nothing or nothing is reserved. A call that timed out after
        it was sent is charged at the estimate, as one cancelled in flight is: the provider goes on answering it and
        bills it, and a retry pays again."""
        if self.reservation is None or self.plan is None:
            return None
        if getattr(error, "maybe_billed", False):
            return round(self.plan.estimate.usd, 6)
        billed = getattr(error, "billed", None)
        return None if billed is None else actual_cost(self.settings, self.plan.model, billed)

    def _settle_reservation(self, cost: float) -> float:
        """The reservation turned into spend at ``cost`` (so nothing releases it after); ``cost``."""
        assert self.reservation is not None
        self.ex.core.ledger.settle(self.reservation, cost)
        self.reservation = None
        return cost
