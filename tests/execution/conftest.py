"""Execution fixtures: a core on a FakeClock, the fake provider server on the same clock, an executor."""

from __future__ import annotations

import httpx
import pytest

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.execution.adapters import build_adapters
from router_core.execution.executor import Executor
from tests.execution.fakes import clock_sleep, fake_environ, fake_server, unanswered


@pytest.fixture
def fake(clock):
    with fake_server(clock) as server:
        yield server


def make_core(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers))


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as c:
        yield c


@pytest.fixture
def build_executor(clock, fake, client):
    """build_executor(settings, providers=...) -> (core, executor) on the fake server and the fake clock."""

    def build(settings, providers=("codex", "claude", "gemini"), environ=None):
        core = make_core(settings, clock)
        env = environ if environ is not None else fake_environ(fake, providers)
        adapters = build_adapters(settings, client=client, clock=clock, environ=env, which=lambda _: None)
        sleep = clock_sleep(clock, unanswered(core.db, clock))
        return core, Executor(core, adapters, sleep=sleep, random=lambda: 0.5)

    return build
