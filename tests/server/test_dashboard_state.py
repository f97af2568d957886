from __future__ import annotations

import json

from router_core.inputs import MAX_TASK_CHARS
from server.dashboard_state import RECENT, TEXT_CHARS, backend_names, capped, dashboard_state


def test_state_document_has_the_dashboard_shape(keyword_core):
    keyword_core.usage_tracker.record("codex", requests=1, tokens=460_000)
    keyword_core.ledger.record_spend("gemini", 1.25)
    keyword_core.decide("Explain OAuth2 flow", lease_agent=True)
    state = dashboard_state(keyword_core, {"codex": "api", "gemini": "none", "claude": "cli"})
    providers = {p["provider"]: p for p in state["providers"]}
    assert providers["codex"]["available"] is False
    assert providers["codex"]["blocks"][0]["reason"] == "tokens_percent >= 90%"
    assert providers["codex"]["blocks"][0]["lifts_at"].endswith("Z")
    assert providers["claude"]["backend"] == "cli" and providers["codex"]["outage"] is False
    assert state["budget"]["spent"] == 1.25
    assert state["spend_by_day"][state["budget"]["day"]]["gemini"] == 1.25
    assert state["recent"][-1]["task_description"] == "Explain OAuth2 flow"
    assert sum(state["agents_in_use"].values()) == 1


def test_backend_names_follow_keys_and_clis_and_default_to_none(keyword_core):
    def no_cli(_name):
        return None

    assert backend_names(keyword_core, {}, no_cli) == {"codex": "none", "gemini": "none", "claude": "none"}
    assert backend_names(keyword_core, {"ANTHROPIC_API_KEY": "k"}, no_cli)["claude"] == "api"
    assert backend_names(keyword_core, {}, lambda name: f"/usr/bin/{name}")["gemini"] == "cli"


def test_long_task_texts_are_cut_so_the_state_stays_small(keyword_core):
    # Before, the 30 recent audit lines were sent whole: 200,000-character tasks made each state (sent on
    # every change, to every open page) megabytes long, though the page shows 70 characters of a task.
    for _ in range(RECENT):
        keyword_core.decide("x" * MAX_TASK_CHARS)
    state = dashboard_state(keyword_core, {"codex": "api", "gemini": "none", "claude": "cli"})

    task = state["recent"][-1]["task_description"]
    assert len(task) == TEXT_CHARS and task == "x" * (TEXT_CHARS - 1) + "…"
    assert len(json.dumps(state)) < 200_000


def test_capped_keeps_short_values_and_the_shape():
    record = {"a": "short", "b": ["y" * 600, 3], "c": {"d": None}}

    assert capped(record) == {"a": "short", "b": ["y" * (TEXT_CHARS - 1) + "…", 3], "c": {"d": None}}
