"""What `switchboard run` and `switchboard batch` say on stderr beside the answer: the batch's progress bar, a
task waiting for a provider, why a task fell back, what a Ctrl-C left."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from typing import Any

from router_core.budget_text import money


def fallback_notices(outcome, settings) -> list[str]:
    """Why each provider before the one that answered was left: its last failed try (an API key refused, an
    outage, a budget block). The path alone said where the task went, not why, so a wrong key went unnoticed."""
    from router_core.errors import NotConfigured
    from router_core.execution.results import SUCCESS
    from router_core.failure_text import provider_said
    from router_core.providers.registry import choose_backend

    last: dict[str, Any] = {}
    for a in outcome.attempts:
        if a.provider != outcome.provider and a.outcome != SUCCESS and a.error:
            last[a.provider] = a
    lines = []
    for provider, a in last.items():
        hint = ""
        if a.outcome == "auth_failed":
            try:
                choice = choose_backend(settings.provider(provider), environ=os.environ)
            except (KeyError, NotConfigured):  # a hint only: the line is said without it
                choice = None
            where = (f"check {choice.key_var}" if choice is not None and choice.backend == "api" and choice.key_var
                     else f"check {provider}'s login or key")
            hint = f" ({where}; `switchboard providers` shows what each provider runs on)"
        lines.append(f"switchboard: fell back from {provider_said(provider, a.error)}{hint}")
    return lines


def charged_notice(outcome) -> str | None:
    """What a task that failed still cost: tries the provider may bill (a timeout after the request was sent, a
    malformed answer) or billed (a refusal with usage), charged to the budget. `run` said only the error, so the
    budget went down by an amount nothing on the screen explained. None when nothing was charged."""
    charged = [a for a in outcome.attempts if a.cost_usd > 0]
    if not charged:
        return None
    tries = "a try" if len(charged) == 1 else f"{len(charged)} tries"
    where = " and ".join(dict.fromkeys(a.provider for a in charged))
    return (f"switchboard: {money(outcome.cost_usd)} charged to the budget for {tries} on {where} that the provider "
            "billed or may bill, with no answer to show (`switchboard budget` shows the day's spend)")


def route_notice(decision, forced: bool) -> str | None:
    """Why a task went to another provider than its primary (a block, the budget, a cheaper one as able), said before
    the answer's summary: "path gemini" alone left a user guessing why codex was passed over. None on its primary, or
    on a provider the user forced."""
    rec = decision.recommendation
    primary = decision.classification.primary_provider
    if forced or rec.provider == primary:
        return None
    return f"switchboard: routed to {rec.provider}, not {primary} (its primary): {rec.reason}"


def cancelled_notice(outcome) -> str:
    """The line `run` prints on Ctrl-C: the task was cancelled, and what a call in flight is charged."""
    from router_core.execution.attempts import CANCELLED_IN_FLIGHT

    if outcome is None:  # stopped while routing: before anything was sent for the task
        return "switchboard: cancelled before the task was sent to a provider"
    in_flight = [a for a in outcome.attempts if a.error == CANCELLED_IN_FLIGHT]
    if in_flight:
        a = in_flight[-1]
        return (f"switchboard: cancelled; the call in flight to {a.provider} is charged at its estimate, "
                f"{money(a.cost_usd)}, since the provider may bill it")
    waiting = " while waiting for capacity" if "waiting for capacity" in (outcome.error or "") else ""
    return f"switchboard: cancelled{waiting}; no call was in flight"


class ProgressBar:
    """A one-line bar redrawn on a terminal; one line per finished task otherwise."""

    width = 30

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    async def update(self, done: int, total: int, message: str) -> None:
        filled = self.width * done // total if total else self.width
        bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {message}"
        if self.tty:
            width = self.columns()
            self.stream.write("\r" + bar[:width].ljust(width))
        else:
            self.stream.write(bar + "\n")
        self.stream.flush()

    def parked(self, task_id: str, seconds: float, why: str) -> None:
        """A task waits for a blocked provider: said on its own line, since no task finishes meanwhile."""
        self._clear()
        parked_notice(self.stream)(task_id, seconds, why)

    def paced(self, task_id: str, provider: str, seconds: float | None, why: str) -> None:
        """Tasks wait for room at ``provider`` (told once while they keep waiting there): said on its own line."""
        self._clear()
        paced_notice(self.stream)(task_id, provider, seconds, why)

    def _clear(self) -> None:
        if self.tty:
            with contextlib.suppress(OSError):  # see parked_notice
                self.stream.write("\r" + " " * self.columns() + "\r")  # drawn again with the next finished task

    def columns(self) -> int:
        """The columns a redraw may fill: one less than the terminal's (its width, as now: it may be resized), so
        that the line never wraps, where "\\r" would return to the wrapped part and leave a line per redraw."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # not a real terminal's file
            columns = 0
        if columns <= 0:  # unknown (a pseudo-terminal may say 0): $COLUMNS, else 80
            columns = shutil.get_terminal_size().columns
        return max(1, columns - 1)

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def parked_notice(stream) -> Callable[[str, float, str], None]:
    """Prints that a task waits because every provider is blocked, and how to stop it. A notice: on a stream that
    cannot be written (a pipe closed, a full disk) it is dropped, and the task waits on."""
    from router_core.providers.timeparse import format_seconds

    def notice(task_id: str, seconds: float, why: str) -> None:
        why = " ".join(why.split())
        with contextlib.suppress(OSError):
            stream.write(f"{task_id}: waiting {format_seconds(seconds)} for a provider "
                         f"({why if len(why) <= 200 else why[:199] + '…'}); Ctrl-C to stop\n")
            stream.flush()

    return notice



def paced_notice(stream) -> Callable[[str, str, float | None, str], None]:
    """Prints that a task waits for room at its provider (a full rate window, a hold, a retry's backoff; said once
    while the tasks keep waiting there), and how to stop it. Dropped on a stream that cannot be written."""
    from router_core.providers.timeparse import format_seconds

    def notice(task_id: str, provider: str, seconds: float | None, why: str) -> None:
        how_long = "" if seconds is None else f" {format_seconds(seconds)}"
        with contextlib.suppress(OSError):
            stream.write(f"{task_id}: waiting{how_long} for {provider}: {' '.join(why.split())[:300]}; "
                         "Ctrl-C to stop\n")
            stream.flush()

    return notice
