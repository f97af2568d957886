"""Outage probes and their audit lines (design 9.3): close a circuit when its provider answers again.

When an open circuit's probe is due, one process claims it (see circuit.py) and sends the provider a
one-word request through pacing, bounded by ``PROBE_TIMEOUT_SECONDS``; if pacing holds it back (a hold on
the provider, a full window), nothing is sent and the probe is due again when pacing would send it. An
answer closes the circuit, and so does a 429 (a rate limit or an exhausted quota is the provider answering,
not an outage): the provider is then held until the limit lifts, as after any 429. So do refused credentials
(a 401 or 403, a CLI not signed in) and any other refusal from the provider's own API (an unknown or retired
model, no such endpoint, another 4xx, a CLI that printed text where JSON was asked for: recovery.ANSWERS): the
provider is up, and a request's refusal blocks nothing either (the task falls back, or fails); the recovery line
says what the probe was answered with (``probe_answer``), and a warning names what to fix (the key, the model,
the base URL, the CLI command). A configuration error of this process that reached nothing of the provider (a
redirect, an unusable URL, no CLI: NotConfigured) is neither: the circuit stays as it was, its probe due an
interval on (as claimed), for a process that can reach the provider. A failure or silence keeps it open until
the next probe; a 503 or 529 that says when
to come back (Retry-After) also holds the provider until then in every process, as a request's does, and the
next probe is not due before. The transition that opens a circuit and the one that closes it are each
written to the audit log once (events "outage" and "recovered"). A probe is paid for like any call: it is
reserved in the budget before it is sent (none is sent while the budget has no room for it: it stays due) and
settled at what the answer cost; one cancelled before its answer is charged at its estimate and due again at
once (nothing was learned).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio

from router_core.budget_amounts import MAX_RECORDED_USD, fits
from router_core.budget_text import money
from router_core.cost import request_cost
from router_core.errors import (
    AuthFailed,
    BudgetExceeded,
    CliOutputUnreadable,
    EndpointNotFound,
    ModelNotFound,
    NotConfigured,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RouterError,
    StateUnusable,
)
from router_core.execution.circuit import CircuitState
from router_core.execution.holds import MAX_HOLD_SECONDS, QUOTA, RATE_LIMITED
from router_core.execution.pacing import PaceTicket, RatePacer
from router_core.execution.plan import actual_cost
from router_core.execution.recovery import answered, outcome_name
from router_core.failure_text import unnamed
from router_core.providers.base import Completion, ProviderAdapter
from router_core.records import iso
from router_core.redact import scrubbed

if TYPE_CHECKING:
    from router_core.core import RouterCore

logger = logging.getLogger(__name__)

PROBE_TOKENS = 16
PROBE_TIMEOUT_SECONDS = 30.0  # a probe is a one-word answer: a provider that takes longer is not back


class Outages:
    def __init__(self, core: RouterCore, adapters: Mapping[str, ProviderAdapter], pacer: RatePacer) -> None:
        self.core = core
        self.adapters = adapters
        self.pacer = pacer
        self.circuits = core.execution_state.circuits

    async def probe_due(self) -> list[str]:
        """Probe every open circuit whose probe is due; returns the providers that recovered."""
        recovered = []
        for provider in self.circuits.due_probes():
            if await self.probe_if_due(self.circuits.state(provider)):
                recovered.append(provider)
        return recovered

    async def probe_if_due(self, circuit: CircuitState) -> bool:
        """True if the probe was due, this process claimed it and the provider answered."""
        now = self.core.clock.now()
        if circuit.next_probe_at is None or circuit.next_probe_at > now:
            return False
        provider = circuit.provider
        adapter = self.adapters.get(provider)
        if adapter is None or adapter.backend == "none":  # not claimed: a process that can send it will
            return False
        estimate = self._estimate(provider)
        if not self.core.ledger.can_afford(provider, estimate):  # not claimed: due when the budget has room
            return False
        # Each write here waits for the lock on the loop (store/scopes.py); those after the claim are shielded: they
        # record what was done, as the blocking writes they replace, which nothing could cancel.
        async with self.core.db.async_transaction():
            claimed = self.circuits.claim_probe(provider)
        if not claimed:
            return False
        try:  # a probe is paid for like any call: the budget holds it, across processes
            async with self.core.db.async_transaction(shield=True):  # reservation and pace ticket together, or neither
                reservation = self.core.ledger.reserve(provider, estimate, task_id=f"outage probe of {provider}").id
                ticket = self.pacer.try_acquire(provider, PROBE_TOKENS, spread=False)  # one request: no slot
                if isinstance(ticket, PaceTicket):  # charged at the estimate if this process dies in the call
                    self.core.ledger.calling(reservation, estimate)
                else:
                    self.core.ledger.release(reservation)
        except BudgetExceeded:
            await self._reschedule(provider, now)
            return False
        if not isinstance(ticket, PaceTicket):  # held (a 429 seen elsewhere) or no room: probe when it lifts
            await self._reschedule(provider, self.core.clock.now() + ticket.seconds)
            return False
        seconds = min(PROBE_TIMEOUT_SECONDS, self.core.settings.execution.request_timeout_seconds)
        try:
            with anyio.fail_after(seconds):
                answer = await adapter.probe()
        except (RouterError, TimeoutError) as exc:
            async with self.core.db.async_transaction(shield=True):
                self.pacer.failed(ticket, getattr(exc, "rate_limit", None))
                self._unanswered(reservation, estimate, exc)
            if answered(exc):  # a limit, refused credentials, another 4xx: the provider answered, it is not down
                await self._answered(provider, exc)
                return True
            if isinstance(exc, NotConfigured):  # reached nothing of it: neither an answer nor one more failure
                logger.warning("%s: its outage probe could not reach it with this process's configuration (%s); "
                               "that says nothing of %s, so the outage stands as it was until a process that can "
                               "reach it probes it (the next probe is due at %s)", provider, exc, provider,
                               iso(self.circuits.state(provider).next_probe_at))
                return False
            why = str(exc) or f"no answer in {seconds:g}s"
            async with self.core.db.async_transaction(shield=True):
                self.circuits.record_failure(provider, f"probe failed: {why}")
                if isinstance(exc, ProviderUnavailable) and exc.retry_after:
                    self._held_unavailable(provider, exc)
            logger.info("%s: probe failed: %s", provider, why)
            return False
        except BaseException:  # cancelled in flight: the provider may bill it, as any call cancelled in flight
            async with self.core.db.async_transaction(shield=True):
                self.pacer.failed(ticket)
                self.core.ledger.settle(reservation, estimate)
                # Nothing learned: the probe is handed back, due now, not an interval on for every process.
                self.circuits.reschedule_probe(provider, self.core.clock.now())
            raise
        async with self.core.db.async_transaction(shield=True):
            self.pacer.settle(ticket, PROBE_TOKENS, counted=False)  # the probe's answer is not counted
            self.core.ledger.settle(reservation, self._cost(provider, answer))
        await self._recovered(provider)
        return True

    async def _reschedule(self, provider: str, at: float) -> None:
        async with self.core.db.async_transaction(shield=True):
            self.circuits.reschedule_probe(provider, at)

    def budget_refusal(self, circuit: CircuitState) -> str | None:
        """Why an open circuit's due probe is not sent, when the budget is why: nothing could run on the
        provider then either, so a task is refused for the budget rather than parked until a probe that is
        already due (it looped, polling, until its longest park)."""
        now = self.core.clock.now()
        if circuit.next_probe_at is None or circuit.next_probe_at > now:
            return None
        estimate = self._estimate(circuit.provider)
        # One read for the decision and its figures: two, a commit between them (a reservation released, another
        # process's settlement) refused the task with "$0.50 left, less than the probe ($0.0001)".
        left, snapshot = self.core.ledger.left_for(circuit.provider)
        if fits(estimate, left):
            return None
        return (f"{circuit.provider} is in an outage ({circuit.block.reason}) and its budget has {money(left)} left, "
                f"less than the probe that would end it ({money(estimate)}); the budget resets at "
                f"{iso(snapshot.next_reset_at)}")

    def _estimate(self, provider: str) -> float:
        """What a probe is reserved at: a few tokens each way at the default model's prices."""
        settings = self.core.settings.provider(provider)
        return request_cost(settings, settings.model(settings.default_model), PROBE_TOKENS, PROBE_TOKENS)

    def _unanswered(self, reservation: str, estimate: float, error: BaseException) -> None:
        """A probe with no answer, or a refusal: free, unless it was sent and its answer lost (a read timeout, our
        own deadline, a broken answer) or the refusal was billed, which the provider bills like any call."""
        billed = getattr(error, "billed", None)
        if billed is not None:
            self.core.ledger.settle(reservation, self._cost(billed.provider, billed))
        elif isinstance(error, TimeoutError) or getattr(error, "maybe_billed", False):
            self.core.ledger.settle(reservation, estimate)
        else:
            self.core.ledger.release(reservation)

    def _cost(self, provider: str, answer: Completion) -> float:
        """What the probe's answer (or a billed failure) cost: paid for (a claude CLI probe runs a whole Claude
        Code turn)."""
        settings = self.core.settings.provider(provider)
        return min(actual_cost(settings, settings.default_model, answer), MAX_RECORDED_USD)

    async def _answered(self, provider: str, error: ProviderError) -> None:
        """The probe was answered with a refusal (see recovery.ANSWERS): the provider is up, so the outage ends; a
        limit holds the provider until it lifts, and any other refusal is said as a warning naming what to fix,
        for every task sent to it will meet the same until then (it falls back, or fails)."""
        if isinstance(error, (RateLimited, QuotaExhausted)):
            async with self.core.db.async_transaction(shield=True):
                self._hold(provider, error)
            logger.info("%s: probe answered with a limit, not an outage: %s", provider, error)
        else:
            logger.warning("%s answered its outage probe with %s: it is up, so the outage is over, but tasks sent to "
                           "it fall back (or fail) until %s; switchboard providers shows what it uses. The answer: %s",
                           provider, _refusal(error), _fix(provider, error), error)
        await self._recovered(provider, error)

    async def _recovered(self, provider: str, answer: RouterError | None = None) -> None:
        """The probe was answered: the circuit closes (audited once). ``answer``: the refusal it was answered
        with, if any (a limit, refused credentials), said on the recovery line."""
        async with self.core.db.async_transaction(shield=True):
            recovered = self.circuits.record_success(provider)
        if recovered is not None:
            self.audit_recovered(recovered, answer)

    def _hold(self, provider: str, error: RateLimited | QuotaExhausted) -> None:
        """Hold a provider whose probe met a limit until it lifts (a quota with no reset: one probe interval; one
        whose reset has already passed: the longest backoff); a retry-after longer than a rate limit lasts is held
        as a quota, as after a request's 429 (failures.py)."""
        now = self.core.clock.now()
        holds = self.core.execution_state.holds
        if isinstance(error, RateLimited):
            if error.retry_after and error.retry_after > self.core.settings.execution.outage_probe_interval_seconds:
                holds.hold(provider, QUOTA, now + min(error.retry_after, MAX_HOLD_SECONDS),
                           f"rate limited for longer than a rate limit lasts, held as a quota: {error}")
            elif error.retry_after:
                holds.hold(provider, RATE_LIMITED, now + min(error.retry_after, MAX_HOLD_SECONDS),
                           f"rate limited: retry after {error.retry_after:g}s")
            return
        until = error.resets_at or now + self.circuits.probe_interval
        if not until > now:  # its reset has passed (a time read just after it), yet it refused: not at once again
            until = now + self.core.settings.execution.backoff_max_seconds
        holds.hold(provider, QUOTA, until, f"quota exhausted: {error}")

    def _held_unavailable(self, provider: str, error: ProviderUnavailable) -> None:
        """A probe's 503 or 529 that said when to come back: the provider is held as after a request's (every
        process waits), and the next probe is not due before the hold ends (a longer hold already in place
        counts)."""
        holds = self.core.execution_state.holds
        with self.core.db.transaction():
            until = holds.hold_unavailable(provider, error)
            held = holds.active(provider).get(provider)
            self.circuits.probe_not_before(provider, max(until, held.until) if held is not None else until)

    def audit_outage(self, state: CircuitState) -> None:
        self._audit_note({
            "event": "outage", "session_id": self.core.process_session_id, "provider": state.provider,
            "reason": state.block.reason, "consecutive_failures": state.failures, "last_error": state.last_error,
            "next_probe_at": iso(state.next_probe_at),
        })

    def audit_recovered(self, state: CircuitState, answer: RouterError | None = None) -> None:
        now = self.core.clock.now()
        record = {
            "event": "recovered", "session_id": self.core.process_session_id, "provider": state.provider,
            "outage_started": iso(state.opened_at),
            "outage_seconds": round(now - state.opened_at, 3) if state.opened_at else None,
            "consecutive_failures": state.failures,
        }
        if answer is not None:  # up, but refusing: the kind ("auth_failed") and what it said, each once
            record["probe_outcome"] = outcome_name(answer)  # as an attempt's outcome
            record["probe_answer"] = scrubbed(unnamed(state.provider, str(answer)))[:500]  # the line names codex
        self._audit_note(record)

    def _audit_note(self, record: dict) -> None:
        """An outage or recovery line: said in passing by a task's call or a probe, so a log that cannot be
        written (a full disk) is logged, not raised, which ended the task without its fallback or lost an
        answer already paid for."""
        try:
            self.core.audit.append(record)
        except (OSError, StateUnusable) as exc:
            logger.error("%s: %s line not written (%s)", record["provider"], record["event"], exc)


def _refusal(error: ProviderError) -> str:
    """What a probe's refusal was, in a few words."""
    if isinstance(error, AuthFailed):
        return "refused credentials"
    if isinstance(error, ModelNotFound):
        return "an unknown model"
    if isinstance(error, EndpointNotFound):
        return "no such endpoint"
    if isinstance(error, CliOutputUnreadable):
        return "output that is not JSON"
    status = f" ({error.status_code})" if error.status_code else ""
    return f"a rejection of the request{status}"


def _fix(provider: str, error: ProviderError) -> str:
    """What to change so tasks sent to ``provider`` stop meeting the refusal its probe met."""
    if isinstance(error, AuthFailed):
        return "its key is fixed or its CLI signed in"
    if isinstance(error, ModelNotFound):
        return f"providers.{provider}.default_model names a model it serves (the probe asks for it)"
    if isinstance(error, EndpointNotFound):
        return f"providers.{provider}.base_url (or its *_BASE_URL variable) points at its API"
    if isinstance(error, CliOutputUnreadable):
        return f"providers.{provider}.cli_command asks for JSON output"
    return f"its configuration is fixed (providers.{provider}: model, base URL, CLI command)"
