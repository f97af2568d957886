"""Today's budget as JSON-ready data (design 8.1): the one shape of get_budget, budget://today, the dashboard's
budget and `switchboard budget --json`, so that a host, a user and a script read the same fields for the same thing.

``providers`` is keyed by provider, as the design's ``"allocation": {"codex": ...}`` and usage://summary are;
``alerts`` says each message once, with the thresholds it stands for (thresholds passed together share one message,
budget_text.alert_message) and its level, the highest of them.
"""

from __future__ import annotations

from typing import Any

from router_core.budget_text import percent_used
from router_core.models import BudgetSnapshot
from router_core.records import iso


def budget_view(b: BudgetSnapshot) -> dict[str, Any]:
    return {
        "day": b.day,
        "timezone": b.timezone,
        "total": round(b.total, 6),
        "spent": round(b.spent, 6),
        "reserved": round(b.reserved, 6),
        "remaining": round(b.remaining, 6),
        "percent_used": percent_used(b.spent, b.total),
        "next_reset_at": iso(b.next_reset_at),
        "providers": {
            p.provider: {
                "allocation": p.allocation,
                "spent": round(p.spent, 6),
                "reserved": round(p.reserved, 6),
                "remaining": round(p.remaining, 6),
                "percent_used": percent_used(p.spent, p.allocation),  # of the allocation (design 8.1; 0 with none)
            }
            for p in b.providers
        },
        "alerts": alerts_said(b),
        "thresholds": [{"percent": t, "amount": amount, "passed": passed} for t, amount, passed in b.threshold_states()],
    }


def alerts_said(b: BudgetSnapshot) -> list[dict[str, Any]]:
    """The passed thresholds' alerts, lowest first, each message once: ``{"level", "thresholds", "message"}``."""
    said: list[dict[str, Any]] = []
    for a in b.alerts:
        if said and said[-1]["message"] == a.message:
            said[-1]["thresholds"].append(a.threshold)
            said[-1]["level"] = a.level  # thresholds rise, and levels with them: the last one's is the highest
        else:
            said.append({"level": a.level, "thresholds": [a.threshold], "message": a.message})
    return said
