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


async def test_open_pages_share_one_state_a_second_not_one_each(keyword_core, monkeypatch):
    from server.dashboard_state import SHARED_SECONDS, dashboard_state_factory

    built = []
    monkeypatch.setattr("server.dashboard_state.dashboard_state",
                        lambda core, backends: built.append(1) or {"n": len(built)})
    ticks = [0.0]
    get_state = dashboard_state_factory(lambda: keyword_core, monotonic=lambda: ticks[0])
    pages = [await get_state() for _ in range(5)]  # five open pages polling in the same instant
    assert built == [1] and all(p == {"n": 1} for p in pages)
    ticks[0] += SHARED_SECONDS / 2
    assert await get_state() == {"n": 1}
    ticks[0] += SHARED_SECONDS  # older than that: built afresh
    assert await get_state() == {"n": 2} and len(built) == 2


def test_a_bad_audit_line_is_logged_once_not_at_every_state(keyword_core, caplog):
    # An open dashboard builds a state a second, each reading the audit log's tail: one unparsable line
    # put the same warning in the server's log every second for as long as the page stayed open.
    keyword_core.decide("Explain OAuth2 flow")
    path = keyword_core.audit.parts(keyword_core.audit.days()[-1])[-1]
    with path.open("a") as f:
        f.write("not json\n")
    backends = {"codex": "api", "gemini": "none", "claude": "cli"}
    with caplog.at_level("DEBUG", logger="router_core.audit"):
        for _ in range(3):
            dashboard_state(keyword_core, backends)
        with path.open("a") as f:
            f.write("{also not json\n")  # a new bad line is news: said again, with the new count
        dashboard_state(keyword_core, backends)
        dashboard_state(keyword_core, backends)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "unparsable" in r.getMessage()]
    assert warned == [f"skipped 1 unparsable line(s) in {path}", f"skipped 2 unparsable line(s) in {path}"]


def test_the_state_says_when_the_audit_log_is_off(settings, clock, keyword_core):
    # With audit.enabled = false the page said "no decisions yet" while tasks were being routed.
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    backends = {"codex": "api", "gemini": "none", "claude": "cli"}
    assert dashboard_state(keyword_core, backends)["audit_off"] is None
    off = replace(settings, audit=replace(settings.audit, enabled=False))
    core = RouterCore.build(off, clock=clock, classifier=KeywordClassifier(off.providers))
    core.decide("Explain OAuth2 flow")
    state = dashboard_state(core, backends)
    assert state["recent"] == [] and "audit.enabled = false" in state["audit_off"]
