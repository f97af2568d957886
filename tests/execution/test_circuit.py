"""The outage circuit: opens after N consecutive failures, shows as a block, one process probes, success closes."""

from __future__ import annotations

from router_core.execution.circuit import CircuitBreaker
from tests.execution.conftest import make_core


def test_opens_after_the_threshold_and_blocks_routing(settings, clock):
    core = make_core(settings, clock)
    circuits = core.execution_state.circuits
    assert circuits.record_failure("codex", "503 overloaded") is None
    assert circuits.record_failure("codex", "503 overloaded") is None
    opened = circuits.record_failure("codex", "timed out")
    assert opened is not None and opened.failures == 3 and opened.last_error == "timed out"
    assert circuits.record_failure("codex", "again") is None  # already open: reported once
    codex = core.capacity().availability["codex"]
    assert not codex.available
    assert codex.blocks[-1].reason == "outage: 4 consecutive failures"
    assert codex.blocks[-1].lifts_at == clock.now() + settings.execution.outage_probe_interval_seconds
    assert core.decide("Implement a JWT login endpoint", audit=False).provider != "codex"


def test_a_success_resets_the_count_before_it_opens(settings, clock):
    core = make_core(settings, clock)
    circuits = core.execution_state.circuits
    circuits.record_failure("gemini", "503")
    circuits.record_failure("gemini", "503")
    assert circuits.record_success("gemini") is None  # it was never open: nothing recovered
    assert circuits.record_failure("gemini", "503") is None
    assert circuits.state("gemini").failures == 1


def test_one_claim_per_due_probe_across_processes(settings, clock):
    one, two = make_core(settings, clock), make_core(settings, clock)
    for _ in range(3):
        one.execution_state.circuits.record_failure("claude", "529 overloaded")
    c1, c2 = one.execution_state.circuits, two.execution_state.circuits
    assert not c1.claim_probe("claude")  # not due yet
    clock.advance(settings.execution.outage_probe_interval_seconds)
    assert c2.due_probes() == ["claude"]
    assert [c1.claim_probe("claude"), c2.claim_probe("claude")] == [True, False]
    assert c2.due_probes() == []
    recovered = c2.record_success("claude")
    assert recovered is not None and recovered.opened_at is not None
    assert one.capacity().availability["claude"].available


def test_threshold_and_interval_are_settings(settings, clock):
    core = make_core(settings, clock)
    circuits = CircuitBreaker(core.db, clock, threshold=1, probe_interval=10.0)
    opened = circuits.record_failure("codex", "boom")
    assert opened is not None and opened.next_probe_at == clock.now() + 10.0
