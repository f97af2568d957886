"""The execution snapshot routing reads: open circuits, holds in force and reported limits, in one statement."""

from __future__ import annotations

from router_core.execution.holds import QUOTA
from tests.execution.conftest import make_core


def test_the_snapshot_reads_circuits_holds_and_limits_in_one_statement(settings, clock):
    core = make_core(settings, clock)
    state = core.execution_state
    for _ in range(3):
        state.circuits.record_failure("claude", "529 overloaded")  # open
    state.circuits.record_failure("gemini", "503")  # closed: not in the snapshot
    state.holds.hold("codex", QUOTA, clock.now() + 600, "quota exhausted until the reset")
    state.holds.hold("gemini", QUOTA, clock.now() + 5, "quota exhausted briefly")
    with core.db.transaction() as conn:
        conn.execute("INSERT INTO execution_headroom (provider, requests_limit, tokens_limit, external_requests,"
                     " external_tokens, valid_until) VALUES ('codex', 500, NULL, 0, 0, ?)", (clock.now() + 60,))
    clock.advance(10)  # gemini's hold has ended

    seen: list[str] = []
    core.db.connection().set_trace_callback(seen.append)
    try:
        snap = state.snapshot()
    finally:
        core.db.connection().set_trace_callback(None)

    assert len([s for s in seen if s.startswith("SELECT")]) == 1
    assert snap.circuits == {"claude": state.circuits.state("claude")}  # every field as the breaker reads it
    assert snap.circuits["claude"].is_open is True and snap.circuits["claude"].failures == 3
    assert snap.holds == state.holds.active() and set(snap.holds) == {"codex"}
    assert snap.holds["codex"].reason == "quota exhausted until the reset"
    assert snap.reported_limits == {"codex": (500, None)}
