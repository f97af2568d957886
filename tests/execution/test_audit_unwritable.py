"""An audit log that cannot be written (a full disk, a file where its directory was): the outage and recovery
lines are side notes of a task, and never cost it its answer or its fallback."""

from __future__ import annotations

import shutil

from router_core.execution.dispatch import dispatch
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"


def break_audit(core) -> None:
    audit_dir = core.audit.directory
    core.audit.close()
    shutil.rmtree(audit_dir)
    audit_dir.write_text("a file where the audit directory was")  # no append can succeed now


async def test_an_outage_line_that_cannot_be_written_does_not_stop_the_fallback(settings, build_executor, fake,
                                                                                caplog):
    core, ex = build_executor(settings)
    break_audit(core)
    fake.script("codex", [Fault.status(503)] * 3)  # opens the circuit: an "outage" line
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.provider == "gemini"  # before: the OSError ended the task
    assert "outage line not written" in caplog.text


async def test_a_recovery_line_that_cannot_be_written_keeps_the_paid_answer(settings, build_executor, fake, clock,
                                                                           caplog):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)
    await dispatch(core, ex, CODE_TASK)  # codex in an outage
    break_audit(core)
    clock.advance(settings.execution.outage_probe_interval_seconds)
    r = await dispatch(core, ex, CODE_TASK)  # the probe, then the task: a "recovered" line
    assert r.outcome.status == "success" and r.outcome.provider == "codex" and r.outcome.text
    assert "recovered line not written" in caplog.text
