"""Telling the caller that a task waits for room at its provider, not for every provider (that is parking).

A task waits inside its provider's turn when the provider's rate window is full (its requests or tokens per
window), while the provider is held (a 429's retry-after, a 503 that said when to come back), and between a
try and its retry. Such a wait may last a minute, and said nothing: `switchboard batch` looked hung. A wait of
``NOTICE_SECONDS`` or more (waited in one turn, polls included) is now told, with the provider, why and for
how long, once per provider per episode: while the tasks of one call keep waiting on a provider (each wait
beginning within ``QUIET_SECONDS`` of the end of the last one there), a 100-task batch paced on it says so once,
not once a task. Waits on a full window and waits on a hold or retry are told apart: a 429 in the middle of a
paced run is news.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from router_core.clock import Clock
from router_core.execution.holds import QUOTA, RATE_LIMITED, UNAVAILABLE
from router_core.execution.pacing import PaceWait
from router_core.failure_text import unnamed
from router_core.providers.timeparse import window_name

NOTICE_SECONDS = 1.0  # a shorter wait is not noticed (and a paced batch would say one a request)
QUIET_SECONDS = 10.0  # a provider waited on again after this long is a new episode, told again

# Told (task id, provider, seconds or None when the end is not known, why) of a task waiting on its provider;
# awaited if it is async.
PaceNotice = Callable[[str, str, float | None, str], Awaitable[None] | None]

_HELD = {
    RATE_LIMITED: "held after a 429 (rate limited) until its retry-after",
    UNAVAILABLE: "held: it answered it is unavailable and said when to come back",
    QUOTA: "held: its quota is exhausted",
}


class PaceNotes:
    """The waits of one call's tasks (a dispatch, a batch), told to ``notice`` once per provider per episode."""

    def __init__(self, notice: PaceNotice, clock: Clock, window_seconds: float) -> None:
        self._notice, self._clock, self._window = notice, clock, window_seconds
        self._ends: dict[tuple[str, bool], float] = {}  # (provider, on a hold or retry): when its last wait ends

    async def paced(self, task_id: str, provider: str, wait: PaceWait, waited: float) -> None:
        """The task waits ``wait`` for room at ``provider``, having waited ``waited`` seconds already."""
        if wait.hold is not None:
            why = _HELD.get(wait.hold, f"held ({wait.hold})")
        elif wait.slot is not None:
            why = "its hold just ended: the waiting requests go one after another, at its rate"
        else:
            what = wait.full or "requests"
            per = window_name(self._window)  # as `switchboard usage` names it
            why = f"its rate window is full ({wait.limit:,} {what[:-1] if wait.limit == 1 else what}/{per})"
            if wait.unanswered:
                why += ", with requests still being answered: it waits for one to end"
        held = wait.hold is not None or wait.slot is not None
        await self._tell(task_id, provider, None if wait.unanswered else wait.seconds, why, held, waited)

    async def retrying(self, task_id: str, provider: str, seconds: float, error: str) -> None:
        """The task backs off ``seconds`` before trying ``provider`` again, after ``error``: "waiting 2s for claude:
        retrying (rate limited (429): ...)" ("retrying after it answered rate_limited (claude rate limited (429)"
        before)."""
        await self._tell(task_id, provider, seconds, f"retrying ({unnamed(provider, error)})", True, 0.0)

    async def _tell(self, task_id: str, provider: str, seconds: float | None, why: str, held: bool,
                    waited: float) -> None:
        now = self._clock.now()
        key = (provider, held)
        ends = now + (seconds or 0.0)
        end = self._ends.get(key)
        if end is not None and now <= end + QUIET_SECONDS:  # the episode goes on (longer, perhaps): told already
            self._ends[key] = max(end, ends)
            return
        if waited + (seconds or 0.0) < NOTICE_SECONDS:
            return  # not noticed: no episode begins
        self._ends[key] = ends
        if (told := self._notice(task_id, provider, seconds, why)) is not None:
            await told
