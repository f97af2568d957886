"""What the dashboard page says of odd or edge states, read from headless Chromium's rendered DOM (the server, the
browser and the page's helpers as in test_dashboard_browser.py)."""

from __future__ import annotations

import pytest

from tests.dashboard.test_dashboard_browser import _const, body_attrs, chromium, page_text, serve

pytestmark = pytest.mark.slow


def test_an_audit_line_of_another_shape_does_not_break_the_page(tmp_path, state):
    # Before, a line another tool appended to the audit log, its task or provider a number or an object,
    # threw in the page's render: the recent decisions, and the agents after them, were never shown.
    state["recent"].append({
        "timestamp": "2025-01-11T10:30:40Z",
        "task_description": 12345,
        "recommendation": {"provider": 7, "provider_reason": ["odd"], "agent_assigned": {"id": "x"}},
        "execution_metrics": {"status": "success", "error": 3},
    })
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert "data-error" not in attrs, proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert "12345 7" in text and "tester 2" in text


def test_with_the_audit_log_off_the_page_says_so_not_no_decisions_yet(tmp_path, state):
    # audit.enabled = false: the page said "no decisions yet" while tasks were being routed and run.
    from resources.views import AUDIT_OFF

    state.update(recent=[], audit_off=AUDIT_OFF)
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert "the audit log is off (audit.enabled = false in the configuration)" in text
    assert "no decisions yet" not in text and "tester 2" in text


def test_a_countdown_never_says_60_min(tmp_path, state):
    # Before, the minutes past the hour were rounded: 1 h 59 min 59 s read "in 1 h 60 min".
    state["providers"][2]["blocks"] = [{"reason": "quota: spend cap reached", "lifts_at": "2025-01-11T12:29:59Z"}]
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout)
    assert "lifts 2025-01-11 12:29:59 UTC (in 1 h 59 min)" in proc.stdout


def test_the_reset_is_shown_in_the_budgets_timezone(tmp_path, state):
    # Before, it was shown in UTC alone: 'resets 2025-01-12 05:00:00 UTC' for a day ending at midnight in New York.
    state["budget"].update(day="2025-01-11", timezone="America/New_York", next_reset_at="2025-01-12T05:00:00Z")
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout)
    assert "resets 2025-01-12 00:00 America/New_York (2025-01-12 05:00:00 UTC)" in page_text(proc.stdout)


def test_an_overdue_outage_probe_is_not_a_lift_in_0_s(tmp_path, state):
    # Before, an outage whose probe was due and not sent (no backend here, no budget for it) read
    # "lifts 10:25:00 UTC (in 0 s)" for as long as it lasted.
    state["providers"][1].update(available=False, outage=True, blocks=[
        {"reason": "outage: 3 consecutive failures", "lifts_at": "2025-01-11T10:25:00Z", "outage": True}])
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    text = page_text(proc.stdout)
    assert "data-error" not in body_attrs(proc.stdout) and "(in 0 s)" not in text
    assert "outage: 3 consecutive failures: lifts when a probe is answered (one due since 2025-01-11 10:25:00 UTC)" in text


def test_amounts_read_as_every_message_says_them(tmp_path, state):
    # Before, the page kept two decimals from a cent up ("$0.02" was $0.0153, reading like a $0.02 estimate
    # beside it) and no thousands separator, where the CLI and the tools say "$0.0153" and "$1,234.50".
    state["budget"].update(total=1234.5, spent=0.0153, reserved=0.00004, remaining=1234.48466)
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    assert "total $1,234.50 spent $0.0153 reserved $0.000040 remaining $1,234.48" in page_text(proc.stdout)


def test_thresholds_passed_together_are_labelled_together(tmp_path, state):
    # Spend that passes 75% and 90% at once gives both one message (router_core/budget_limits.py), one alert of
    # the view (router_core/budget_view.py, which merges them: tests/server/test_budget_one_shape.py); the page
    # labels it with both thresholds, once.
    message = "CRITICAL: Daily budget at 92% ($156.40 / $170.00), past the 75% and 90% thresholds at once"
    state["budget"]["alerts"] += [{"level": "critical", "thresholds": [75, 90], "message": message}]
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")
    text = page_text(proc.stdout)
    assert "10%: Spent $22.10 of $170.00 today (13%)" in text
    assert text.count("thresholds at once") == 1 and f"75%, 90%: {message}" in text
    assert '<li class="critical">75%, 90%: ' in proc.stdout


def test_a_zero_daily_total_is_said_to_be_no_budget(tmp_path, state):
    # budget.daily_total = 0 refuses every task: the page said "no budget alerts", as for a budget with room left.
    zero = {"allocation": 0.0, "spent": 0.0, "reserved": 0.0, "remaining": 0.0, "percent_used": 0.0}
    state["budget"].update(total=0.0, spent=0.0, reserved=0.0, remaining=0.0, alerts=[], thresholds=[],
                           providers={name: dict(zero) for name in ("codex", "gemini", "claude")})
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert "no daily budget (budget.daily_total = 0): no provider can run a task, and there are no alerts" in text
    assert "no budget alerts" not in text


def test_each_decision_says_its_session_in_short(tmp_path, state):
    # The audit lines name the session that asked (design 10.1's session_id): the page left it out, so decisions of
    # two sessions on one team server could not be told apart.
    state["recent"][1]["session_id"] = "session-3f9a0c2be417"
    state["recent"].append({**state["recent"][1], "timestamp": "2025-01-11T10:30:30Z", "session_id": 7})  # odd line
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    text = page_text(proc.stdout)
    assert "time session task provider" in text
    assert "10:30:00 UTC 3f9a0c2b Design distributed system" in text
    assert '<td title="session-3f9a0c2be417" class="session">3f9a0c2b</td>' in proc.stdout
    assert "10:29:00 UTC – Write unit tests" in text  # a line without one
    assert "10:30:30 UTC 7 Design distributed system" in text


def test_the_spend_charts_gridlines_are_at_round_amounts(tmp_path, state):
    # Before, they were at a quarter of 1.1 times the highest bar: $0.00 $0.6188 $1.24 $1.86 $2.48 for a $2.25 day.
    import re

    state["spend_by_day"] = {"2025-01-10": {"codex": 0.5, "claude": 0.0}, "2025-01-11": {"codex": 0.5, "claude": 2.25}}
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout), proc.stdout[-3000:]
    ticks = re.findall(r'<text[^>]*text-anchor="end"[^>]*>([^<]*)</text>', proc.stdout)
    assert ticks == ["$0.00", "$1.00", "$2.00", "$3.00", "$4.00"]
