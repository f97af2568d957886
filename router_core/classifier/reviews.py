"""What the learning classifier says of a correction: learned or not and why (LearnResult), a stored correction with
that decision (Reviewed), and what forgetting some changed (Forgotten)."""

from __future__ import annotations

from dataclasses import dataclass

from router_core.classifier.corrections import Correction


@dataclass(frozen=True, slots=True)
class LearnResult:
    accepted: bool
    reason: str
    correction_id: int | None = None
    task_type: str | None = None


@dataclass(frozen=True, slots=True)
class Reviewed:
    """A stored correction with the guard's decision on it (None: the classifier does not learn)."""

    correction: Correction
    result: LearnResult | None


@dataclass(frozen=True, slots=True)
class Forgotten:
    """Corrections removed, and those of the rest the replay without them decided otherwise or now learns (a repeat)."""

    removed: tuple[Correction, ...]
    changed: tuple[LearnResult, ...] = ()
