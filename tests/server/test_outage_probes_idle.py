"""A server that routes but runs no task still probes a provider in outage on its interval (design 9.3)."""

from __future__ import annotations

from router_core.clock import FakeClock
from server.probes import probe_due_outages
from tests.execution.fakes import fake_environ, fake_server
from tools._context import AppState


async def test_an_outage_opened_elsewhere_is_probed_and_lifted_by_a_server_that_only_routes(
        settings, keyword_core, clock: FakeClock, monkeypatch):
    # Probes went out only on the way of a task: in a session that only asks for recommendations, a circuit
    # another session opened stayed open (codex blocked, its lift time in the past) until someone dispatched.
    with fake_server(clock) as fake:
        for var, value in fake_environ(fake).items():
            monkeypatch.setenv(var, value)
        circuits = keyword_core.execution_state.circuits
        for _ in range(settings.execution.outage_failure_threshold):
            circuits.record_failure("codex", "503 from another session's task")
        assert keyword_core.decide("Fix the bug in the parser").recommendation.provider != "codex"
        state = AppState(get_core=lambda: keyword_core, built=lambda: keyword_core)  # as the lifespan makes it
        assert await probe_due_outages(state) == []  # not due yet: nothing sent
        assert fake.stats("codex").requests == 0
        clock.advance(settings.execution.outage_probe_interval_seconds)
        assert await probe_due_outages(state) == ["codex"]
        assert fake.stats("codex").requests == 1 and not circuits.state("codex").is_open
        assert keyword_core.decide("Fix the bug in the parser").recommendation.provider == "codex"
        assert [r["provider"] for r in keyword_core.audit.tail(20) if r.get("event") == "recovered"] == ["codex"]
        client = state.extras.get("http_client")
        if client is not None:
            await client.aclose()
