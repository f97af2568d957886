"""Audit analysis (design 10.2) over literal records in the 10.1 schema."""

from __future__ import annotations

import gc
import json
import weakref

import pytest

from router_core.audit_report import DayCost, build_report, parse_money
from router_core.audit_report_table import format_report_table
from router_core.errors import InvalidRequest


def record(ts, provider, reason="primary available", estimate=None, **extra):
    rec = {"provider": provider, "provider_reason": reason, "agent_assigned": "coder"}
    if estimate is not None:
        rec["cost_estimate"] = estimate
    out = {"timestamp": ts, "task_classification": {"primary_provider": provider}, "recommendation": rec}
    out.update(extra)
    return out


def metrics(seconds=None, actual=None, status="success"):
    m = {"status": status}
    if seconds is not None:
        m["execution_time_seconds"] = seconds
    if actual is not None:
        m["cost_actual"] = actual
    return m


RECORDS = [
    # The design's example line: estimate $0.45, actual $0.51, 50 s.
    record(
        "2025-01-11T10:30:00Z",
        "claude",
        estimate="$0.45",
        execution_metrics=metrics(50, "$0.51"),
        task_id="t1",
    ),
    record("2025-01-11T11:00:00Z", "codex", "primary blocked, using fallback 1", estimate=0.12, task_id="t2"),
    record("2025-01-11T12:00:00Z", "codex", estimate="$0.08", execution_metrics=metrics(10, 0.1)),
    record("2025-01-12T09:00:00Z", "gemini", "primary blocked, using fallback 1", estimate="$0.02"),
    record(
        "2025-01-12T09:05:00Z", "claude", "cost-aware: cheaper provider within 5 points", estimate="$1,200.00"
    ),
    record("2025-01-12T09:06:00Z", "claude", estimate="$0.30", execution_metrics=metrics(30)),
]


def test_provider_distribution_and_fallbacks_by_reason():
    report = build_report(RECORDS)

    assert report.decisions == 6 and report.records == 6
    assert report.provider_distribution == {"claude": 3, "codex": 2, "gemini": 1}
    assert report.fallbacks == {  # by kind: these lines do not say what blocked the primary
        "primary blocked": 2,
        "cost-aware: a cheaper provider scored close": 1,
    }
    assert report.fallback_total == 3


def test_cost_per_day_uses_actual_else_estimate_and_marks_estimates():
    report = build_report(RECORDS)

    day1, day2 = report.cost_by_day["2025-01-11"], report.cost_by_day["2025-01-12"]
    assert (day1["claude"].actual_usd, day1["claude"].estimated_usd) == (0.51, 0.0)
    assert (day1["codex"].actual_usd, day1["codex"].estimated_usd) == pytest.approx((0.1, 0.12))
    assert day2["gemini"].estimated_usd == 0.02
    assert day2["claude"].estimated_usd == pytest.approx(1200.30)


def test_average_execution_time_per_provider():
    times = build_report(RECORDS).execution_times
    assert {p: (t.runs, t.average_seconds) for p, t in times.items()} == {
        "claude": (2, 40.0),
        "codex": (1, 10.0),
    }


def test_only_executions_that_reached_a_provider_count_as_runs():
    records = [
        record("2025-01-11T10:00:00Z", "codex", estimate=0.1, execution_metrics=metrics(0, status="not_configured")),
        record("2025-01-11T10:01:00Z", "codex", estimate=0.1, execution_metrics=metrics(0, status="parked")),
        record("2025-01-11T10:02:00Z", "codex", estimate=0.1, execution_metrics=metrics(0, 0, "budget_exceeded")),
        # Written by Switchboard: attempts listed. None made: not a run, whatever the status says.
        record("2025-01-11T10:03:00Z", "codex", execution_metrics={**metrics(0, 0, "failed"), "attempts": []}),
        record("2025-01-11T10:04:00Z", "codex", execution_metrics={**metrics(4, 0.2), "attempts": [{"n": 1}]}),
        record("2025-01-11T10:05:00Z", "codex", execution_metrics=metrics(2, 0.1, "failed")),
    ]

    times = build_report(records).execution_times["codex"]

    assert (times.runs, times.average_seconds) == (2, 3.0)


