"""The audit trail charges a run's time and cost to the providers its calls were sent to (design 10): each attempt's
own provider, nothing to one only skipped (an outage, a hold, no backend), and a line whose every attempt was a skip
names no provider."""

from __future__ import annotations

from router_core.audit_report import build_report
from router_core.execution.dispatch import dispatch
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude first


async def test_a_fallback_run_is_counted_for_each_provider_it_reached_and_not_the_one_in_an_outage(
        settings, build_executor, fake):
    # By hand: claude's 429s, gemini's quota refusal, codex skipped in its outage. The report counted the whole
    # run (its seconds spent on claude's 429s) as gemini's, the last provider reached; claude had no run.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)  # opens codex's circuit; gemini answers that one
    first = (await dispatch(core, ex, CODE_TASK)).outcome
    assert first.provider == "gemini" and core.audit.tail(1)[0]["execution_metrics"]["provider"] == "gemini"
    fake.script("claude", [Fault.rate_limited(retry_after=1)] * 2 + [Fault.rate_limited(retry_after=600)])
    fake.script("gemini", [Fault.quota()])
    r = await dispatch(core, ex, DESIGN_TASK)
    tried = {(a.provider, a.outcome) for a in r.outcome.attempts}
    assert {("claude", "rate_limited"), ("gemini", "quota_exhausted"), ("codex", "outage")} <= tried
    line = core.audit.tail(1)[0]["execution_metrics"]
    assert line["provider"] == "gemini" and line["backend"] == "api"

    report = build_report(core.audit.records())
    times = report.execution_times
    assert {name: t.runs for name, t in times.items()} == {"codex": 1, "gemini": 2, "claude": 1}
    # the two runs' seconds, each shared between the providers it reached
    first_line, second_line = (rec["execution_metrics"] for rec in core.audit.records() if "execution_metrics" in rec)
    total = first_line["execution_time_seconds"] + second_line["execution_time_seconds"]
    assert abs(sum(t.total_seconds for t in times.values()) - total) < 1e-6
    assert times["claude"].total_seconds > 0
    costs = {name for day in report.cost_by_day.values() for name in day}
    assert "gemini" in costs and "claude" not in costs  # nothing billed by the 429s


async def test_a_run_that_sent_nothing_anywhere_names_no_provider_and_counts_for_none(settings, build_executor, fake):
    # Every provider skipped (gemini with no backend, codex in an outage, claude on hold after a 429): the line
    # named the last provider tried (claude, backend "api"), and the report listed claude with $0.00 that day.
    core, ex = build_executor(settings, providers=("codex", "claude"))
    fake.script("codex", [Fault.status(503)] * 3)  # opens codex's circuit
    fake.script("claude", [Fault.rate_limited(retry_after=3600)])  # holds claude
    await dispatch(core, ex, CODE_TASK)
    r = await dispatch(core, ex, CODE_TASK)
    assert [(a.provider, a.outcome) for a in r.outcome.attempts] == [
        ("gemini", "not_configured"), ("codex", "outage"), ("claude", "on_hold")]
    line = core.audit.tail(1)[0]["execution_metrics"]
    assert (line["status"], line["provider"], line["backend"], line["model"]) == ("parked", None, None, None)
    assert line["cost_actual_usd"] == 0
    report = build_report(core.audit.records())
    # the first run's: codex's 503s and claude's 429; none of the second's
    assert {name: t.runs for name, t in report.execution_times.items()} == {"codex": 1, "claude": 1}
    assert report.cost_by_day == {}  # nothing was billed, nor estimated (both runs record their actual $0.00)
