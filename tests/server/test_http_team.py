"""One HTTP server for a team: what one teammate's session does is told apart from another's (in process)."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from router_core.audit_notes import event_note
from server.app import build_server
from server.http_app import build_http_app

TOKEN = "team-token-0123456789-abcdefXYZ"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
           "Authorization": f"Bearer {TOKEN}"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


@pytest.fixture
def team(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    with TestClient(build_http_app(parts, token=TOKEN), base_url="http://switchboard-host.lan:8765") as c:
        yield c


def open_session(client: TestClient) -> dict[str, str]:
    r = client.post("/mcp", json=INIT, headers=HEADERS)
    assert r.status_code == 200, r.text
    headers = {**HEADERS, "Mcp-Session-Id": r.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
    client.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


def call(client: TestClient, headers: dict[str, str], name: str, arguments: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    r = client.post("/mcp", json=body, headers=headers)
    assert r.status_code == 200, r.text
    result = json.loads(next(x[5:] for x in r.text.splitlines() if x.startswith("data:")))["result"]
    assert not result.get("isError"), result
    return result


def test_each_sessions_audit_lines_name_that_session_not_the_server(team, keyword_core):
    # All of a team's decisions were written with the server process's one session_id, so the audit could
    # not tell which teammate's session asked (design 10.1's session_id).
    alice, bob = open_session(team), open_session(team)
    call(team, alice, "recommend_provider", {"task": "Explain the OAuth2 flow (alice)"})
    call(team, bob, "recommend_provider", {"task": "Explain the OAuth2 flow (bob)"})
    call(team, alice, "run_batch", {"tasks": [{"task": "Fix the loader bug (alice)"}], "dry_run": True})
    lines = [json.loads(x) for f in keyword_core.audit.directory.glob("*.jsonl") for x in f.read_text().splitlines()]
    sessions = {line["task_description"]: line["session_id"] for line in lines}
    assert sessions["Explain the OAuth2 flow (alice)"] != sessions["Explain the OAuth2 flow (bob)"]
    assert sessions["Fix the loader bug (alice)"] == sessions["Explain the OAuth2 flow (alice)"]
    assert keyword_core.process_session_id not in sessions.values()
    # The session's id itself is not written: audit://recent shows every teammate the log, and the id lets
    # whoever holds it act in that session.
    for headers in (alice, bob):
        assert headers["Mcp-Session-Id"] not in json.dumps(lines)
    # Outside a request (the CLI, stdio's one session) it is the process's, as before.
    assert keyword_core.session_id == keyword_core.process_session_id


def test_usage_a_teammate_records_is_audited_under_their_session(team, keyword_core):
    # record_usage spends the shared budget (cost_usd) and blocks a provider for everyone (requests, tokens), but
    # wrote no audit line: `switchboard budget` showed spend that no teammate's session in the log accounted for.
    alice, bob = open_session(team), open_session(team)
    call(team, alice, "record_usage", {"provider": "claude", "cost_usd": 0.25})
    call(team, bob, "record_usage", {"provider": "codex", "requests": 40})
    lines = [json.loads(x) for f in keyword_core.audit.directory.glob("*.jsonl") for x in f.read_text().splitlines()]
    recorded = [line for line in lines if line["event"] == "usage_recorded"]
    assert [(r["provider"], r["cost_usd"], r["requests"], r["tokens"]) for r in recorded] == [
        ("claude", 0.25, None, None), ("codex", 0.0, 40, None)]
    assert recorded[0]["session_id"] != recorded[1]["session_id"]
    assert keyword_core.process_session_id not in {r["session_id"] for r in recorded}
    # `switchboard audit` and the dashboard's recent decisions say what was entered (router_core/audit_notes.py).
    assert event_note(recorded[0]) == "claude: $0.25 spent entered by hand (record_usage or usage set)"
    assert event_note(recorded[1]) == "codex: 40 requests entered by hand (record_usage or usage set)"
