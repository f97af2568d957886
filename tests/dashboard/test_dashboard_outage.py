"""The dashboard's outages come from the circuits themselves, not from the words of a block's reason, and one that
nobody has probed for a whole interval (it no longer blocks routing) is shown with its note."""

from __future__ import annotations

import shutil

import pytest

from server.dashboard_state import dashboard_state

BACKENDS = {"codex": "api", "gemini": "cli", "claude": "api"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _open_codex_circuit(core):
    circuits = core.execution_state.circuits
    for _ in range(circuits.threshold):
        circuits.record_failure("codex", "codex unavailable (503): overloaded")
    return circuits


def _card(state, name):
    return next(p for p in state["providers"] if p["provider"] == name)


def test_an_outage_that_blocks_routing_is_flagged_from_its_circuit(keyword_core):
    _open_codex_circuit(keyword_core)
    codex = _card(dashboard_state(keyword_core, BACKENDS), "codex")
    assert codex["available"] is False and codex["outage"] is True
    assert codex["outage_detail"]["blocks_routing"] is True and "note" not in codex["outage_detail"]
    assert codex["outage_detail"]["consecutive_failures"] == 3
    [block] = codex["blocks"]
    assert block["outage"] is True and block["reason"] == "outage: 3 consecutive failures"
    gemini = _card(dashboard_state(keyword_core, BACKENDS), "gemini")
    assert gemini["outage"] is False and gemini["outage_detail"] is None


def test_a_block_is_not_an_outage_for_its_words(keyword_core):
    # Before, any block whose reason began with "outage" made the provider's card an outage (text matching).
    keyword_core.execution_state.holds.hold("claude", "quota", keyword_core.clock.now() + 60,
                                            "outage-proof quota hold")
    claude = _card(dashboard_state(keyword_core, BACKENDS), "claude")
    assert [b["reason"] for b in claude["blocks"]] == ["outage-proof quota hold"]
    assert claude["outage"] is False and claude["blocks"][0]["outage"] is False and claude["outage_detail"] is None


def test_an_outage_nobody_probes_is_shown_with_its_note_though_it_no_longer_blocks(keyword_core, settings, clock):
    # Before: once unprobed for a whole interval it no longer blocked routing, so the card was a plain "available"
    # provider, with nothing saying its circuit was still open or why routing went back to it.
    circuits = _open_codex_circuit(keyword_core)
    clock.advance(2 * circuits.probe_interval)
    codex = _card(dashboard_state(keyword_core, BACKENDS), "codex")
    assert codex["available"] is True and codex["blocks"] == [] and codex["outage"] is False
    detail = codex["outage_detail"]
    assert detail["blocks_routing"] is False and detail["last_error"] == "codex unavailable (503): overloaded"
    assert detail["note"].startswith("unconfirmed: its probe, due at ") and "no longer avoids codex" in detail["note"]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup-hosts.sh installs it)")
def test_the_page_shows_an_unprobed_outage_with_its_note_beside_one_that_blocks(tmp_path, keyword_core, clock):
    from tests.dashboard.test_dashboard_browser import body_attrs, chromium, page_text, serve

    circuits = _open_codex_circuit(keyword_core)
    clock.advance(2 * circuits.probe_interval)
    for _ in range(circuits.threshold):  # and claude's, opened now: it blocks until its probe
        circuits.record_failure("claude", "claude unavailable (529): overloaded")
    state = dashboard_state(keyword_core, BACKENDS)
    note = _card(state, "codex")["outage_detail"]["note"]

    async def get_state():
        return state

    with serve(get_state, max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert "OpenAI Codex outage unconfirmed" in text
    assert "3 consecutive failures; last error: codex unavailable (503): overloaded" in text
    assert note in text
    assert "Anthropic Claude outage" in text and "outage: 3 consecutive failures: lifts " in text
    assert text.count("outage unconfirmed") == 1  # codex's alone


def test_an_outage_recovery_or_budget_edit_line_says_what_happened(keyword_core, tmp_path, state):
    # Before, such a line's row had an empty task cell and its event's name as the reason ("outage",
    # "budget_changed"): neither what failed nor what the budget became was shown.
    from tests.dashboard.test_dashboard_browser import _const, body_attrs, chromium, page_text, serve

    audit = keyword_core.audit
    audit.append({"event": "outage", "session_id": "session-0123456789ab", "provider": "codex",
                  "reason": "outage: 3 consecutive failures", "consecutive_failures": 3,
                  "last_error": "codex unavailable (503): overloaded", "next_probe_at": "2025-01-11T10:35:00Z"})
    audit.append({"event": "recovered", "session_id": "session-0123456789ab", "provider": "codex",
                  "outage_started": "2025-01-11T10:30:00Z", "outage_seconds": 120.0, "consecutive_failures": 3})
    audit.append({"event": "budget_changed", "session_id": "session-0123456789ab", "daily_total": 50.0,
                  "previous_daily_total": 100.0, "allocations": {"codex": 10.0}, "previous_allocations": {"codex": 30.0},
                  "timezone": "UTC", "alert_thresholds": [50, 75, 90]})
    recent = dashboard_state(keyword_core, BACKENDS)["recent"]
    notes = [line.get("note") for line in recent[-3:]]
    assert notes == ["codex: 3 consecutive failures; last error: codex unavailable (503): overloaded; next probe "
                     "2025-01-11T10:35:00Z", "codex after 120 s down",
                     "daily total $100.00 -> $50.00; codex $30.00 -> $10.00"]

    state["recent"] = recent[-3:]
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")
    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert f"{notes[0][:67]}... codex outage" in text  # the cell's 70 characters; the whole note is its tooltip
    assert f'title="{notes[0]}"' in proc.stdout
    assert "codex after 120 s down codex recovered" in text
    assert "daily total $100.00 -> $50.00; codex $30.00 -> $10.00 – budget_changed" in text
