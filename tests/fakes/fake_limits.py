"""The fake provider's own rate limits, enforced server-side: requests and tokens per sliding window, or
(``bucket=True``) token buckets that refill continuously, as OpenAI's and Anthropic's do."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    window_seconds: float = 60.0
    bucket: bool = False  # refill continuously (TokenBucket) instead of a sliding window


@dataclass(frozen=True)
class Admission:
    admitted: bool
    dimension: str | None = None  # "requests" | "tokens" when refused
    retry_after: float | None = None  # None when waiting can never help (request larger than the window)


@dataclass(frozen=True)
class WindowState:
    requests_used: int
    tokens_used: int
    requests_reset: float  # seconds until the window is empty again (a bucket: full again)
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
        self.take(now, 1, tokens)
        return Admission(True)

    def take(self, now: float, requests: int, tokens: int) -> None:
        """Use ``requests`` and ``tokens`` unconditionally (another tool on the same key)."""
        self._expire(now)
        for _ in range(requests):
            self._events.append((now, tokens))
            self._tokens += tokens
            tokens = 0

    def state(self, now: float) -> WindowState:
        self._expire(now)
        reset = self._events[-1][0] + self.limits.window_seconds - now if self._events else 0.0
        return WindowState(len(self._events), self._tokens, reset, reset)

    def _expire(self, now: float) -> None:
        horizon = now - self.limits.window_seconds
        while self._events and self._events[0][0] <= horizon:
            self._tokens -= self._events.popleft()[1]


class TokenBucket:
    """Each limit a bucket of its size, refilled continuously at size / ``window_seconds`` (OpenAI: the reset is
    "the time until the rate limit resets to its initial state"; Anthropic: "continuously replenished", its reset
    the time of full replenishment). A request takes one request and its tokens when both are there; not
    thread-safe."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._requests = float(limits.requests_per_minute or 0)
        self._tokens = float(limits.tokens_per_minute or 0)
        self._at: float | None = None

    def admit(self, now: float, tokens: int) -> Admission:
        self._refill(now)
        rpm, tpm = self.limits.requests_per_minute, self.limits.tokens_per_minute
        if rpm is not None and self._requests < 1:
            return Admission(False, "requests", (1 - self._requests) / self._rate(rpm))
        if tpm is not None and self._tokens < tokens:
            if tokens > tpm:
                return Admission(False, "tokens", None)
            return Admission(False, "tokens", (tokens - self._tokens) / self._rate(tpm))
        self.take(now, 1, tokens)
        return Admission(True)

    def take(self, now: float, requests: int, tokens: int) -> None:
        """Use ``requests`` and ``tokens`` unconditionally, down to empty (another tool on the same key)."""
        self._refill(now)
        self._requests = max(0.0, self._requests - requests)
        self._tokens = max(0.0, self._tokens - tokens)

    def state(self, now: float) -> WindowState:
        """Used as the headers report it: the limit less the whole units left; reset: until the bucket is full."""
        self._refill(now)
        rpm, tpm = self.limits.requests_per_minute, self.limits.tokens_per_minute
        used_r = rpm - math.floor(self._requests) if rpm is not None else 0
        used_t = tpm - math.floor(self._tokens) if tpm is not None else 0
        reset_r = (rpm - self._requests) / self._rate(rpm) if rpm else 0.0
        reset_t = (tpm - self._tokens) / self._rate(tpm) if tpm else 0.0
        return WindowState(used_r, used_t, reset_r, reset_t)

    def _rate(self, limit: int) -> float:
        return limit / self.limits.window_seconds

    def _refill(self, now: float) -> None:
        if self._at is not None and now > self._at:
            rpm, tpm = self.limits.requests_per_minute, self.limits.tokens_per_minute
            if rpm:
                self._requests = min(float(rpm), self._requests + (now - self._at) * self._rate(rpm))
            if tpm:
                self._tokens = min(float(tpm), self._tokens + (now - self._at) * self._rate(tpm))
        self._at = now if self._at is None else max(self._at, now)
