"""Render a RoutingDecision in the design's record shapes.

``recommendation_record`` is section 4.2's detailed record; ``audit_record`` is the JSONL
line of section 10.1. Money appears as the design's "$0.45" strings with a numeric
``*_usd`` twin so that jq and scripts can sum it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from router_core.budget_text import money
from router_core.decision import RoutingDecision
from router_core.models import Availability, Classification, ProviderUsage

if TYPE_CHECKING:
    from router_core.batch_decision import BatchItemPlan
    from router_core.execution.results import Attempt, TaskOutcome
    from router_core.settings import BudgetSettings


# An attempt with one of these outcomes sent nothing: the provider was skipped (execution/attempts.py's skip).
SKIPPED = frozenset({"not_configured", "budget_exceeded", "on_hold", "outage", "config_mismatch"})


def any_sent(outcomes: Iterable[object]) -> bool:
    """Whether attempts with these outcomes sent a provider anything: one of them was not a skip. The one rule for
    an outcome's attempts (execution_metrics) and a record's (audit_report.sent_anything)."""
    return any(outcome not in SKIPPED for outcome in outcomes)
_FIRST, _LAST = -62_135_596_800.0, 253_402_300_799.0  # 0001-01-01T00:00:00Z, 9999-12-31T23:59:59Z


def iso(epoch: float | None) -> str | None:
    """UTC to the second, e.g. 2025-01-11T10:30:00Z (gmtime floors the fraction, as isoformat(timespec=
    "seconds") of a datetime does; half the time of building one, and a dispatch's line needs three).
    Never raises: a time beyond the years 1-9999 (a stored hold from an absurd provider header) shows
    as the nearest end of that range, and NaN as None."""
    if epoch is None:
        return None
    if not _FIRST <= epoch <= _LAST:
        if epoch != epoch:  # NaN
            return None
        return "0001-01-01T00:00:00Z" if epoch < _FIRST else "9999-12-31T23:59:59Z"
    global _last_iso
    second, last = epoch // 1, _last_iso  # the second gmtime floors to; the latest (one read: threads swap it)
    if last[0] == second:  # a line's times are mostly one second (its decision, start and end)
        return last[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    _last_iso = (second, text)
    return text


_last_iso: tuple[float, str] = (math.nan, "")  # the latest second iso() wrote, and its text


def iso_ms(epoch: float | None) -> str | None:
    """UTC to the millisecond, e.g. 2025-01-11T10:30:00.250Z: an audit line's timestamp (audit.append), and a
    task's start and end, which compare with it. Rounded to the microsecond, then cut to the millisecond, as
    datetime.fromtimestamp(epoch, UTC) with strftime's %f would. Never raises, as ``iso``."""
    if epoch is None or not _FIRST <= epoch <= _LAST:
        text = iso(epoch)  # None for None and NaN, else the nearest end of the years 1-9999
        return None if text is None else text[:-1] + ".000Z"
    # The fraction rounded alone, half to even, as datetime.fromtimestamp does: round(epoch * 1e6) rounds the
    # product's float error too, and wrote .211 where the line's stamp said .210 (about 1 time in 10,000).
    frac, whole = math.modf(epoch)
    second, micro = divmod(int(whole) * 1_000_000 + round(frac * 1e6), 1_000_000)
    return f"{iso(second)[:-1]}.{micro // 1000:03d}Z"  # type: ignore[index]


def pct(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def classification_dict(c: Classification) -> dict[str, Any]:
    """A task's classification as every record says it (its ``task_classification``)."""
    return {
        "primary_provider": c.primary_provider,
        "primary_score": c.primary_score,
        "fallback_chain": list(c.fallback_chain),
        "all_scores": dict(c.all_scores),
        "task_type": c.task_type,
        "reasons": list(c.reasons),
        "classifier": c.classifier,
    }


def provider_state(usage: ProviderUsage, avail: Availability) -> dict[str, Any]:
    state: dict[str, Any] = {
        "requests": f"{usage.requests_used}/{usage.requests_limit} ({pct(usage.requests_percent)})",
        "tokens": f"{usage.tokens_used}/{usage.tokens_limit} ({pct(usage.tokens_percent)})",
        "requests_percent": usage.requests_percent,
        "tokens_percent": usage.tokens_percent,
        "cost_today": money(usage.cost_today),
        "cost_today_usd": round(usage.cost_today, 6),
        "daily_budget": money(usage.daily_budget),
        "available": avail.available,
    }
    if avail.blocks:
        state["block_reason"] = "; ".join(b.reason for b in avail.blocks)
        state["blocked_until"] = iso(avail.lifts_at)
    return state


def provider_states(d: RoutingDecision) -> dict[str, dict[str, Any]]:
    """``provider_state`` of each provider of ``d``, made once per decision: the audit line and the
    tool's record both show them. Read them; copy before changing one."""
    states = d.rendered.get("provider_states")
    if states is None:
        states = d.rendered["provider_states"] = {
            name: provider_state(usage, d.availability[name]) for name, usage in d.usage.items()
        }
    return states


def external_strings(d: RoutingDecision) -> tuple[str, ...]:
    """The strings of ``audit_record(d)`` that came from outside Switchboard: the host's task text, ids and
    repo, and the agent's id and reason (a host agent's come from the user's files). The rest are its own
    words, config names and numbers; the classifier's reasons quote the task text after core.py scrubbed it.
    Keep this in step with audit_record: the audit log tests only these for secrets."""
    agent = (d.agent.agent.id, d.agent.reason) if d.agent is not None else ()
    return (d.task, d.task_id, d.repo or "", *agent)


def audit_record(d: RoutingDecision, *, session_id: str, event: str = "recommendation") -> dict[str, Any]:
    rec = d.recommendation
    record: dict[str, Any] = {
        "timestamp": iso_ms(d.timestamp),  # to the millisecond, as every audit line (audit.append)
        "event": event,
        "session_id": session_id,
        "task_id": d.task_id,
        "task_description": d.task,
        "task_classification": classification_dict(d.classification),
        "provider_state_at_recommendation": provider_states(d),
        "recommendation": {
            "provider": rec.provider,
            "provider_reason": rec.reason,
            "route": rec.route,
            "model": rec.cost.model,
            "cost_estimate": money(rec.cost.usd),
            "cost_estimate_usd": rec.cost.usd,
            "agent_assigned": d.agent.agent.id if d.agent else None,
            "agent_reason": d.agent.reason if d.agent else None,
        },
    }
    if d.repo:
        record["repo"] = d.repo
    if rec.all_blocked:
        record["recommendation"]["wait_seconds"] = rec.wait_seconds
        record["recommendation"]["resets_at"] = iso(rec.resets_at)
    if d.new_alerts or rec.exceeds_budget:
        record["budget_alerts"] = d.alerts
    return record


def batch_item_record(
    item: BatchItemPlan,
    usage: dict[str, ProviderUsage],
    availability: dict[str, Availability],
    session_id: str,
    batch_id: str,
) -> dict[str, Any]:
    """One audit line per planned batch task, in the same schema as a single recommendation."""
    return {
        "event": "batch_plan",
        "session_id": session_id,
        "task_id": item.task_id,
        "task_description": item.task,
        "batch": {"batch_id": batch_id, "index": item.index, "sub_batch": item.sub_batch,
                  "starts_after_seconds": item.starts_after_seconds},
        "task_classification": classification_dict(item.classification),
        "provider_state_at_recommendation": {
            name: provider_state(usage[name], availability[name]) for name in usage
        },
        "recommendation": {
            "provider": item.provider,
            "provider_reason": item.reason,
            "route": item.route,
            "model": item.cost.model,
            "cost_estimate": money(item.cost.usd),
            "cost_estimate_usd": item.cost.usd,
            "exceeds_budget": item.exceeds_budget,
            "agent_assigned": item.agent,  # advised, not leased; a run's line names the agent it ran as
        },
    }


def estimate_vs_actual(estimate_usd: float, actual_usd: float) -> str:
    """Design 10.1's "$0.06 over estimate" (or "under", or "on estimate")."""
    diff = round(actual_usd - estimate_usd, 6)
    if diff == 0:
        return "on estimate"
    return f"{money(abs(diff))} {'over' if diff > 0 else 'under'} estimate"


def estimate_compared(o: TaskOutcome) -> str | None:
    """``estimate_vs_actual`` of a task that was answered or charged; None for one that was neither (each try
    answered 429, or 503, or was skipped): its $0 is no price of the work, and "$0.0157 under estimate" read as if
    it had run cheaply."""
    if o.cost_usd or any(a.outcome == "success" for a in o.attempts):
        return estimate_vs_actual(o.cost_estimate_usd, o.cost_usd)
    return None


def execution_metrics(outcome: TaskOutcome) -> dict[str, Any]:
    """Design 10.1's execution_metrics for an executed (or refused, or parked) task, with its attempts."""
    o = outcome
    # The provider (model, backend) its calls were sent to; none when every attempt was a skip (an outage, a hold, no
    # backend, the budget): the outcome then names the last provider tried, which was sent nothing.
    sent = not o.attempts or any_sent(a.outcome for a in o.attempts)
    metrics: dict[str, Any] = {
        "status": o.status,
        "provider": o.provider if sent else None,
        "model": o.model if sent else None,
        "backend": o.backend if sent else None,
        "start_time": iso_ms(o.started_at),  # to the millisecond, as the line's timestamp
        "end_time": iso_ms(o.ended_at),
        "execution_time_seconds": round(o.duration_seconds, 3),
        "tokens_used": o.tokens_used,
        "input_tokens": o.input_tokens,
        "output_tokens": o.output_tokens,
    }
    if o.status not in ("not_configured", "routed"):  # nothing ran here; the host may run it at the estimate
        metrics["cost_actual"] = money(o.cost_usd)
        metrics["cost_actual_usd"] = o.cost_usd
        metrics["cost_estimate_usd"] = o.cost_estimate_usd
        if (compared := estimate_compared(o)) is not None:
            metrics["cost_estimate_vs_actual"] = compared
    metrics["fallback_path"] = o.fallback_path
    metrics["attempts"] = [attempt_dict(a) for a in o.attempts]
    if o.error:
        metrics["error"] = o.error
    if o.resumes_at is not None:
        metrics["resumes_at"] = iso(o.resumes_at)
    if o.parked_seconds:
        metrics["parked_seconds"] = round(o.parked_seconds, 3)
    if o.budget_wait_seconds or any(a.budget_held for a in o.attempts):  # it waited for running tasks to settle
        metrics["budget_wait_seconds"] = round(o.budget_wait_seconds, 3)
    if o.truncated:
        metrics["truncated"] = True
    if o.warning:
        metrics["warning"] = o.warning
    return metrics


def outcome_external_strings(outcome: TaskOutcome) -> tuple[str, ...]:
    """The strings of ``execution_metrics(outcome)`` that came from outside (a provider's model names and
    errors): with ``external_strings`` of the decision, all a dispatch's audit line needs tested for secrets."""
    found = [outcome.model, outcome.error]
    for a in outcome.attempts:
        found += (a.model, a.error)
    return tuple(dict.fromkeys(s for s in found if s))  # each once: the answer's model is its attempt's too


def attempt_dict(a: Attempt) -> dict[str, Any]:
    d: dict[str, Any] = {"provider": a.provider, "outcome": a.outcome}
    if a.model:
        d["model"] = a.model
    if a.error:
        d["error"] = a.error
    if a.status_code is not None:
        d["status_code"] = a.status_code
    d["retry"] = a.retry
    if a.waited_seconds:
        d["waited_seconds"] = round(a.waited_seconds, 3)
    if a.duration_seconds:
        d["duration_seconds"] = round(a.duration_seconds, 3)
    if a.lifts_at is not None:
        d["lifts_at"] = iso(a.lifts_at)
    if a.cost_usd and a.outcome != "success":  # charged though it gave no answer (a refusal)
        d["cost_usd"] = a.cost_usd
    if a.input_tokens or a.output_tokens:  # and the tokens the provider reported it billed
        d["input_tokens"], d["output_tokens"] = a.input_tokens, a.output_tokens
    if a.budget_held:
        d["budget_held"] = True
    return d


def budget_changed_record(old: BudgetSettings, new: BudgetSettings, session_id: str) -> dict[str, Any]:
    """The audit line of a budget configuration edited while the server ran (RouterCore.refresh_settings)."""
    return {
        "event": "budget_changed", "session_id": session_id,
        "daily_total": new.daily_total, "previous_daily_total": old.daily_total,
        "allocations": dict(new.allocations), "previous_allocations": dict(old.allocations),
        "timezone": new.timezone, "alert_thresholds": list(new.alert_thresholds),
    }
