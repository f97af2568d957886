"""One dimension of a usage observation as routing counts it at a time (usage.py): a figure entered by hand
(design 7.2) is a floor until it lapses; a provider's rate-limit headers report what is spent at ``observed_at``,
coming back evenly until its ``valid_until`` as its token buckets refill, as pacing counts it (execution/refill.py),
with our own usage stamped after the report on top (it may not count it).

A figure that comes down with time makes a cached read of it stale: :meth:`Observed.next_step` is when it next
comes down by a unit, which bounds how long the read stays exact (store/snapshot_cache.py).
"""

from __future__ import annotations

import math
from sqlite3 import Row

from router_core.execution.refill import Refill

# A unit back but for this much counts as back: the float times a refill is solved at need not land on the unit.
_BACK = 1e-6
# A refilling figure's next step is taken this much early for a cached read's validity (float times, ~1e-7 s apart).
_STEP_MARGIN = 1e-3


class Observed:
    """One dimension of an observation at ``now``: a manual figure, a floor until ``until``; the headers' figure,
    what is not yet back of the deficit they reported (counted whole: a unit partly back is not there to use) plus
    our own usage after them (``after``), until all is back at ``until``; nothing when lapsed."""

    __slots__ = ("after", "refill", "until", "used")

    def __init__(self, used: int, until: float, now: float, refill: Refill | None = None, after: int = 0) -> None:
        self.refill, self.after, self.until = refill, after, until
        if until <= now:
            self.used, self.until = 0, now
        elif refill is None:
            self.used = used
        else:
            out = math.ceil(refill.left(now) - _BACK)
            self.used = out + after if out > 0 else 0

    def next_step(self, now: float) -> float:
        """When the figure next changes by time alone (a little early for a refilling one)."""
        if self.refill is None or self.used <= 0:
            return self.until
        out = self.used - self.after
        when = self.refill.when_at_most(out - 1 + _BACK)
        return self.until if when is None else max(now, min(self.until, when - _STEP_MARGIN))

    def under(self, below: int) -> float:
        """The earliest time the figure is under ``below`` (-inf: it is now); ours after it stay in the window
        until the refill is over (they are younger than it and it lasts at most a window)."""
        if self.used < below:
            return -math.inf
        if self.refill is None:
            return self.until
        when = self.refill.when_at_most(below - 1 - self.after + _BACK) if below - 1 - self.after >= 0 else None
        return self.until if when is None else min(self.until, when)


def dimensions(obs: Row | None, now: float) -> tuple[Observed, Observed]:
    """An observation's dimensions at ``now``, requests then tokens (a row of usage.py's ``_OBSERVATIONS``); a
    lapsed one (or none) is 0."""
    if obs is None:
        return Observed(0, now, now), Observed(0, now, now)
    found = []
    for used, until, after in ((obs["requests_used"], obs["valid_until"], obs["after_requests"]),
                               (obs["tokens_used"], obs["tokens_valid_until"], obs["after_tokens"])):
        if obs["refills"]:
            found.append(Observed(used, until, now, Refill(used, obs["observed_at"], until), max(0, after)))
        else:
            found.append(Observed(used, until, now))
    return found[0], found[1]
