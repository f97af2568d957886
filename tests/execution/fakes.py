"""Test doubles for execution: a sleep that moves a FakeClock, a scripted in-memory adapter, the fake server."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace

import anyio

from router_core.clock import FakeClock
from router_core.errors import RouterError
from router_core.providers.base import Completion, CompletionRequest
from router_core.settings import ProviderSettings, Settings
from router_core.store.db import Database
from tests.fakes.fake_limits import Limits
from tests.fakes.fake_provider import FakeProviders

KEYS = {
    "codex": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    "claude": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "gemini": ("GEMINI_API_KEY", "GEMINI_BASE_URL"),
}


def clock_sleep(clock: FakeClock, in_flight: Callable[[], int] | None = None, *, patience: float = 5.0):
    """A sleep that moves the clock to when it would have woken (never backwards) instead of waiting.

    Time only jumps while no request is on the wire (``in_flight`` counts them), as it would pass in
    reality: a request answered in a millisecond of real time must not seem to take minutes.
    """

    async def sleep(seconds: float) -> None:
        target = clock.now() + max(0.0, seconds)
        await anyio.sleep(0)
        if in_flight is not None:
            with anyio.move_on_after(patience):
                while in_flight():
                    await anyio.sleep(0.0005)
        if clock.now() < target:
            clock.set(target)

    return sleep


def ordered_sleep(clock: FakeClock, db: Database, *, patience: float = 5.0):
    """Like :func:`clock_sleep`, but concurrent sleepers wake in the order of their wake times (clock_sleep lets
    the latest sleeper move the clock for all of them): the clock moves only to the earliest wake time pending,
    once no request is on the wire and the task woken last has acted (sent a request or slept again)."""
    pending: list[float] = []
    sleeps = [0]  # sleeps begun
    woken: list[tuple[int, int, float]] = []  # (requests recorded, sleeps begun, real deadline) at the last wake

    def recorded() -> int:
        return db.query("SELECT COUNT(*) FROM usage_events")[0][0]

    def acted() -> bool:
        if not woken:
            return True
        requests, begun, deadline = woken[0]
        if recorded() != requests or sleeps[0] != begun or time.monotonic() > deadline:
            woken.clear()
            return True
        return False

    in_flight = unanswered(db, clock)

    async def sleep(seconds: float) -> None:
        target = clock.now() + max(0.0, seconds)
        pending.append(target)
        sleeps[0] += 1
        try:
            while clock.now() < target:
                await anyio.sleep(0.0005)  # let the others run and register their own wake times
                with anyio.move_on_after(patience):
                    while in_flight():
                        await anyio.sleep(0.0005)
                if acted() and target <= min(pending) and clock.now() < target:
                    clock.set(target)
                    woken[:] = [(recorded(), sleeps[0], time.monotonic() + patience)]
        finally:
            pending.remove(target)

    return sleep


def unanswered(db: Database, clock: FakeClock) -> Callable[[], int]:
    """Requests admitted by pacing and not yet answered (stamped ahead of now), in ``db``."""
    return lambda: db.query("SELECT COUNT(*) FROM usage_events WHERE at > ?", (clock.now(),))[0][0]


def fake_server(clock: FakeClock | None = None, **kwargs) -> FakeProviders:
    """The fake provider server, its rate-limit windows and absolute reset times on ``clock`` if given (not yet
    started)."""
    if clock is not None:
        kwargs["clock"] = clock.monotonic
        kwargs["wall"] = clock.now
    return FakeProviders(**kwargs)


def fake_environ(fake: FakeProviders, providers: Iterable[str] = ("codex", "claude", "gemini")) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in providers:
        key, url = KEYS[name]
        env[key] = f"test-key-{name}"
        env[url] = fake.base_url(name)
    return env


def with_limits(settings: Settings, **limits: tuple[int, int]) -> Settings:
    """Settings with (requests, tokens) per window for the named providers."""
    providers = tuple(
        replace(p, requests_per_minute=limits[p.name][0], tokens_per_minute=limits[p.name][1])
        if p.name in limits else p
        for p in settings.providers
    )
    return replace(settings, providers=providers)


def fake_limits(settings: Settings, window: float) -> dict[str, Limits]:
    return {p.name: Limits(p.requests_per_minute, p.tokens_per_minute, window) for p in settings.providers}


def with_execution(settings: Settings, **changes) -> Settings:
    return replace(settings, execution=replace(settings.execution, **changes))


class ScriptedAdapter:
    """An in-memory adapter: answers or raises from a script, then answers."""

    backend = "api"

    def __init__(self, provider: ProviderSettings, script: Iterable[RouterError | str] = ()) -> None:
        self.name = provider.name
        self.model = provider.default_model
        self.script: deque[RouterError | str] = deque(script)
        self.requests: list[CompletionRequest] = []
        self.probes = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        step = self.script.popleft() if self.script else f"{self.name} answer"
        if isinstance(step, RouterError):
            raise step
        output = min(50, request.max_output_tokens or 50)
        return Completion(step, self.name, request.model or self.model, 100, output, None, None, "api")

    async def probe(self) -> None:
        self.probes += 1
        step = self.script.popleft() if self.script else "ok"
        if isinstance(step, RouterError):
            raise step
