"""Feedback names the provider Switchboard routed a task to: a claim checked before anything is stored or learned.

`record_feedback` (and `switchboard feedback`) takes no task id, so the claim is checked against where Switchboard
routes the text now: its classifier, with the corrections it has learned. A claim of another provider (a host that
mixed up which provider it used) was taken as said: "routed codex, correct codex" about a text routed to gemini was
learned as a confirmation and moved that text and its near paraphrases to codex. It is refused instead, saying
where the text is routed and how to record a correction, and nothing is stored.

A task sent to another provider than the classifier's (a fallback at a limit, a provider chosen by the caller) is
not a routing the classifier made: a correction of it is recorded against the classifier's provider.
"""

from __future__ import annotations

from router_core.errors import InvalidRequest
from router_core.models import Classification


class RoutedElsewhere(InvalidRequest):
    """``routed_provider`` is not where Switchboard routes the task; nothing was stored nor learned."""

    def __init__(self, routed: str, correct: str, routes_to: Classification) -> None:
        self.routed, self.correct, self.routes_to = routed, correct, routes_to
        super().__init__(self.text(flags=False))

    def text(self, *, flags: bool) -> str:
        """The refusal; ``flags``: the way to record a correction said in the CLI's flags, else the tool's fields."""
        to = self.routes_to.primary_provider
        by = _by_correction(self.routes_to)
        said = (f"Switchboard routes this task to {to}/{self.routes_to.task_type}{by}, not to {self.routed}: "
                "feedback names the provider Switchboard routed it to")
        if self.correct == to:
            return f"{said}; it already routes it to {self.correct}, so there is nothing to correct. Nothing was recorded."
        way = (f"--routed {to} --correct {self.correct}" if flags
               else f"routed_provider={to!r}, correct_provider={self.correct!r}")
        return f"{said}. To record that {self.correct} is right, record a correction: {way}. Nothing was recorded."


def check_routed(routes_to: Classification, routed: str, correct: str) -> None:
    """Raise RoutedElsewhere unless ``routed`` is the provider of ``routes_to`` (where the text is routed now)."""
    if routed != routes_to.primary_provider:
        raise RoutedElsewhere(routed, correct, routes_to)


def _by_correction(c: Classification) -> str:
    """" (by correction #3)" when a learned correction routes the text (its reason comes first), else ""."""
    first = c.reasons[0] if c.reasons else ""
    if first.startswith("correction #"):
        return " (by " + first.split(" (", 1)[0] + ")"
    return ""
