"""Fixtures for the provider tests: the fake provider server, an httpx client, a fake clock, the fake CLIs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from router_core.clock import FakeClock
from tests.fakes.fake_provider import FakeProviders

FAKE_BIN = Path(__file__).resolve().parents[1] / "fakes" / "bin"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProviders]:
    with FakeProviders() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeProviders) -> FakeProviders:
    """The shared fake server, with no script, stats, latency or limits left from another test."""
    fake_server.reset(settings=True)
    return fake_server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as c:
        yield c


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def machine_in_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> Iterator[None]:
    """For a fixture: this process's local time zone set to ``zone`` while it lasts (TZ and time.tzset)."""
    if not hasattr(time, "tzset"):
        pytest.skip("no tzset on this platform")
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
