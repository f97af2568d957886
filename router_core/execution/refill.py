"""What a provider's rate-limit headers say is spent, and how fast it comes back.

OpenAI and Anthropic limit with token buckets that refill continuously, not windows that empty at once:
OpenAI's ``x-ratelimit-reset-*`` is the time until the limit is back to its initial state, Anthropic's
``anthropic-ratelimit-*-reset`` the time it is fully replenished. So a limit reported at 0 remaining of 500
requests a minute has one request again after 60 / 500 s, not at its reset; counting the spent units as
spent until the reset held every request for up to a whole window.

A :class:`Refill` is one dimension's reported deficit (limit - remaining) coming back at an even rate
until it is all back: at the rate its reset implies, never faster than the limit per window (a reset
given to the second, or an absolute time on a clock ahead of ours, would make it look faster), and
over at most one window. It starts when the answer carrying it arrived, after the provider read it, so
the units come back no sooner than it says. Our requests sent up to the one it came with are in the
deficit already; those sent after it may not be, and pacing counts them on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refill:
    deficit: float  # spent as reported (limit - remaining), at ``at``
    at: float
    full: float  # when it is all back (``at``: at once; a row from before refills ends then, as a step)

    def left(self, t: float) -> float:
        """The part of the deficit not yet back at ``t``."""
        if t >= self.full or self.deficit <= 0:
            return 0.0
        if t <= self.at:
            return self.deficit
        return self.deficit * (self.full - t) / (self.full - self.at)

    def when_at_most(self, units: float) -> float | None:
        """The earliest time at which at most ``units`` are still out (-inf: always); None if never (units < 0)."""
        if units < 0:
            return None
        if units >= self.deficit:
            return -math.inf
        if self.full <= self.at:
            return self.full
        return self.full - units * (self.full - self.at) / self.deficit


NONE = Refill(0, 0.0, 0.0)


def refilled_at(deficit: int | None, limit: int | None, reset_at: float | None, now: float, window: float) -> float:
    """When a deficit reported at ``now`` is all back: at its reset (``window`` if none is given), but no sooner
    than the limit per window refills it, and no later than one window."""
    if not deficit:
        return now
    span = reset_at - now if reset_at is not None else window
    if limit:
        span = max(span, deficit * window / limit)
    return now + min(window, span)
