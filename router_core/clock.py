"""Time as an injected dependency: the core never calls time.time() directly."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock seconds since the epoch (shared across processes)."""
        ...

    def monotonic(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to; for tests and benchmarks of decisions."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._mono = 0.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds

    def step(self, seconds: float) -> None:
        """The wall clock set forward or back (an NTP step, a virtual machine resumed): monotonic time does not move."""
        self._now += seconds

    def set(self, epoch: float) -> None:
        self._mono += epoch - self._now
        self._now = epoch
