"""The kind of a decision's fallback, for the audit report: what kept the task off its primary provider.

A recommendation's ``provider_reason`` quotes amounts and times ("capacity returns in 36m05s", "$4.99 of $5.00
used", "retry after 12s"), so no two lines of a busy day say the same, and a report grouped by it listed every
decision once. ``fallback_kind`` names the kind instead: the route taken (a fallback, every provider blocked, a
cheaper provider, the caller's request), and, where the primary was blocked, the kinds of its blocks, read from
the line's state of that provider (``provider_state_at_recommendation``, its ``block_reason``), else from the
reason's own words. A line that says neither (another tool's, an older wording) is grouped by its reason with
the numbers in it replaced by "N", so "waited 12s" and "waited 13s" still count as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Each block reason's opening words (router_core/capacity.py, execution/circuit.py and execution/holds.py, with the
# holds written by execution/failures.py and execution/outages.py), first match wins: "rate limited for longer than
# a rate limit lasts" is held as a quota.
_BLOCK_KINDS: tuple[tuple[str, str], ...] = (
    ("requests_percent", "window full"),
    ("tokens_percent", "window full"),
    ("budget:", "budget"),
    ("outage", "outage"),
    ("rate limited for longer than a rate limit lasts", "quota"),
    ("quota", "quota"),
    ("rate limited", "rate limited"),
    ("unavailable", "unavailable"),
    ("not configured", "not configured"),
)
_PRIMARY_BLOCKED = re.compile(r"primary blocked \((?P<why>.*)\), using fallback 1$")
_MONEY = re.compile(r"\$\s?[0-9][0-9,]*(?:\.[0-9]+)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DURATION = re.compile(r"\bN(?:[hms]N)*[hms]?\b")  # 1h02m, 36m05s, 12s, once their digits are N


def block_kind(reason: str) -> str:
    """The kind of one block's reason: "window full", "budget", "outage", "quota", "rate limited", "unavailable",
    "not configured", or "other"."""
    text = reason.strip().lower()
    return next((kind for opening, kind in _BLOCK_KINDS if text.startswith(opening)), "other")


def block_kinds(reasons: str) -> str:
    """The kinds of a provider's blocks as a line joins them ("; "), each once, sorted: "budget + window full".
    A piece that is no block's opening (a quoted error with a "; " in it) is left out when another is known."""
    kinds = {block_kind(piece) for piece in reasons.split("; ") if piece.strip()}
    if len(kinds) > 1:
        kinds.discard("other")
    return " + ".join(sorted(kinds)) or "other"


def normalised(reason: str) -> str:
    """``reason`` with its amounts and times made alike: money "$N", numbers and durations "N"."""
    text = _NUMBER.sub("N", _MONEY.sub("$N", reason.strip()))
    return _DURATION.sub("N", text)


def fallback_kind(record: Mapping[str, Any], rec: Mapping[str, Any]) -> str:
    """The kind of the fallback of ``record`` (an audit line), ``rec`` its ``recommendation``, whose reason is not
    "primary available"."""
    reason = rec.get("provider_reason")
    text = reason if isinstance(reason, str) else ""
    route = rec.get("route") if isinstance(rec.get("route"), str) else ""
    if route == "requested" or " requested by the caller" in text:
        return "requested by the caller"
    primary = _primary_blocks(record, text)
    if route == "emergency" or text.startswith("emergency:"):
        return f"all providers blocked (primary: {primary or 'unknown'})"
    if route == "cost_aware" or text.startswith("cost-aware:"):
        return f"cost-aware, primary blocked: {primary}" if primary else "cost-aware: a cheaper provider scored close"
    if route.startswith("fallback_") or _PRIMARY_BLOCKED.match(text) or " blocked, using fallback " in text:
        if primary == "not configured":
            return "primary not configured"
        return f"primary blocked: {primary}" if primary else "primary blocked"  # (a line that does not say why)
    return normalised(text)


def _primary_blocks(record: Mapping[str, Any], reason: str) -> str | None:
    """The kinds of the primary's blocks: from the line's state of the primary, else from "primary blocked (...)"
    in the reason (a first fallback's, or a cost-aware choice's after one); None when neither says."""
    classification = record.get("task_classification")
    states = record.get("provider_state_at_recommendation")
    primary = classification.get("primary_provider") if isinstance(classification, Mapping) else None
    if isinstance(primary, str) and isinstance(states, Mapping):
        state = states.get(primary)
        if isinstance(state, Mapping) and state.get("available") is False:
            why = state.get("block_reason")
            return block_kinds(why) if isinstance(why, str) and why else "unavailable"
        if state is None and states:  # the primary is none of the configured providers
            return "not configured"
    match = _PRIMARY_BLOCKED.search(reason)
    if match:
        return block_kinds(match["why"])
    return None