def test_a_later_execution_record_replaces_the_tasks_estimate():
    records = [
        record("2025-01-11T10:00:00Z", "gemini", estimate="$0.40", task_id="t9", event="dispatch"),
        {
            "timestamp": "2025-01-11T10:02:00Z",
            "event": "execution",
            "task_id": "t9",
            "provider": "gemini",
            "execution_metrics": metrics(12.5, "$0.35"),
        },
    ]
    report = build_report(records)

    cost = report.cost_by_day["2025-01-11"]["gemini"]
    assert (cost.actual_usd, cost.estimated_usd) == (0.35, 0.0)
    assert report.decisions == 1 and report.execution_times["gemini"].runs == 1


def test_a_task_that_fell_back_while_running_is_charged_to_the_provider_that_ran_it():
    # Routed to codex, codex failed, claude answered: the budget charged claude, and so does the report.
    ran = {**metrics(20, "$0.50"), "provider": "claude", "fallback_path": ["codex", "claude"]}
    report = build_report([record("2025-01-11T10:00:00Z", "codex", estimate="$0.10", task_id="t1",
                                  event="dispatch", execution_metrics=ran)])
    assert report.provider_distribution == {"codex": 1}  # the decision is still codex's
    assert set(report.cost_by_day["2025-01-11"]) == {"claude"}
    assert report.cost_by_day["2025-01-11"]["claude"].actual_usd == 0.5
    assert set(report.execution_times) == {"claude"}


class _Record(dict):
    """A dict that a weak reference can follow."""


def test_records_are_summarised_as_they_stream_not_kept():
    # A month of logs is gigabytes of JSON: the report must not hold the records it has read.
    alive = []

    def stream():
        for i, r in enumerate([*RECORDS, *RECORDS]):
            gc.collect()
            alive.append(sum(ref() is not None for ref in refs))
            out = _Record(r, task_id=f"s{i}")
            refs.append(weakref.ref(out))
            yield out

    refs: list[weakref.ref] = []
    report = build_report(stream())

    assert report.records == 2 * len(RECORDS)
    assert max(alive) <= 1, alive


def test_an_estimate_waits_for_an_execution_record_that_comes_later_in_the_stream():
    records = [
        record("2025-01-11T10:00:00Z", "gemini", estimate="$0.40", task_id="t9"),
        record("2025-01-11T10:01:00Z", "codex", estimate="$0.10", task_id="t8"),
        {"timestamp": "2025-01-12T00:02:00Z", "task_id": "t9", "provider": "gemini",
         "execution_metrics": metrics(12.5, "$0.35")},
        record("2025-01-12T00:03:00Z", "gemini", estimate="$0.40", task_id="t9", event="user_response"),
    ]
    costs = build_report(iter(records)).cost_by_day

    assert costs["2025-01-11"]["codex"].estimated_usd == 0.10
    assert "gemini" not in costs["2025-01-11"]
    assert (costs["2025-01-12"]["gemini"].actual_usd, costs["2025-01-12"]["gemini"].estimated_usd) == (0.35, 0.0)


def test_numeric_twins_win_and_repeated_and_other_events_are_not_decisions():
    records = [
        record("2025-01-11T10:00:00Z", "codex", estimate="$0.0012", cost_estimate_usd=0.0),
        record("2025-01-11T10:00:00Z", "codex", estimate="$0.50", event="user_response"),
        {"timestamp": "2025-01-11T10:01:00Z", "event": "usage_recorded", "provider": "codex", "tokens": 5},
        {"timestamp": "2025-01-11T10:01:00Z", "event": "batch_plan", "tasks": 3},
    ]
    records[0]["recommendation"]["cost_estimate_usd"] = 0.0009
    report = build_report(records)

    assert report.decisions == 1 and report.records == 4
    assert report.cost_by_day["2025-01-11"]["codex"].estimated_usd == 0.0009


def test_since_filters_by_date_or_time_inclusive_and_rejects_bad_ones():
    report = build_report(RECORDS, since="2025-01-12")
    assert (
        report.since == "2025-01-12" and report.decisions == 3 and list(report.cost_by_day) == ["2025-01-12"]
    )
    assert build_report(RECORDS, since="2025-01-12T09:05:00Z").decisions == 2  # a time is not cut to its day
    assert build_report(RECORDS, since="2025-01-12T23:00:00Z").decisions == 0
    assert build_report(RECORDS, since="2025-01-12T10:05:00+01:00").decisions == 2  # 09:05Z
    assert build_report(RECORDS, since="2025-01-11T11:00:00").decisions == 5  # no offset: UTC
    with pytest.raises(InvalidRequest, match="--since must be an ISO date or time"):
        build_report(RECORDS, since="yesterday")


