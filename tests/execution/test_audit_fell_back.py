"""The audit report counts the runs that fell back while running (codex's 429s past their retries, then gemini),
and how each provider left ended: the report counted only decisions off their primary, so a day of codex 429s that
moved every task to gemini showed "Fallback activations: 0"."""

from __future__ import annotations

from router_core.audit_report import build_report
from router_core.audit_report_table import format_report_table
from router_core.execution.dispatch import dispatch
from router_core.execution_fallbacks import providers_left
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude first


async def test_a_run_that_left_codex_for_gemini_is_counted_with_how_codex_ended(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=1.0)] * (settings.execution.max_retries + 1))
    assert (await dispatch(core, ex, CODE_TASK)).outcome.fallback_path == ["codex", "gemini"]
    fake.script("claude", [Fault.quota()])
    assert (await dispatch(core, ex, DESIGN_TASK)).outcome.fallback_path[0] == "claude"
    assert (await dispatch(core, ex, CODE_TASK, provider="gemini")).outcome.fallback_path == ["gemini"]

    report = build_report(core.audit.records())
    assert report.fallbacks == {"requested by the caller": 1}  # the others' decisions chose their primary
    assert report.to_dict()["fell_back_while_running"] == {
        "runs": 2, "providers_left": {"codex: rate_limited": 1, "claude: quota_exhausted": 1}}
    table = format_report_table(report)
    assert "Fell back while running: 2 runs" in table and "claude: quota_exhausted" in table


def test_lines_that_do_not_say_count_no_fallback_or_an_unknown_end() -> None:
    assert providers_left({}) == [] and providers_left({"fallback_path": ["codex"]}) == []
    assert providers_left({"fallback_path": "codex,gemini"}) == []
    assert providers_left({"fallback_path": ["codex", 3]}) == []
    assert providers_left({"fallback_path": ["codex", "gemini", "claude"], "attempts": [
        {"provider": "codex", "outcome": "unavailable"}, "torn", {"provider": "gemini"}]}) == [
        ("codex", "unavailable"), ("gemini", "unknown")]
