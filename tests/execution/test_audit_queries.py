"""The jq queries README.md gives for design 10.2, run on a log the core wrote: they agree with `audit report`.

The design's queries, verbatim, also count lines that are no decision of their own (an outage, the user's
answer to a recommendation) and, through `wc -l`, the lines of jq's pretty printing; README's
did the latter too (a log with one fallback gave 108).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from router_core.audit_report import build_report
from router_core.execution.dispatch import dispatch
from router_core.records import audit_record
from tests.fakes.fake_provider import Fault

README = Path(__file__).resolve().parents[2] / "README.md"
CODE_TASK = "Implement a JWT login endpoint in Flask"


def readme_queries() -> list[str]:
    """The jq lines of the README's audit block (the fenced block after `switchboard audit report` is named)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"design 10\.2's four summaries.*?```bash\n(.*?)```", text, re.S)
    assert block, "README.md: the audit section's query block moved; update this test"
    return [line for line in block.group(1).splitlines() if line.startswith("jq ")]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
async def test_readme_queries_agree_with_the_audit_report(settings, build_executor, fake):
    core, ex = build_executor(settings)
    answered = core.decide("Review pull request 12 for naming")  # a recommendation, answered at a terminal:
    core.audit.append({**audit_record(answered, session_id=core.session_id, event="user_response"), "accepted": True})
    fake.script("codex", [Fault.status(503)] * 3)
    fell_back = (await dispatch(core, ex, CODE_TASK)).outcome  # codex fails 3 times (an outage line): gemini runs it
    assert fell_back.provider == "gemini"
    rerouted = await dispatch(core, ex, CODE_TASK)  # routed past codex while its outage lasts
    assert rerouted.decision.recommendation.route == "fallback_1"
    await dispatch(core, ex, "Design the architecture for a distributed ingest pipeline")

    files = sorted(str(p) for p in core.audit.directory.glob("provider_recommendations-*.jsonl"))
    records = [r for day in core.audit.days() for r in core.audit.read_day(day)]
    assert {r["event"] for r in records} >= {"recommendation", "user_response", "dispatch", "outage"}
    report = build_report(records)

    def sh(query: str) -> str:
        query = query.replace("provider_recommendations-*.jsonl", " ".join(files))
        return subprocess.run(["bash", "-c", query], check=True, capture_output=True, text=True, timeout=60).stdout

    distribution, fallbacks = readme_queries()
    counts = {line.split()[1]: int(line.split()[0]) for line in sh(distribution).splitlines()}
    assert counts == report.provider_distribution == {"codex": 2, "gemini": 1, "claude": 1}
    assert int(sh(fallbacks)) == report.fallback_total == 1
