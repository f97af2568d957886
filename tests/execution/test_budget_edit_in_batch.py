"""A budget lowered in the TOML while a batch runs binds the batch's next tasks, in any process.

A batch is planned from one capacity snapshot (which applies an edit made before it); its tasks then reserve
one by one. Only routing applied an edited [budget] (RouterCore.refresh_settings), so a `switchboard batch` of
hours, which routes once, went on reserving against the daily_total it started with.
"""

from __future__ import annotations

from dataclasses import replace

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.execution.adapters import build_adapters
from router_core.execution.batch import run_batch
from router_core.execution.executor import Executor
from tests.execution.fakes import clock_sleep, fake_environ, unanswered

CODE = ["Implement a JWT login endpoint in Flask", "Fix the bug in the data loader"]


async def test_a_budget_lowered_during_a_batch_refuses_its_later_tasks(settings, clock, fake, client):
    edits: list = []
    core = RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                            settings_updates=lambda: edits.pop() if edits else None)
    adapters = build_adapters(settings, client=client, clock=clock, environ=fake_environ(fake, ("codex",)),
                              which=lambda _: None)
    ex = Executor(core, adapters, sleep=clock_sleep(clock, unanswered(core.db, clock)), random=lambda: 0.5)
    spent_out = replace(settings, budget=replace(settings.budget, daily_total=0.000001))

    async def progress(done: int, total: int, message: str) -> None:
        if done == 1:  # the user lowers the budget once the first task has run
            edits.append(spent_out)

    run = await run_batch(core, ex, [("a", CODE[0]), ("b", CODE[1])], parallel=1, progress=progress)
    statuses = {o.task_id: o.status for o in run.outcome.outcomes}
    assert statuses["a"] == "success"
    assert statuses["b"] == "budget_exceeded"
