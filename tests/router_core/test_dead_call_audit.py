"""A call charged for a process that died in it (kill -9 mid-dispatch) is audited, so the audit log and its report
agree with `switchboard budget`: the killed process wrote no line, and its charge was spend nobody could trace."""

from __future__ import annotations

import os
import socket
from datetime import datetime

import pytest

from router_core.audit_notes import event_note
from router_core.audit_report import build_report
from router_core.batch_ids import reserved_as, reserved_task
from router_core.budget import BudgetLedger

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="tells a dead holder by /proc")

DEAD = f"{socket.gethostname()}:{os.getpid()}:1"  # this pid, but another start time: a process that ended


def _killed_in_a_call(core, clock, task_id: str = "task-killed", usd: float = 0.25) -> None:
    theirs = BudgetLedger(core.db, clock, core.settings.budget, DEAD)
    reservation = theirs.reserve("claude", 1.0, task_id=task_id)
    theirs.calling(reservation.id, usd)


def _charged_lines(core) -> list[dict]:
    return [r for r in core.audit.records() if r.get("event") == "charged_dead_call"]


def test_the_charge_for_a_dead_process_call_is_audited_once(keyword_core, clock) -> None:
    _killed_in_a_call(keyword_core, clock)
    assert keyword_core.budget().spent == pytest.approx(0.25)
    keyword_core.budget()  # found again: charged and audited once
    lines = _charged_lines(keyword_core)
    assert len(lines) == 1
    line = lines[0]
    assert (line["provider"], line["task_id"], line["cost_charged_usd"]) == ("claude", "task-killed", 0.25)
    assert line["budget_day"] == keyword_core.budget().day
    assert "claude" in event_note(line) and "$0.25" in event_note(line)


def test_the_report_counts_it_as_the_budget_does(keyword_core, clock) -> None:
    _killed_in_a_call(keyword_core, clock)
    spent = keyword_core.budget().spent
    report = build_report(keyword_core.audit.records(), timezone=keyword_core.settings.budget.timezone)
    day = report.cost_by_day[keyword_core.budget().day]
    assert day["claude"].total_usd == pytest.approx(spent)
    assert day["claude"].estimated_usd == pytest.approx(spent)  # an estimate: marked * in the table
    assert report.decisions == 0  # not a decision


def test_a_later_record_of_the_task_with_its_actual_cost_replaces_the_charge() -> None:
    # A holder only silent (not dead) settles later: its own line brings the actual cost, which the budget keeps.
    charged = {"timestamp": "2026-03-02T10:00:00.000Z", "event": "charged_dead_call", "provider": "claude",
               "task_id": "t1", "budget_day": "2026-03-02", "cost_charged_usd": 0.25}
    settled = {"timestamp": "2026-03-02T10:01:00.000Z", "event": "dispatch", "task_id": "t1",
               "recommendation": {"provider": "claude", "cost_estimate_usd": 0.3},
               "execution_metrics": {"status": "success", "provider": "claude", "cost_actual_usd": 0.1}}
    day = build_report([charged, settled]).cost_by_day["2026-03-02"]
    assert (day["claude"].actual_usd, day["claude"].estimated_usd) == (pytest.approx(0.1), 0.0)


def test_a_batch_tasks_charge_names_its_batch_and_only_that_batchs_line_replaces_it(keyword_core, clock) -> None:
    # A batch's reservation names its batch (made ids, task-0..., are in every batch): the line says both, and the
    # report matches it with that batch's task-0 alone, not another batch's.
    _killed_in_a_call(keyword_core, clock, task_id=reserved_as("task-0", "batch-0123456789ab"))
    keyword_core.budget()
    [line] = _charged_lines(keyword_core)
    assert (line["task_id"], line["batch"]) == ("task-0", {"batch_id": "batch-0123456789ab"})
    day = line["budget_day"]

    def settled(batch_id: str) -> dict:
        return {"timestamp": f"{day}T23:00:00.000Z", "event": "batch_task", "task_id": "task-0",
                "batch": {"batch_id": batch_id}, "recommendation": {"provider": "claude", "cost_estimate_usd": 0.3},
                "execution_metrics": {"status": "success", "provider": "claude", "cost_actual_usd": 0.1}}

    other = build_report([line, settled("batch-ffffffffffff")]).cost_by_day[day]["claude"]
    assert (other.actual_usd, other.estimated_usd) == (pytest.approx(0.1), pytest.approx(0.25))
    own = build_report([line, settled("batch-0123456789ab")]).cost_by_day[day]["claude"]
    assert (own.actual_usd, own.estimated_usd) == (pytest.approx(0.1), 0.0)


