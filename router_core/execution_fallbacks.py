"""Fallbacks while running, for the audit report: the providers a run left for another after its calls failed.

A decision's fallback (its ``provider_reason``: the primary blocked, a cheaper provider) is counted by
fallback_kinds.py. A run that was sent to codex, met 429s past its retries and went on to gemini is another kind
of fallback, the one users meet as "routing that is silent": its line's ``execution_metrics`` says it in
``fallback_path`` (the providers tried, in order) and ``attempts`` (each try's provider and outcome). This names,
for each provider the run left, how its last try there ended (``rate_limited``, ``unavailable``, ``outage``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def providers_left(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(provider, how its last try ended) for each provider a run moved on from, in order; [] for a run that
    stayed on one provider, or a line that does not say (an older or a foreign line: "unknown" for a provider its
    attempts do not name)."""
    path = metrics.get("fallback_path")
    if not isinstance(path, list) or len(path) < 2 or not all(isinstance(p, str) and p for p in path):
        return []
    last: dict[str, str] = {}
    attempts = metrics.get("attempts")
    for attempt in attempts if isinstance(attempts, list) else ():
        if isinstance(attempt, Mapping) and isinstance(attempt.get("provider"), str):
            outcome = attempt.get("outcome")
            last[attempt["provider"]] = outcome if isinstance(outcome, str) and outcome else "unknown"
    return [(p, last.get(p, "unknown")) for p in dict.fromkeys(path[:-1])]