def test_unreadable_values_are_counted_not_fatal():
    records = [
        record("not a time", "claude", estimate="lots"),
        record("2025-01-11T10:00:00Z", "claude", estimate=[1]),
    ]
    report = build_report(records)
    assert report.decisions == 2 and report.unreadable == 3 and report.cost_by_day == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$0.45", 0.45),
        ("0.45", 0.45),
        (" $1,234.50 ", 1234.5),
        (2, 2.0),
        (0.1, 0.1),
        ("$", None),
        (None, None),
        (True, None),
        ("$" + "9" * 400, None),  # float() makes it inf: the report would print Infinity
        (10**400, None),  # float() raises OverflowError
        (float("nan"), None),
    ],
)
def test_parse_money(value, expected):
    assert parse_money(value) == expected


def test_to_dict_is_json_ready():
    data = json.loads(json.dumps(build_report(RECORDS).to_dict()))

    assert data["provider_distribution"] == {"claude": 3, "codex": 2, "gemini": 1}
    assert data["cost_by_day"]["2025-01-11"]["codex"] == {
        "usd": 0.22,
        "actual_usd": 0.1,
        "estimated_usd": 0.12,
    }
    assert data["fallback_activations"]["total"] == 3
    assert data["average_execution_seconds"]["claude"] == {"runs": 2, "average": 40.0}


def test_table_for_people():
    text = format_report_table(build_report(RECORDS))

    assert text.startswith("Audit report: 6 decisions in 6 records\n")
    assert "\n  provider  decisions  share\n  claude            3  50.0%\n" in text
    assert "\n  day             claude   codex  gemini       total\n" in text
    assert "\n  2025-01-11       $0.51  $0.22*       -      $0.73*\n" in text
    assert "\n  2025-01-12  $1,200.30*       -  $0.02*  $1,200.32*\n" in text
    assert "Fallback activations: 3 of 6 decisions (50.0%)" in text
    assert "\n  primary blocked                                  2\n" in text
    assert "\n  claude       2   40.0 s\n" in text


def test_table_for_an_empty_log():
    text = format_report_table(build_report([]))
    assert "(no decisions)" in text and "(no costs)" in text and "(no executions recorded)" in text


def test_a_fallback_runs_time_and_cost_go_to_each_provider_its_attempts_reached():
    # Design 10.1 lines itemise attempts: a refusal gemini billed is gemini's, the rest of the cost the answer's
    # (claude's); the run's seconds are shared by their attempts' times; codex, only skipped, gets nothing.
    attempts = [
        {"provider": "gemini", "outcome": "refused", "cost_usd": 0.01, "duration_seconds": 3.0, "retry": 0},
        {"provider": "codex", "outcome": "outage", "retry": 0},
        {"provider": "claude", "outcome": "success", "waited_seconds": 1.0, "duration_seconds": 5.0, "retry": 0},
    ]
    line = record("2025-01-11T10:30:00Z", "gemini", estimate="$0.02", task_id="t1",
                  execution_metrics={**metrics(10, "$0.05"), "provider": "claude", "attempts": attempts})
    report = build_report([line])
    day = report.cost_by_day["2025-01-11"]
    assert {p: round(c.actual_usd, 6) for p, c in day.items()} == {"gemini": 0.01, "claude": 0.04}
    assert {p: (t.runs, round(t.total_seconds, 6)) for p, t in report.execution_times.items()} == {
        "gemini": (1, 3.333333), "claude": (1, 6.666667)}


