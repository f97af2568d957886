"""A batch task's audit line is tested for secrets in its external strings (the host's text and id, the agent's
id and reason, the providers' models and errors), as a dispatch's is, not by scanning the whole line: a key in
any of them still sends the line through redaction."""

from __future__ import annotations

import router_core.audit as audit_module
from router_core.execution.batch import run_batch
from tests.fakes.fake_provider import Fault

KEY = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"


def _batch_lines(core) -> list[dict]:
    return [r for r in core.audit.tail(50) if r.get("event") == "batch_task"]


async def test_a_key_in_a_batch_tasks_text_or_id_is_redacted_from_its_line(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(400)])  # one task fails: its line carries the provider's error too
    tasks = [(KEY, "Implement a JWT login endpoint in Flask"), ("b", f"Fix the loader that logs {KEY} at startup"),
             ("c", "Explain how the OAuth2 flow works")]
    run = await run_batch(core, ex, tasks, parallel=2)
    assert len(run.outcome.outcomes) == 3
    written = "\n".join(p.read_text() for p in core.audit.directory.glob("*.jsonl"))
    assert KEY not in written
    lines = _batch_lines(core)
    assert len(lines) == 3 and "[redacted]" in {r["task_id"] for r in lines}
    assert "Fix the loader that logs [redacted] at startup" in {r["task_description"] for r in lines}


async def test_a_batch_line_is_not_scanned_whole_for_secrets(settings, build_executor, monkeypatch):
    core, ex = build_executor(settings)
    scanned: list[str] = []
    whole = audit_module.may_hold_secret
    monkeypatch.setattr(audit_module, "may_hold_secret", lambda text: scanned.append(text) or whole(text))
    run = await run_batch(core, ex, [("a", "Write unit tests for the CSV parser"), ("b", "Explain the OAuth2 flow")])
    assert [o.status for o in run.outcome.outcomes] == ["success", "success"]
    assert len(_batch_lines(core)) == 2
    assert not [t for t in scanned if '"batch_task"' in t]  # each line's external strings were tested instead
