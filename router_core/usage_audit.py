"""The audit line of usage entered from outside (the record_usage tool, `switchboard usage set`).

Such a record spends the shared budget (its cost) or blocks a provider for one rate window (its counts), for every
session of the state dir; before this line the log held no trace of it, so on a team's server `switchboard budget`
showed spend that no session in the audit log accounted for. The line names the session that entered it and
the figures entered (None: not entered)."""

from __future__ import annotations

from typing import Any

EVENT = "usage_recorded"


def usage_recorded_record(provider: str, requests: int | None, tokens: int | None, cost_usd: float,
                          session_id: str) -> dict[str, Any]:
    return {"event": EVENT, "session_id": session_id, "provider": provider, "requests": requests, "tokens": tokens,
            "cost_usd": cost_usd}
