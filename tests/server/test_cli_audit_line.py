"""`switchboard audit`'s one line per entry names where a task ran when that is not where it was routed."""

from __future__ import annotations

import json
from pathlib import Path

from server.cli import main


def _write(env, *records: dict) -> None:
    audit_dir = Path(env["SWITCHBOARD_HOME"]) / "audit"
    audit_dir.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(r) + "\n" for r in records)
    (audit_dir / "provider_recommendations-2026-01-02.jsonl").write_text(lines)


def _dispatch(task: str, routed: str, ran: str | None, status: str) -> dict:
    metrics = {"status": status, "provider": ran, "cost_actual": "$0.0001", "fallback_path": [routed, ran]}
    return {"timestamp": "2026-01-02T00:00:00Z", "event": "dispatch", "task_description": task,
            "recommendation": {"provider": routed, "provider_reason": "primary available", "cost_estimate": "$0.0153"},
            "execution_metrics": metrics}


def test_a_task_that_fell_back_says_where_it_ran(cli_env, env, capsys):
    # Routed to codex, which failed three times with 500s; gemini answered. The line read "codex (primary
    # available) est $0.0153  success $0.0001", as if codex had answered.
    _write(env, _dispatch("Implement a retry decorator", "codex", "gemini", "success"),
           _dispatch("Fix the login bug", "codex", "codex", "success"),
           _dispatch("Fix the login bug", "codex", "claude", "parked"))  # waits for all three, not on claude
    assert main(["audit"]) == 0
    fell_back, stayed, parked = capsys.readouterr().out.splitlines()
    assert "codex (primary available) est $0.0153  parked $0.0001" in parked
    assert "codex (primary available) est $0.0153  success on gemini $0.0001" in fell_back
    assert "codex (primary available) est $0.0153  success $0.0001" in stayed


def test_a_task_that_reached_no_provider_names_none_it_skipped(cli_env, env, capsys):
    skipped = _dispatch("Fix the login bug", "codex", "claude", "not_configured")
    skipped["execution_metrics"]["attempts"] = [{"provider": p, "outcome": "not_configured"}
                                                for p in ("codex", "gemini", "claude")]
    _write(env, skipped)
    assert main(["audit"]) == 0
    assert "est $0.0153  not_configured $0.0001" in capsys.readouterr().out


def test_outage_recovery_and_budget_lines_say_what_happened(cli_env, env, capsys):
    # Each printed its time and event alone ("2026-01-02T00:00:00Z  outage"): which provider, why, until when
    # were only in `audit --json`.
    at = {"timestamp": "2026-01-02T00:00:00Z"}
    _write(env,
           {**at, "event": "outage", "provider": "codex", "reason": "outage: 3 consecutive failures",
            "consecutive_failures": 3, "last_error": "codex unavailable (500): boom",
            "next_probe_at": "2026-01-02T00:05:00Z"},
           {**at, "event": "recovered", "provider": "codex", "outage_seconds": 300.2, "consecutive_failures": 3},
           {**at, "event": "budget_changed", "daily_total": 10.0, "previous_daily_total": 100.0,
            "allocations": {"codex": 3.0, "gemini": 4.0}, "previous_allocations": {"codex": 30.0, "gemini": 4.0}})
    assert main(["audit"]) == 0
    outage, recovered, budget = capsys.readouterr().out.splitlines()
    # the event, then its reason without "outage: " again ("outage  codex: outage: 3 consecutive failures" before)
    assert outage.endswith("  outage  codex: 3 consecutive failures; last error: codex unavailable (500): "
                           "boom; next probe 2026-01-02T00:05:00Z")
    assert recovered.endswith("  recovered  codex after 300 s down")
    assert budget.endswith("  budget_changed  daily total $100.00 -> $10.00; codex $30.00 -> $3.00")
