"""Shared fixtures: isolated settings and state dirs, a fake clock, and a core built on them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from config import load_settings
from router_core.clock import FakeClock
from router_core.settings import Settings

# 2026-03-02T10:00:00Z: mid-morning UTC, far from the budget's midnight reset.
T0 = 1_772_445_600.0


# What a developer's or a runner's environment may hold that Switchboard reads from os.environ, which the CLI's
# commands, the servers the tests start and the SDK's clients inherit: their own config file (XDG_CONFIG_HOME is an
# absolute path, which the tests' HOME does not cover), state dir, cache, API keys and endpoints (a dispatch would
# reach the real provider), the team server's token, and the marker of a CLI Switchboard started (a suite run by a
# dispatched agent; a server a test starts still finds it in pytest's own /proc/<pid>/environ, which this cannot
# change, and executes nothing). With XDG_CONFIG_HOME naming a config.toml, 181 tests failed; with API keys, 4.
AMBIENT = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CODEX_HOME", "SWITCHBOARD_HOME", "SWITCHBOARD_CONFIG",
           "SWITCHBOARD_HTTP_TOKEN", "SWITCHBOARD_HTTP_TOKEN_FILE", "SWITCHBOARD_STDIO", "SWITCHBOARD_DISPATCHED")


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch):
    for name in list(os.environ):
        if name in AMBIENT or name.endswith(("_API_KEY", "_BASE_URL")):
            monkeypatch.delenv(name)


def isolated_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "SWITCHBOARD_HOME": str(tmp_path / "state")}


@pytest.fixture
def ctrl_c_delivered():
    """SIGINT raises KeyboardInterrupt here, and is left to its default in the commands spawned, as in a shell's
    foreground job. A suite started as a background job of a non-interactive shell (`pytest &` in a script, some
    runners) inherits SIGINT ignored, which Python keeps, and so do the commands it spawns: a test's Ctrl-C was lost
    and the command under test ran on to its end (exit 0 once the fake's 30 s hang ended), a failure that came and
    went with how the suite was started."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


@pytest.fixture
def settings(tmp_path: Path, env: dict[str, str]) -> Settings:
    return load_settings(environ=env, cwd=tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def keyword_core(settings: Settings, clock: FakeClock):
    """A core using the design's keyword classifier, so routing tests are about routing."""
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers))
