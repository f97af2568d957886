"""Rate-limit response headers -> RateLimitObservation (absolute reset times).

OpenAI (provider-apis.md 1.7): ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``, resets as durations.
Anthropic (2.6): ``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}``,
resets as RFC 3339 times. The combined ``tokens-*`` family is input and output together (the real 200 of 2.6: limit
96000 = 80000 input + 16000 output, remaining likewise), so it still shows room when one of the two is spent, and
Anthropic refuses every request until that one resets. The tighter of the input and output families therefore
stands in it at its fraction: the combined remaining is at most the combined limit times that family's remaining
fraction, until that family's reset (0 left of the output family: the combined dimension is full until then).
When the combined family is absent, the most restrictive of the input and output families (lowest remaining
fraction) stands for it. Gemini sends none (3.7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from router_core.providers.base import RateLimitObservation
from router_core.providers.timeparse import parse_duration, parse_int, parse_rfc3339


def openai_rate_limits(headers: Mapping[str, str], now: float) -> RateLimitObservation | None:
    def reset(name: str) -> float | None:
        seconds = parse_duration(headers.get(f"x-ratelimit-reset-{name}"))
        return None if seconds is None else now + seconds

    observation = RateLimitObservation(
        requests_limit=parse_int(headers.get("x-ratelimit-limit-requests")),
        requests_remaining=parse_int(headers.get("x-ratelimit-remaining-requests")),
        tokens_limit=parse_int(headers.get("x-ratelimit-limit-tokens")),
        tokens_remaining=parse_int(headers.get("x-ratelimit-remaining-tokens")),
        requests_reset_at=reset("requests"),
        tokens_reset_at=reset("tokens"),
    )
    return _or_none(observation)


def anthropic_rate_limits(headers: Mapping[str, str], now: float) -> RateLimitObservation | None:
    def family(name: str) -> tuple[int | None, int | None, float | None]:
        prefix = f"anthropic-ratelimit-{name}-"
        return (
            parse_int(headers.get(prefix + "limit")),
            parse_int(headers.get(prefix + "remaining")),
            parse_rfc3339(headers.get(prefix + "reset")),
        )

    req_limit, req_remaining, req_reset = family("requests")
    tokens = family("tokens")
    parts = _most_restrictive(family("input-tokens"), family("output-tokens"))
    tokens = parts if tokens == (None, None, None) else _bound_by(tokens, parts)
    observation = RateLimitObservation(
        requests_limit=req_limit,
        requests_remaining=req_remaining,
        tokens_limit=tokens[0],
        tokens_remaining=tokens[1],
        requests_reset_at=req_reset,
        tokens_reset_at=tokens[2],
    )
    return _or_none(observation)


def _most_restrictive(*families: tuple[int | None, int | None, float | None]):
    known = [f for f in families if f[0] and f[1] is not None]
    if not known:
        return (None, None, None)
    return min(known, key=lambda f: f[1] / f[0])


def _bound_by(combined: tuple[int | None, int | None, float | None],
              part: tuple[int | None, int | None, float | None]) -> tuple[int | None, int | None, float | None]:
    """The combined tokens family, its remaining cut to ``part``'s remaining fraction (with ``part``'s reset)
    when that fraction is the lower."""
    limit, remaining, reset = combined
    if not limit or remaining is None or part[0] is None or part[1] is None:
        return combined
    bound = max(0, math.floor(limit * part[1] / part[0]))
    if bound >= remaining:
        return combined
    return (limit, bound, part[2] if part[2] is not None else reset)


def _or_none(observation: RateLimitObservation) -> RateLimitObservation | None:
    if all(value is None for value in (observation.requests_limit, observation.requests_remaining,
                                        observation.tokens_limit, observation.tokens_remaining)):
        return None
    return observation
