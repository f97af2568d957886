"""Reuse what a read of the shared state found, for as long as a fresh read would find the same.

A read's result depends on three things: the rows (changed only by a commit, in this process or another),
the time (a usage event leaves its window, a hold, reservation or lease expires, the budget day ends), and
whether the processes holding reservations and leases still run. ``Database.version()`` changes with every
commit anyone makes; the readers note in a :class:`Validity` the earliest time a row they read changes
meaning and the other processes they took to be alive. A cached result is returned only when the version
is the same, that time has not come (and the clock has not gone back), and those processes still run, so
it is exactly what the read would return; otherwise the caller reads again.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from router_core.slot_init import slot_init
from router_core.store.holders import holder_alive

T = TypeVar("T")


@dataclass(slots=True)
class Validity:
    """How long a read stays exact with no commit: until ``until``, while every holder in ``holders`` runs."""

    until: float = math.inf
    holders: set[str] = field(default_factory=set)

    def changes_at(self, at: float | None) -> None:
        """A row read changes meaning at ``at`` (None: never by time alone)."""
        if at is not None and at < self.until:
            self.until = at

    def assumes_alive(self, holder: str) -> None:
        """The read counted rows of ``holder`` (another process) as live because it runs."""
        self.holders.add(holder)


@slot_init
@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    version: Hashable
    read_at: float
    value: T
    validity: Validity


class SnapshotCache(Generic[T]):
    """The last value read, with the version and validity it was read under."""

    def __init__(self) -> None:
        self._entry: _Entry[T] | None = None

    def get(self, version: Hashable, now: float) -> T | None:
        entry = self._entry
        if entry is None or entry.version != version or not entry.read_at <= now < entry.validity.until:
            return None
        if not all(map(holder_alive, entry.validity.holders)):
            self._entry = None
            return None
        return entry.value

    def put(self, version: Hashable, now: float, value: T, validity: Validity) -> None:
        self._entry = _Entry(version, now, value, validity)

    def clear(self) -> None:
        self._entry = None