def test_a_run_that_began_before_midnight_costs_on_the_day_it_began_as_the_budget_charges_it():
    # A batch started at 23:59:59 and its tasks ended at 00:00:24: the budget charged them to the day their
    # reservations were made (29th), but each batch_task line is stamped as it ends, so the report put them on the
    # 30th ("$0.0820" vs "$0.4102" for a budget that showed everything on the 29th). A dispatch line is stamped at its
    # decision, and one parked past midnight starts, reserves and is charged after it. The day is the run's start.
    batch_task = record("2026-11-30T00:00:24.825Z", "codex", estimate=0.0153, task_id="m0", event="batch_task",
                        execution_metrics={**metrics(25, 0.08), "start_time": "2026-11-29T23:59:59.753Z"})
    parked = record("2026-11-29T23:59:00.000Z", "gemini", estimate=0.004, task_id="p", event="dispatch",
                    execution_metrics={**metrics(1, 0.002), "start_time": "2026-11-30T00:05:00.000Z"})
    report = build_report([batch_task, parked])
    assert report.cost_by_day["2026-11-29"]["codex"].actual_usd == pytest.approx(0.08)
    assert report.cost_by_day["2026-11-30"]["gemini"].actual_usd == pytest.approx(0.002)
    assert set(report.cost_by_day) == {"2026-11-29", "2026-11-30"}
    # in the budget's time zone: 23:59:59 UTC is the 30th in Tokyo
    tokyo = build_report([batch_task], timezone="Asia/Tokyo")
    assert set(tokyo.cost_by_day) == {"2026-11-30"}
    # since the 30th: the run begun on the 29th is not shown as the 29th's spend (a part of it would read as all)
    since = build_report([batch_task], since="2026-11-30")
    assert (since.records, set(since.cost_by_day)) == (1, set())
    # since the 29th in Los Angeles: its UTC midnight is the 28th at 16:00 there, so the 28th would be a partial day
    la = build_report([record("2026-11-29T03:00:00.000Z", "codex", estimate=0.01, task_id="x", event="dispatch",
                              execution_metrics=metrics(1, 0.5))], since="2026-11-29", timezone="America/Los_Angeles")
    assert set(la.cost_by_day) == set()


def _blocked_line(ts, reason, route, primary_block, provider="gemini"):
    """A decision as records.audit_record writes one: its primary (claude) blocked for ``primary_block``."""
    line = record(ts, provider, reason, estimate=0.01, event="recommendation")
    line["recommendation"]["route"] = route
    line["task_classification"] = {"primary_provider": "claude", "fallback_chain": ["gemini", "codex"]}
    line["provider_state_at_recommendation"] = {
        "claude": {"available": False, "block_reason": primary_block},
        "gemini": {"available": True}, "codex": {"available": True},
    }
    return line


def test_fallbacks_are_counted_by_the_kind_of_reason_not_its_amounts_and_times():
    # A busy day's reasons differ in their amounts and times only: grouped by the text, each was a row of its own.
    lines = [
        _blocked_line("2026-11-29T10:00:00Z", "emergency: all providers blocked; gemini is the lowest-cost, "
                      "capacity returns in 36m05s", "emergency", "requests_percent >= 90%"),
        _blocked_line("2026-11-29T10:00:01Z", "emergency: all providers blocked; gemini is the lowest-cost, "
                      "capacity returns in 36m06s", "emergency", "tokens_percent >= 85%"),
        _blocked_line("2026-11-29T10:01:00Z", "primary blocked (rate limited: retry after 12s), using fallback 1",
                      "fallback_1", "rate limited: retry after 12s"),
        _blocked_line("2026-11-29T10:02:00Z", "primary blocked (rate limited: retry after 30s), using fallback 1",
                      "fallback_1", "rate limited: retry after 30s"),
        _blocked_line("2026-11-29T10:03:00Z", "primary and fallback 1 blocked, using fallback 2", "fallback_2",
                      "rate limited (no retry time given): backing off 4.2s", provider="codex"),
        _blocked_line("2026-11-29T10:04:00Z", "primary blocked (budget: claude allocation has $0.01 left ($4.99 of "
                      "$5.00 used), less than this task's estimate ($0.02)), using fallback 1", "fallback_1",
                      "budget: claude allocation has $0.01 left ($4.99 of $5.00 used), less than this task's "
                      "estimate ($0.02)"),
        _blocked_line("2026-11-29T10:05:00Z", "primary blocked (budget: claude allocation exhausted ($5.03 of $5.00 "
                      "used); outage: 3 consecutive failures), using fallback 1", "fallback_1",
                      "budget: claude allocation exhausted ($5.03 of $5.00 used); outage: 3 consecutive failures"),
    ]
    report = build_report(lines)
    assert report.fallbacks == {
        "all providers blocked (primary: window full)": 2,
        "primary blocked: rate limited": 3,
        "primary blocked: budget": 1,
        "primary blocked: budget + outage": 1,
    }
    assert report.to_dict()["fallback_activations"]["by_reason"]["primary blocked: rate limited"] == 3


