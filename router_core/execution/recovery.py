"""What to do after a failed provider call (design 9): retry here, fall back now, or stop.

    RateLimited          retry after max(retry-after, backoff) up to max_retries, then fall back;
                         a retry-after longer than backoff_max_seconds falls back at once
    ProviderUnavailable  (5xx, 529, timeouts, broken responses) retry after max(retry-after if the
                         response gave one, backoff), then fall back (at once past backoff_max_seconds);
                         also counts towards the provider's outage circuit. A retry-after also holds the
                         provider until then (failures.py), and the fall back carries that time for parking;
                         a CLI run that timed out (CliTimedOut, an agent's whole turn) falls back at once,
                         and does not count towards the circuit (no outage's sign: failures.py)
    QuotaExhausted       fall back at once (the provider is held until the quota resets)
    AuthFailed, NotConfigured   fall back at once
    ProviderRejected     (other 4xx) stop: the request itself is wrong, no retry and no fallback; but its
                         subclasses whose fallback_helps (a refusal, an unknown model or endpoint, a request
                         over the context window, a prompt too long for a CLI) fall back at once

A limit, refused credentials and another 4xx are the provider answering (ANSWERS, ``answered``): they start the
outage circuit's count of consecutive failures again, and end an outage when a probe meets them.

Backoff is exponential with jitter: base * 2**retry, capped at backoff_max_seconds, scaled by a
random factor in [0.5, 1.0) so concurrent tasks do not retry in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeGuard

from router_core.errors import (
    AuthFailed,
    CliTimedOut,
    EndpointNotFound,
    ModelNotFound,
    NotConfigured,
    PromptTooLongForCli,
    ProviderError,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
    RouterError,
)
from router_core.settings import ExecutionSettings

RETRY = "retry"
FALL_BACK = "fall_back"
STOP = "stop"

OUTCOMES: dict[type[RouterError], str] = {
    RateLimited: "rate_limited",
    QuotaExhausted: "quota_exhausted",
    ProviderUnavailable: "unavailable",
    AuthFailed: "auth_failed",
    NotConfigured: "not_configured",
    ProviderRefused: "refused",  # subclasses of ProviderRejected before it: the first match names the attempt
    ModelNotFound: "model_not_found",
    EndpointNotFound: "endpoint_not_found",
    RequestTooLarge: "too_large",
    ProviderRejected: "rejected",
}


# Errors that are the provider answering, which no outage gives: a limit, the credentials refused (a 401 or 403, a
# CLI not signed in), or the request refused by the provider's own API (any other 4xx: an unknown or retired model,
# no such endpoint at the base URL, a 400; a CLI that relayed one, or that exited 0 with text where JSON was asked
# for). They count for no outage: a request's starts the circuit's count of consecutive failures again
# (failures.py), and a probe's ends the outage (outages.py). Not answers: a connection error, a timeout, a 5xx or
# 529, a body that cannot be read (ProviderUnavailable), and what never reached the provider: NOT_SENT, and a
# configuration error of this process (NotConfigured: a redirect, an unusable URL, no CLI), which says nothing of
# the provider either way. Use ``answered``, not ``isinstance(error, ANSWERS)``.
ANSWERS: tuple[type[ProviderError], ...] = (RateLimited, QuotaExhausted, AuthFailed, ProviderRejected)
NOT_SENT: tuple[type[ProviderError], ...] = (PromptTooLongForCli,)  # refused here, before any call


def never_sent(error: BaseException) -> bool:
    """Whether ``error`` was raised before anything reached the provider: NOT_SENT, or a configuration error of
    this process (NotConfigured: no CLI, a command line the CLI's own parser refused, no key), which the provider's
    rate limits never saw."""
    return isinstance(error, (NotConfigured, *NOT_SENT))


def answered(error: BaseException) -> TypeGuard[ProviderError]:
    """Whether ``error`` is the provider answering (see ANSWERS): not an outage, whatever else it is."""
    return isinstance(error, ANSWERS) and not isinstance(error, NOT_SENT)


@dataclass(frozen=True, slots=True)
class Step:
    action: str  # "retry" | "fall_back" | "stop"
    delay: float = 0.0  # seconds before the retry
    lifts_at: float | None = None  # when this provider may work again (for parking), if known


def outcome_name(error: RouterError) -> str:
    for kind, name in OUTCOMES.items():
        if isinstance(error, kind):
            return name
    return "error"


def backoff(retry: int, settings: ExecutionSettings, random: Callable[[], float]) -> float:
    """Delay before retry number ``retry + 1`` (``retry`` counts from 0)."""
    ceiling = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2**retry)
    return ceiling * (0.5 + random() / 2)


def next_step(
    error: RouterError, retry: int, settings: ExecutionSettings, now: float, random: Callable[[], float]
) -> Step:
    """The action after try number ``retry`` (from 0) failed with ``error`` at ``now``."""
    last = retry >= settings.max_retries
    if isinstance(error, RateLimited):
        wait = max(error.retry_after or 0.0, backoff(retry, settings, random))
        if last or (error.retry_after or 0.0) > settings.backoff_max_seconds:
            return Step(FALL_BACK, lifts_at=now + wait)
        return Step(RETRY, delay=wait)
    if isinstance(error, CliTimedOut):  # an agent's whole turn: started again it would take as long
        return Step(FALL_BACK)
    if isinstance(error, ProviderUnavailable):
        asked = error.retry_after or 0.0  # a 503 or 529 may say when to come back, as a 429 does
        if last or asked > settings.backoff_max_seconds:
            return Step(FALL_BACK)
        return Step(RETRY, delay=max(asked, backoff(retry, settings, random)))
    if isinstance(error, QuotaExhausted):
        return Step(FALL_BACK, lifts_at=error.resets_at)
    if error.fallback_helps:  # AuthFailed, NotConfigured
        return Step(FALL_BACK)
    return Step(STOP)
