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