def test_an_older_line_without_route_or_states_is_grouped_by_its_words():
    # A line with no provider states (another tool's, an older one): its reason's own words, numbers made alike.
    lines = [
        record("2026-11-29T10:00:00Z", "gemini", "primary blocked (quota exhausted: resets 10:30), using fallback 1"),
        record("2026-11-29T10:01:00Z", "gemini", "primary blocked (quota exhausted: resets 11:45), using fallback 1"),
        record("2026-11-29T10:02:00Z", "gemini", "provider gemini requested by the caller (available); "
               "the router recommended claude"),
        record("2026-11-29T10:03:00Z", "gemini", "held back 12s, spent $1.20"),
        record("2026-11-29T10:04:00Z", "gemini", "held back 1m05s, spent $13.00"),
    ]
    assert build_report(lines).fallbacks == {
        "primary blocked: quota": 2,
        "requested by the caller": 1,
        "held back N, spent $N": 2,
    }


def _batch_line(ts, provider, batch_id, task_id, event="batch_task", estimate=0.4, **extra):
    line = record(ts, provider, estimate=estimate, task_id=task_id, event=event, **extra)
    line["batch"] = {"batch_id": batch_id, "index": 0, "sub_batch": 0, "starts_after_seconds": 0}
    return line


def test_a_batch_task_is_matched_by_its_batch_and_id_as_made_ids_repeat_in_every_batch():
    # "task-0" is the made id of every batch's first task: batch B's actual cost replaced batch A's estimate (and a
    # recommendation's of a task the host called task-0), whose costs went missing from the report.
    lines = [
        _batch_line("2026-11-29T10:00:00Z", "gemini", "batch-aaaaaaaaaaaa", "task-0", event="batch_plan"),
        record("2026-11-29T10:00:30Z", "claude", estimate=0.3, task_id="task-0", event="recommendation"),
        _batch_line("2026-11-29T10:01:00Z", "codex", "batch-bbbbbbbbbbbb", "task-0",
                    execution_metrics=metrics(5, 0.1)),
        # the same batch's task is the same task: its actual cost replaces its estimate
        _batch_line("2026-11-29T10:02:00Z", "gemini", "batch-cccccccccccc", "task-1", event="batch_plan"),
        {"timestamp": "2026-11-29T10:03:00Z", "event": "execution", "task_id": "task-1", "provider": "gemini",
         "batch": {"batch_id": "batch-cccccccccccc"}, "execution_metrics": metrics(5, 0.05)},
    ]
    day = build_report(lines).cost_by_day["2026-11-29"]
    assert {p: (round(c.actual_usd, 6), round(c.estimated_usd, 6)) for p, c in day.items()} == {
        "gemini": (0.05, 0.4), "claude": (0.0, 0.3), "codex": (0.1, 0.0)}


def test_a_charged_dead_call_is_replaced_only_by_its_own_tasks_actual_cost():
    charge = {"timestamp": "2026-11-29T10:00:00Z", "event": "charged_dead_call", "provider": "claude",
              "task_id": "task-0", "budget_day": "2026-11-29", "cost_charged_usd": 0.25}
    other_batch = _batch_line("2026-11-29T10:01:00Z", "claude", "batch-bbbbbbbbbbbb", "task-0",
                              execution_metrics=metrics(5, 0.1))
    day = build_report([charge, other_batch]).cost_by_day["2026-11-29"]["claude"]
    assert (round(day.actual_usd, 6), day.estimated_usd) == (0.1, 0.25)  # another batch's task-0 paid nothing of it
    # A charge naming its batch (a batch task's) is the task of that batch: its own line, settled later, replaces it.
    own = {**charge, "batch": {"batch_id": "batch-bbbbbbbbbbbb"}}
    day = build_report([own, other_batch]).cost_by_day["2026-11-29"]["claude"]
    assert (round(day.actual_usd, 6), day.estimated_usd) == (0.1, 0.0)


def test_spend_entered_by_hand_counts_as_the_budget_counts_it():
    # record_usage / `usage set --cost` add to the budget's spend; their usage_recorded line is that spend in the log
    entered = {"timestamp": "2026-11-30T10:00:00.000Z", "event": "usage_recorded", "session_id": "s1",
               "provider": "claude", "requests": None, "tokens": 1200, "cost_usd": 0.25}
    counts_only = {**entered, "cost_usd": 0.0, "provider": "codex"}
    report = build_report([entered, counts_only])
    assert report.cost_by_day == {"2026-11-30": {"claude": DayCost(actual_usd=0.25)}}
    assert report.decisions == 0
