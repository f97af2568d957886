"""The fake provider's own rate limits: requests and tokens per sliding window, enforced server-side."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    window_seconds: float = 60.0


@dataclass(frozen=True)
class Admission:
    admitted: bool
    dimension: str | None = None  # "requests" | "tokens" when refused
    retry_after: float | None = None  # None when waiting can never help (request larger than the window)


@dataclass(frozen=True)
class WindowState:
    requests_used: int
    tokens_used: int
    requests_reset: float  # seconds until the window is empty again
    tokens_reset: float


class SlidingWindow:
    """Admits a request only if its count and tokens fit in the last ``window_seconds``; not thread-safe."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._events: deque[tuple[float, int]] = deque()
        self._tokens = 0

    def admit(self, now: float, tokens: int) -> Admission:
        self._expire(now)
        rpm, tpm, window = self.limits.requests_per_minute, self.limits.tokens_per_minute, self.limits.window_seconds
        if rpm is not None and len(self._events) + 1 > rpm:
            index = len(self._events) - rpm  # the event whose expiry frees a slot
            return Admission(False, "requests", self._events[index][0] + window - now)
        if tpm is not None and self._tokens + tokens > tpm:
            if tokens > tpm:
                return Admission(False, "tokens", None)
            freed, wait = 0, 0.0
            for at, used in self._events:
                freed += used
                wait = at + window - now
                if self._tokens - freed + tokens <= tpm:
                    break
            return Admission(False, "tokens", wait)
        self._events.append((now, tokens))
        self._tokens += tokens
        return Admission(True)

    def state(self, now: float) -> WindowState:
        self._expire(now)
        reset = self._events[-1][0] + self.limits.window_seconds - now if self._events else 0.0
        return WindowState(len(self._events), self._tokens, reset, reset)

    def _expire(self, now: float) -> None:
        horizon = now - self.limits.window_seconds
        while self._events and self._events[0][0] <= horizon:
            self._tokens -= self._events.popleft()[1]
