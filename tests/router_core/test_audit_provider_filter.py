"""`switchboard audit --provider P` (JsonlAuditLog.tail's provider): a task is P's when it was routed to P or
something of it was sent to P, not when P was only the last provider its execution skipped."""

from __future__ import annotations

from router_core.audit import JsonlAuditLog


def dispatch(task_id: str, routed: str, metrics: dict) -> dict:
    return {"event": "dispatch", "task_id": task_id, "recommendation": {"provider": routed}, "execution_metrics": metrics}


def test_a_task_that_reached_no_provider_is_not_listed_under_the_last_one_it_skipped(log: JsonlAuditLog) -> None:
    # No backend anywhere: codex, gemini and claude each skipped, and the line's provider is the last of them
    # (claude). `audit --provider claude` listed it, though nothing was sent to claude; `audit` itself printed
    # it as 'codex ... not_configured' (no 'on claude').
    skipped = [{"provider": p, "outcome": "not_configured", "retry": 0} for p in ("codex", "gemini", "claude")]
    log.append(dispatch("nowhere", "codex", {"provider": "claude", "status": "not_configured", "attempts": skipped}))
    # Parked with every provider on hold: it waits for all of them, not on claude.
    held = [{"provider": p, "outcome": "on_hold", "retry": 0} for p in ("codex", "gemini", "claude")]
    log.append(dispatch("parked", "codex", {"provider": "claude", "status": "parked", "attempts": held}))
    # Sent to codex (a 503), then answered by claude: both are its providers.
    sent = [{"provider": "codex", "outcome": "unavailable", "status_code": 503, "retry": 0},
            {"provider": "claude", "outcome": "success", "retry": 0}]
    log.append(dispatch("fell-back", "codex", {"provider": "claude", "status": "success", "attempts": sent}))
    # Sent to codex (a 503), then gemini skipped (no backend), the last tried: it never reached gemini.
    half = [{"provider": "codex", "outcome": "unavailable", "status_code": 503, "retry": 0},
            {"provider": "gemini", "outcome": "not_configured", "retry": 0}]
    log.append(dispatch("half", "codex", {"provider": "gemini", "status": "failed", "attempts": half}))
    assert [r["task_id"] for r in log.tail(provider="claude")] == ["fell-back"]
    assert [r["task_id"] for r in log.tail(provider="codex")] == ["nowhere", "parked", "fell-back", "half"]
    assert [r["task_id"] for r in log.tail(provider="gemini")] == []