def test_reserved_task_reads_back_what_reserved_as_wrote() -> None:
    assert reserved_task(reserved_as("task-0", "batch-0123456789ab")) == ("batch-0123456789ab", "task-0")
    assert reserved_task(reserved_as("t/1", None)) == (None, "t/1")  # a task of no batch, as it is
    assert reserved_task("outage probe of codex") == (None, "outage probe of codex")
    assert reserved_task(None) == (None, None)


def test_the_charge_replaces_the_estimates_of_its_task_and_counts_after_an_earlier_paid_run() -> None:
    # recommend_provider then dispatch_agent with one task_id, the process killed in the call: the budget charged
    # $0.25, not the recommendation's $0.30 estimate and the charge. Then the same id dispatched again (a host's own
    # id), parked first (an actual cost of $0), killed in its call: that charge is spend too.
    def line(minute: int, **fields) -> dict:
        return {"timestamp": f"2026-03-02T10:{minute:02d}:00.000Z", "task_id": "k", **fields}

    recommended = line(0, event="recommendation", recommendation={"provider": "claude", "cost_estimate_usd": 0.3})
    charged = line(1, event="charged_dead_call", provider="claude", budget_day="2026-03-02", cost_charged_usd=0.25)
    day = build_report([recommended, charged]).cost_by_day["2026-03-02"]
    assert day["claude"].estimated_usd == pytest.approx(0.25)
    parked = line(2, event="dispatch", recommendation={"provider": "claude", "cost_estimate_usd": 0.3},
                  execution_metrics={"status": "parked", "provider": "claude", "cost_actual_usd": 0.0})
    again = line(3, event="charged_dead_call", provider="claude", budget_day="2026-03-02", cost_charged_usd=0.2)
    day = build_report([recommended, charged, parked, again]).cost_by_day["2026-03-02"]
    assert day["claude"].estimated_usd == pytest.approx(0.45)  # both runs' charges


def test_a_retry_under_the_same_id_keeps_the_killed_runs_charge_and_the_run_itself_replaces_it() -> None:
    # Killed in its call ($1.00 charged), then the host retried the same task_id, which settled at $0.20: the budget
    # counted $1.20. A holder only silent settles its own run (reserved after that run began): the charge goes.
    charged = {"timestamp": "2026-03-02T10:01:00.000Z", "event": "charged_dead_call", "provider": "claude",
               "task_id": "t1", "budget_day": "2026-03-02", "cost_charged_usd": 1.0,
               "reserved_at": "2026-03-02T10:00:00.500Z"}

    def settled(started: str) -> dict:
        return {"timestamp": "2026-03-02T10:06:00.000Z", "event": "dispatch", "task_id": "t1",
                "recommendation": {"provider": "claude", "cost_estimate_usd": 1.0},
                "execution_metrics": {"status": "success", "provider": "claude", "cost_actual_usd": 0.2,
                                      "start_time": started}}

    retry = build_report([charged, settled("2026-03-02T10:05:00.000Z")]).cost_by_day["2026-03-02"]["claude"]
    assert (retry.actual_usd, retry.estimated_usd) == (pytest.approx(0.2), pytest.approx(1.0))
    woke = build_report([charged, settled("2026-03-02T10:00:00.400Z")]).cost_by_day["2026-03-02"]["claude"]
    assert (woke.actual_usd, woke.estimated_usd) == (pytest.approx(0.2), 0.0)


def test_the_line_says_when_its_reservation_was_made(keyword_core, clock) -> None:
    _killed_in_a_call(keyword_core, clock)
    keyword_core.budget()
    (line,) = _charged_lines(keyword_core)
    made = datetime.fromisoformat(line["reserved_at"].replace("Z", "+00:00")).timestamp()
    assert abs(made - clock.now()) < 60  # the fake clock's now, when _killed_in_a_call reserved


def test_unreadable_or_negative_amounts_are_counted_as_unreadable_not_spent() -> None:
    base = {"timestamp": "2026-03-02T10:01:00.000Z", "provider": "claude", "budget_day": "2026-03-02"}
    lines = [{**base, "event": "charged_dead_call", "task_id": "a", "cost_charged_usd": "abc"},
             {**base, "event": "charged_dead_call", "task_id": "b", "cost_charged_usd": -3},
             {**base, "event": "usage_recorded", "cost_usd": -4},
             {**base, "event": "usage_recorded", "cost_usd": 0.5, "provider": 7},
             {**base, "event": "dispatch", "task_id": "c", "recommendation": {"provider": "codex"},
              "execution_metrics": {"status": "success", "provider": "codex", "cost_actual_usd": 0.1,
                                    "start_time": "9999-12-31T23:59:59-10:00"}}]
    report = build_report(lines)
    assert report.unreadable == 4
    assert "claude" not in report.cost_by_day.get("2026-03-02", {})
