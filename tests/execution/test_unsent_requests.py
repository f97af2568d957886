"""A request that never reached its provider (its CLI not found) leaves no mark in the provider's rate window."""

from __future__ import annotations

import os
from pathlib import Path

from router_core.execution.adapters import build_adapters
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from tests.execution.conftest import make_core
from tests.execution.fakes import clock_sleep

FAKE_BIN = Path(__file__).resolve().parents[1] / "fakes" / "bin"
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude, then codex


async def test_a_cli_not_found_does_not_count_a_request_in_the_providers_window(settings, clock, client, tmp_path):
    # The claude CLI was removed after startup (found then, gone at the call): every task routed to it took a request
    # out of its rate window, so a few of them paced claude's next real requests for nothing.
    core = make_core(settings, clock)
    found = {"claude": str(tmp_path / "claude"), "codex": str(FAKE_BIN / "codex")}
    adapters = build_adapters(settings, client=client, clock=clock, which=found.get,
                              environ={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TZ": "UTC"})
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "not_configured"), ("codex", "success")]
    assert core.usage_tracker.window("claude").requests == 0
    assert core.usage_tracker.window("codex").requests == 1
