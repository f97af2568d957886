"""Summaries of the audit trail (design 10.2): who got the work, what it cost, how often we fell back.

``build_report`` is pure: it takes the JSONL records (design 10.1) as mappings and returns an
``AuditReport``. Decisions are records with a ``recommendation`` object (a ``user_response`` record
repeats a decision already logged and is not counted again). Money may be "$0.45" strings or
numbers; the numeric ``*_usd`` twins win when present. A day's cost is the actual cost where an
execution recorded one, else the estimate, and the report says how much of it is estimated. Days are
calendar days in the timezone given (the budget's, so a day's cost lines up with the budget's day), of a run's
start where the record has one (its reservation's day), else of its timestamp. Fallbacks are counted by
their kind (fallback_kinds.fallback_kind), not by the reason's text, which quotes amounts and times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from router_core.audit import is_day, parse_since
from router_core.dead_calls import EVENT as DEAD_CALL_EVENT
from router_core.execution_fallbacks import providers_left
from router_core.fallback_kinds import fallback_kind
from router_core.records import SKIPPED, any_sent  # an attempt with one of these outcomes sent nothing
from router_core.usage_audit import EVENT as USAGE_EVENT

PRIMARY_REASON = "primary available"
REPEATED_EVENTS = frozenset({"user_response"})
# Outcomes of a task that never reached a provider: their zero seconds are not a run's time.
NOT_RUN = frozenset({"not_configured", "routed", "parked", "budget_exceeded", "config_mismatch"})
_MONEY = re.compile(r"^\s*\$?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*$")


@dataclass(slots=True)
class DayCost:
    actual_usd: float = 0.0
    estimated_usd: float = 0.0  # decisions with no recorded actual cost

    @property
    def total_usd(self) -> float:
        return self.actual_usd + self.estimated_usd


@dataclass(slots=True)
class ExecutionTimes:
    runs: int = 0
    total_seconds: float = 0.0

    @property
    def average_seconds(self) -> float:
        return self.total_seconds / self.runs if self.runs else 0.0


@dataclass(slots=True)
class AuditReport:
    since: str | None = None
    timezone: str = "UTC"  # the days of cost_by_day are calendar days here
    records: int = 0  # records read after the since filter
    decisions: int = 0
    provider_distribution: dict[str, int] = field(default_factory=dict)
    cost_by_day: dict[str, dict[str, DayCost]] = field(default_factory=dict)
    fallbacks: dict[str, int] = field(default_factory=dict)  # the kind of provider_reason (fallback_kind) -> count
    runs_fell_back: int = 0  # runs that left a provider for another while running (execution_fallbacks.py)
    left: dict[str, int] = field(default_factory=dict)  # "codex: rate_limited" (a provider left, how) -> count
    execution_times: dict[str, ExecutionTimes] = field(default_factory=dict)
    unreadable: int = 0  # records with a timestamp or money field that could not be parsed
    skipped_lines: int = 0  # log lines that were no record (torn, foreign, not JSON), set by the reader

    @property
    def fallback_total(self) -> int:
        return sum(self.fallbacks.values())

    @property
    def providers(self) -> list[str]:
        names = set(self.provider_distribution) | set(self.execution_times)
        names |= {p for day in self.cost_by_day.values() for p in day}
        return sorted(names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "timezone": self.timezone,
            "records": self.records,
            "decisions": self.decisions,
            "provider_distribution": dict(sorted(self.provider_distribution.items())),
            "cost_by_day": {
                day: {
                    p: {
                        "usd": round(c.total_usd, 6),
                        "actual_usd": round(c.actual_usd, 6),
                        "estimated_usd": round(c.estimated_usd, 6),
                    }
                    for p, c in sorted(costs.items())
                }
                for day, costs in sorted(self.cost_by_day.items())
            },
            "fallback_activations": {"total": self.fallback_total, "by_reason": dict(self.fallbacks)},
            "fell_back_while_running": {"runs": self.runs_fell_back, "providers_left": dict(self.left)},
            "average_execution_seconds": {
                p: {"runs": t.runs, "average": round(t.average_seconds, 3)}
                for p, t in sorted(self.execution_times.items())
            },
            "unreadable_records": self.unreadable,
            "skipped_lines": self.skipped_lines,
        }


def parse_money(value: object) -> float | None:
    """0.45 from 0.45, "0.45", "$0.45" or "$1,000.45"; None when absent, unreadable or not finite."""
    if isinstance(value, bool):
        return None
    amount = None
    if isinstance(value, int | float):
        amount = float(value) if not isinstance(value, int) or abs(value) < 10**300 else None
    elif isinstance(value, str):
        match = _MONEY.match(value)
        if match:
            amount = float(match.group(1).replace(",", ""))
    return amount if amount is not None and math.isfinite(amount) else None


def _money(section: Mapping[str, Any], key: str) -> tuple[float | None, bool]:
    """The amount (numeric twin first) and whether a value was present but unreadable."""
    for candidate in (section.get(f"{key}_usd"), section.get(key)):
        if candidate is not None:
            amount = parse_money(candidate)
            if amount is not None:
                return amount, False
    return None, section.get(key) is not None


def _moment(timestamp: object) -> datetime | None:
    """An ISO date or time as a moment (UTC unless it carries an offset), None if it is none."""
    if not isinstance(timestamp, str):
        return None
    try:
        moment = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:  # a moment a zone cannot hold ("9999-12-31T23:59:59-10:00"): unreadable, not an OverflowError later
        (moment + timedelta(days=2)) - timedelta(days=4)
    except OverflowError:
        return None
    return moment


def _same_run(reserved_at: datetime | None, started: datetime | None) -> bool:
    """Whether a charged reservation made at ``reserved_at`` is the run that began at ``started`` (made after it
    began; an earlier run's was made before). Either unknown (older lines): taken as the same, as before."""
    return reserved_at is None or started is None or reserved_at >= started


def _since(since: str | None) -> datetime | None:
    return parse_since(since, name="--since") if since is not None else None  # as `audit --since` reads it


def build_report(
    records: Iterable[Mapping[str, Any]], since: str | None = None, timezone: str = "UTC"
) -> AuditReport:
    """Summarise audit records stamped at or after ``since`` (an ISO date or time, UTC unless it has an offset),
    their costs by calendar day in ``timezone`` (an IANA name, as budget.timezone).

    One pass that keeps no record: a month of logs is gigabytes of JSON. What must wait for the end
    is only each unpaid decision's estimate (day, provider, amount), since a later record of its task
    may bring the actual cost that replaces it.
    """
    start = _since(since)
    tz = ZoneInfo(timezone)
    report = AuditReport(since=since.strip() if since is not None else None, timezone=timezone)
    paid: set[Any] = set()  # tasks (_task_key) whose execution recorded an actual cost (in any record)
    pending: dict[Any, list[tuple[str, str, float]]] = {}  # task -> estimates not yet replaced
    charged: dict[Any, list[tuple[tuple[str, str, float], datetime | None]]] = {}  # task -> (charge, reserved at)
    for record in records:
        moment = _moment(record.get("timestamp"))
        if start is not None and (moment is None or moment < start):
            continue
        day = moment.astimezone(tz).date().isoformat() if moment is not None else None
        report.records += 1
        if day is None and record.get("timestamp") is not None:
            report.unreadable += 1
        task = _task_key(record)
        unpaid = task is None or task not in paid
        # A run's cost counts on the day it began, when its reservation was made, as the budget charges it: a
        # batch_task line is stamped as the task ends (after midnight, for one begun before it).
        started = _moment(_section(record, "execution_metrics").get("start_time"))
        cost_day = started.astimezone(tz).date().isoformat() if started is not None else day or "unknown"
        if record.get("event") == DEAD_CALL_EVENT:  # what the budget charged a killed process's run: spent, as
            charge = _dead_call_charge(record, cost_day)  # an estimate, replacing its decision's estimates
            if charge is None:
                report.unreadable += 1
            elif task is not None:
                pending.pop(task, None)
                charged.setdefault(task, []).append((charge, _moment(record.get("reserved_at"))))
            else:
                _add_estimate(report, *charge)
            continue
        if record.get("event") == USAGE_EVENT:  # spend entered by hand (record_usage, `usage set`): the budget's too
            entered, provider = parse_money(record.get("cost_usd")), record.get("provider")
            if entered is None or entered < 0 or not isinstance(provider, str):
                report.unreadable += record.get("cost_usd") is not None
            elif entered:
                report.cost_by_day.setdefault(cost_day, {}).setdefault(provider, DayCost()).actual_usd += entered
            continue
        estimate = _add(report, record, cost_day, estimate_counts=unpaid)
        if task is None:  # no later record can name it: the estimate stands
            if estimate is not None:
                _add_estimate(report, *estimate)
            continue
        if _money(_section(record, "execution_metrics"), "cost_actual")[0] is not None:
            paid.add(task)
            pending.pop(task, None)
            if _section(record, "execution_metrics").get("status") not in NOT_RUN and task in charged:
                # a run settled: its actual cost replaces a charge of its own reservation (a holder only silent,
                # made after the run began), not an earlier run's (a retry under the same id); a park ran nothing
                charged[task] = [(c, at) for c, at in charged[task] if not _same_run(at, started)]
        elif estimate is not None:
            pending.setdefault(task, []).append(estimate)
    for estimates in [*pending.values(), *([c for c, _ in charges] for charges in charged.values())]:
        for estimate in estimates:
            _add_estimate(report, *estimate)
    if start is not None:  # a day begun before ``since`` (a run begun then, its line stamped after; since's UTC
        local = start.astimezone(tz)  # midnight, in another zone) would show part of its spend as all of it
        first = (local.date() + timedelta(days=local.time() != time(0))).isoformat()
        for day in [d for d in report.cost_by_day if d < first]:
            del report.cost_by_day[day]
    return report


def _task_key(record: Mapping[str, Any]) -> tuple[str | None, Hashable] | None:
    """The task a record is of: (its batch's id, its task_id) for a batch's task, as made ids (task-0, task-1...)
    are in every batch; (None, task_id) for one of no batch. None when it names no task (no id, or a list or object
    a line another tool wrote)."""
    task = record.get("task_id")
    if task is None or not isinstance(task, Hashable):
        return None
    batch = _section(record, "batch").get("batch_id")
    return (batch if isinstance(batch, str) else None), task


def _dead_call_charge(record: Mapping[str, Any], day: str) -> tuple[str, str, float] | None:
    """A charged_dead_call line's (day, provider, amount): the budget day it was charged to (it may be found
    after midnight), else the line's own day."""
    provider, amount = record.get("provider"), parse_money(record.get("cost_charged_usd"))
    if not isinstance(provider, str) or amount is None or amount < 0:
        return None
    budget_day = record.get("budget_day")
    return (budget_day if isinstance(budget_day, str) and is_day(budget_day) else day), provider, amount


def _add_estimate(report: AuditReport, day: str, provider: str, amount: float) -> None:
    report.cost_by_day.setdefault(day, {}).setdefault(provider, DayCost()).estimated_usd += amount


def _section(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def _add(
    report: AuditReport, record: Mapping[str, Any], day: str, *, estimate_counts: bool
) -> tuple[str, str, float] | None:
    """Count ``record``; its estimate is returned (day, provider, amount), not added: the caller adds
    it at the end unless a record of the same task brings an actual cost."""
    rec = _section(record, "recommendation")
    metrics = _section(record, "execution_metrics")
    provider = rec.get("provider") or record.get("provider")
    if not isinstance(provider, str):
        return None
    is_decision = bool(rec) and record.get("event") not in REPEATED_EVENTS
    if is_decision:
        report.decisions += 1
        report.provider_distribution[provider] = report.provider_distribution.get(provider, 0) + 1
        reason = rec.get("provider_reason")
        if isinstance(reason, str) and reason != PRIMARY_REASON:
            kind = fallback_kind(record, rec)  # not the text: its amounts and times made each line a row
            report.fallbacks[kind] = report.fallbacks.get(kind, 0) + 1
    if left := providers_left(metrics):
        report.runs_fell_back += 1
        for name, outcome in left:
            report.left[f"{name}: {outcome}"] = report.left.get(f"{name}: {outcome}", 0) + 1
    # What ran is charged to the providers that ran it (each attempt's own): after a fallback during execution, not
    # the one recommended; ``ran_on`` (the one it last reached) for what its attempts do not itemise.
    ran_on = metrics.get("provider")
    ran_on = ran_on if isinstance(ran_on, str) and ran_on else provider
    estimate = _add_cost(report, day, provider, ran_on, rec if is_decision and estimate_counts else {}, metrics)
    seconds = metrics.get("execution_time_seconds")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        for name, share in _time_shares(metrics, float(seconds), ran_on).items():
            times = report.execution_times.setdefault(name, ExecutionTimes())
            times.runs += 1
            times.total_seconds += share
    return (day, provider, estimate) if estimate is not None else None


def _sent(metrics: Mapping[str, Any], ran_on: str) -> list[tuple[str, Mapping[str, Any]]] | None:
    """The attempts of an execution that sent something (not a skip: sent_anything's rule), each with its provider
    (``ran_on`` for one that names none); None if the record lists none."""
    attempts = metrics.get("attempts")
    if not isinstance(attempts, list):
        return None
    sent = [a if isinstance(a, Mapping) else {} for a in attempts]
    return [(a["provider"] if isinstance(a.get("provider"), str) and a["provider"] else ran_on, a)
            for a in sent if a.get("outcome") not in SKIPPED]


def _seconds(value: object) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else 0.0  # type: ignore[arg-type]


def _time_shares(metrics: Mapping[str, Any], seconds: float, ran_on: str) -> dict[str, float]:
    """A run's time by the providers it sent calls to: all of it to the one it reached, or, after a fallback that
    reached several, shared in proportion to the time of each one's own attempts (the waits before them and the
    calls; evenly when they carry none). Nothing for a provider only skipped (an outage, a hold, no backend)."""
    sent = _sent(metrics, ran_on)
    if sent is None:  # a record without attempts: its provider, when it ran at all
        return {ran_on: seconds} if metrics.get("status") not in NOT_RUN else {}
    own: dict[str, float] = {}
    for name, a in sent:
        own[name] = own.get(name, 0.0) + _seconds(a.get("waited_seconds")) + _seconds(a.get("duration_seconds"))
    total = sum(own.values())
    if len(own) <= 1 or total <= 0:
        return {name: seconds / len(own) for name in own}
    return {name: seconds * t / total for name, t in own.items()}


def _cost_shares(metrics: Mapping[str, Any], actual: float, ran_on: str) -> dict[str, float]:
    """An execution's actual cost by provider: what each refusal billed (an attempt's cost_usd) to its provider,
    the rest to the provider that answered. A provider only skipped is charged nothing, and not listed."""
    sent = _sent(metrics, ran_on)
    if sent is None:  # a record without attempts: all of it to its provider
        return {ran_on: actual}
    shares: dict[str, float] = {}
    answered = None
    for name, a in sent:
        if a.get("outcome") == "success":
            answered = name
        elif billed := parse_money(a.get("cost_usd")):
            shares[name] = shares.get(name, 0.0) + billed
    rest = round(actual - sum(shares.values()), 6)
    if answered is not None or rest:
        name = answered or ran_on
        shares[name] = shares.get(name, 0.0) + rest
    return shares


def sent_anything(metrics: Mapping[str, Any]) -> bool:
    """Whether the execution sent anything to a provider: it made an attempt that was not a skip (records
    written by Switchboard list them), or, in a record without attempts, its status is not one of NOT_RUN."""
    attempts = metrics.get("attempts")
    if isinstance(attempts, list):
        return any_sent(a.get("outcome") if isinstance(a, Mapping) else None for a in attempts)  # None: not a skip
    return metrics.get("status") not in NOT_RUN


def sent_to(metrics: Any, provider: str) -> bool:
    """Whether an execution (a record's execution_metrics) sent anything to ``provider``: an attempt on it that was
    not a skip, or, in a record without attempts, its provider when it ran at all. Its ``provider`` alone is the
    last one tried, which may be one skipped (not_configured on every provider names the last)."""
    if not isinstance(metrics, Mapping):
        return False
    attempts = metrics.get("attempts")
    if isinstance(attempts, list):
        return any_sent(a.get("outcome") for a in attempts if isinstance(a, Mapping) and a.get("provider") == provider)
    return metrics.get("provider") == provider and metrics.get("status") not in NOT_RUN


def _add_cost(
    report: AuditReport, day: str, provider: str, ran_on: str, rec: Mapping, metrics: Mapping
) -> float | None:
    """Add the actual cost (to the providers sent the calls: _cost_shares); return the estimate (``provider``'s) to count when there is none."""
    actual, bad_actual = _money(metrics, "cost_actual")
    estimate, bad_estimate = _money(rec, "cost_estimate")
    if bad_actual or bad_estimate:
        report.unreadable += 1
    if actual is not None:
        for name, amount in _cost_shares(metrics, actual, ran_on).items():
            report.cost_by_day.setdefault(day, {}).setdefault(name, DayCost()).actual_usd += amount
        return None
    return estimate
