"""The wait a rate-limit error response asks for, from its message and headers (OpenAI, Anthropic)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from router_core.providers.timeparse import (
    age_seconds,
    header_retry_after,
    parse_duration,
    parse_int,
    parse_rfc3339,
    retry_in,
    senders_now,
)


def retry_hint(headers: httpx.Headers | Mapping[str, str], message: str, now: float) -> float | None:
    """The wait a rate-limit error asks for. OpenAI's message names it for the limit that was hit ("… on
    requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms."), while its
    x-ratelimit-reset-* headers say when that whole window is full again ("1m0s"; "6m0s" for the tokens): the
    message decides, never below a Retry-After (the least wait, by its definition); else the Retry-After; else
    the reset of the limits with none left (the latest, as each of them refuses until its own). Each counts from
    when the response was made: a cached or proxied one's ``Age`` is taken off (RFC 9111 5.1), never below 0."""
    elapsed = age_seconds(headers.get("age"))  # a cached answer's waits count from when it was made
    said = retry_in(message)
    said = None if said is None else max(0.0, said - elapsed)
    explicit = header_retry_after(headers, now)
    if said is not None:
        return said if explicit is None else max(said, explicit)
    if explicit is not None:
        return explicit
    waits = []
    for dim in ("requests", "tokens"):  # OpenAI: the exhausted dimension's reset duration
        if parse_int(headers.get(f"x-ratelimit-remaining-{dim}")) == 0:
            reset_in = parse_duration(headers.get(f"x-ratelimit-reset-{dim}"))
            waits.append(None if reset_in is None else max(0.0, reset_in - elapsed))
    for fam in ("requests", "tokens", "input-tokens", "output-tokens"):  # Anthropic: RFC 3339 reset times
        if parse_int(headers.get(f"anthropic-ratelimit-{fam}-remaining")) == 0:
            reset = parse_rfc3339(headers.get(f"anthropic-ratelimit-{fam}-reset"))  # from Date, as a Retry-After's
            waits.append(None if reset is None else max(0.0, reset - senders_now(headers.get("date"), now, elapsed)))
    known = [w for w in waits if w is not None]
    return max(known) if known else None
