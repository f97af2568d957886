"""The design's minimal user display (section 4.2) for people at a terminal."""

from __future__ import annotations

from router_core.budget_text import money, percent_used
from router_core.decision import RoutingDecision
from router_core.providers.timeparse import format_seconds
from router_core.records import iso, pct

RULE = "━" * 52
# The design's glyphs, and what a terminal that is not UTF-8 (Latin-1, ASCII) shows instead.
GLYPHS = {"rule": RULE, "available": "✅", "blocked": "⛔", "alert": "⚠️ "}
ASCII_GLYPHS = {"rule": "=" * 52, "available": "[available]", "blocked": "[blocked]", "alert": "[!]"}


def _name(provider: str) -> str:
    return {"codex": "CodeX", "gemini": "Gemini", "claude": "Claude"}.get(provider, provider)


def render_recommendation(d: RoutingDecision, *, unicode: bool = True) -> str:
    g = GLYPHS if unicode else ASCII_GLYPHS
    c = d.classification
    rec = d.recommendation
    usage = d.usage[rec.provider]
    avail = d.availability[rec.provider]
    b = d.budget
    fallbacks = ", ".join(f"{_name(p)} ({c.all_scores[p]}%)" for p in c.fallback_chain)
    capacity = max(usage.requests_percent, usage.tokens_percent)
    lines = [
        g["rule"],
        "  Multi-Provider Recommendation",
        g["rule"],
        "",
        "Task Classification:",
        f"  Primary: {_name(c.primary_provider)} ({c.primary_score}%)  [{c.task_type}]",
        f"  Fallbacks: {fallbacks}",
        "",
        f"Recommended Provider: {rec.provider.upper()}",
    ]
    if avail.available:
        lines.append(f"{g['available']} Available ({pct(round(capacity, 1))} capacity used)")
    else:
        blocks = "; ".join(bl.reason for bl in avail.blocks)
        lines.append(f"{g['blocked']} Blocked: {blocks}")
    lines.append(f"Reason: {rec.reason}")
    if rec.all_blocked and rec.resets_at is not None and rec.resets_at < d.timestamp:
        lines.append(f"Recommended wait: unknown (capacity was due back at {iso(rec.resets_at)}, not confirmed yet)")
    elif rec.all_blocked and rec.wait_seconds is not None:
        lines.append(f"Recommended wait: {format_seconds(rec.wait_seconds)} (capacity returns at {iso(rec.resets_at)})")
    percent = percent_used(b.spent, b.total)  # as get_budget shows it
    lines += [
        "",
        f"Cost Estimate: {money(rec.cost.usd)} ({rec.cost.model})",
        f"Daily Budget: {money(b.spent)} / {money(b.total)} ({percent:.1f}%)",
    ]
    for alert in d.alerts:  # each once: a threshold claimed now is also among the budget alerts
        lines.append(f"{g['alert']} {alert}")
    lines += ["", "Alternatives:"]
    for alt in rec.alternatives:
        u = d.usage[alt.provider]
        cap = max(u.requests_percent, u.tokens_percent)
        state = "" if alt.available else " - blocked"
        lines.append(f"  {_name(alt.provider)}: {money(alt.cost.usd)} ({pct(round(cap, 1))} capacity{state})")
    if d.agent is not None:
        lines += ["", f"Agent Selected: {d.agent.agent.id} (specialization: {d.agent.agent.specialization})"]
    lines += ["", g["rule"]]
    return "\n".join(lines)


def proceed_prompt(d: RoutingDecision) -> str:
    agent = f" via {d.agent.agent.id} agent" if d.agent else ""
    return f"Proceed with {_name(d.provider)}{agent}? (y/n): "
