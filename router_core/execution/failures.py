"""What a failed call records about its provider, and the step it leads to: holds for a retry-after or a quota,
failures towards the outage circuit (``after_failure``, used by ``attempts.ProviderRun`` after each failed try)."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from router_core.errors import CliTimedOut, ProviderUnavailable, QuotaExhausted, RateLimited, RouterError
from router_core.execution.holds import MAX_HOLD_SECONDS, QUOTA, RATE_LIMITED
from router_core.execution.recovery import FALL_BACK, RETRY, Step, answered, next_step

if TYPE_CHECKING:
    from router_core.execution.executor import Executor

logger = logging.getLogger(__name__)


def after_failure(ex: Executor, provider: str, error: RouterError, retry: int) -> Step:
    """The next step, after recording what the failure says about the provider: a hold for a
    retry-after or a quota, a failure towards the outage circuit.

    A retry-after longer than ``outage_probe_interval_seconds`` is not a short rate limit (the rule the
    Gemini mapping applies above 300 s): the provider is held as for a quota, and no hold (nor the
    parked task's resume time) goes further than ``MAX_HOLD_SECONDS`` from now, whatever the provider
    said (a Retry-After of 1e20 would otherwise hold it past the year 9999). A 429 that names no wait
    holds the provider for this task's jittered backoff, so the other tasks and processes wait it out
    too rather than each collecting a 429 of its own. A 429, a quota refusal, refused credentials or another
    4xx are the provider answering (recovery.answered): the outage circuit's count of consecutive failures
    starts again (an open circuit stays open). A 503 or 529 that says when to come back holds the provider until then, as a 429
    does (capped alike), and the task falls back with that time, so it parks when every provider says
    so; it still counts towards the outage circuit. A CLI run cut at ``cli_timeout_seconds`` (CliTimedOut) neither
    counts towards it nor starts its count again: an agent's turn longer than the timeout is no sign of an outage
    (a CLI reports an outage itself: a 5xx it relays, codex's "waiting for network"), nor an answer. A quota refusal whose
    reset has already passed holds the provider for the longest backoff, so a parked task does not ask again
    at once, over and over."""
    execution = ex.core.settings.execution
    now = ex.core.clock.now()
    longest = now + MAX_HOLD_SECONDS
    step = next_step(error, retry, execution, now, ex.random)
    if isinstance(error, RateLimited) and error.retry_after:
        if error.retry_after > min(execution.outage_probe_interval_seconds, MAX_HOLD_SECONDS):
            until = min(now + error.retry_after, longest)
            ex.state.holds.hold(provider, QUOTA, until,
                                f"rate limited for longer than a rate limit lasts, held as a quota: {error}")
            step = Step(FALL_BACK, lifts_at=until)
        else:
            ex.state.holds.hold(provider, RATE_LIMITED, now + error.retry_after,
                                f"rate limited: retry after {error.retry_after:g}s")
    elif isinstance(error, RateLimited):  # no wait named: every process waits out this task's backoff
        until = now + step.delay if step.action == RETRY else step.lifts_at
        if until is not None:
            ex.state.holds.hold(provider, RATE_LIMITED, until,
                                f"rate limited (no retry time given): backing off {until - now:.3g}s")
    elif isinstance(error, QuotaExhausted):
        until = min(error.resets_at or now + execution.outage_probe_interval_seconds, longest)
        if not until > now:  # its reset has passed (a time read just after it), yet it refused: not at once again
            until = now + execution.backoff_max_seconds
        ex.state.holds.hold(provider, QUOTA, until, f"quota exhausted: {error}")
        step = Step(FALL_BACK, lifts_at=until)
    elif isinstance(error, ProviderUnavailable):
        held = None
        if error.retry_after:  # the provider's own word on when to come back: every process waits for it
            held = ex.state.holds.hold_unavailable(provider, error)
            if step.action != RETRY:
                step = Step(FALL_BACK, lifts_at=held)
        if not isinstance(error, CliTimedOut):  # a long agent turn cut at the timeout: no outage's sign
            opened = ex.state.circuits.record_failure(provider, str(error))
            if opened is not None:  # said once the circuit's opening is committed: a rollback opened nothing
                ex.core.db.after_commit(functools.partial(ex.audit_outage, opened))
        if held is not None:  # no probe before the provider said to come back
            ex.state.circuits.probe_not_before(provider, held)
        circuit = ex.state.circuits.state(provider)
        if circuit.is_open:  # back when the probe is due, and not before the provider said
            lifts = [t for t in (circuit.next_probe_at, step.lifts_at) if t is not None]
            step = Step(FALL_BACK, lifts_at=max(lifts, default=None))
    if answered(error):  # a limit, refused credentials, another 4xx: not one more failure in a row
        ex.state.circuits.record_answer(provider)
    logger.info("%s: %s on try %d -> %s", provider, type(error).__name__, retry + 1, step.action)
    return step
