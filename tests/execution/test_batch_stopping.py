"""A batch while the server stops (router_core/execution/stopping.py): no task starts, the calls in flight end or
are cut off, and the batch returns what it has: the finished tasks' answers, the rest cancelled, nothing charged
for those never run. Before, a stopping server's batch started task after task (each cut at the end of the grace
and charged its estimate), and the call's answer was lost."""

from __future__ import annotations

import anyio
import pytest

from router_core.errors import AuthFailed, ProviderUnavailable
from router_core.execution.batch import run_batch
from router_core.execution.batch_stop import NOT_STARTED
from router_core.execution.stopping import Stopping
from tests.execution.fakes import ScriptedAdapter, clock_sleep
from tests.execution.test_cancellation import CODE_TASK, EXPLAIN_TASK, Stuck, assert_clean, executor


class Held(ScriptedAdapter):
    """Answers once ``release`` is set; ``called`` is set once a request is on the wire."""

    def __init__(self, provider, script=()) -> None:
        super().__init__(provider, script)
        self.called, self.release = anyio.Event(), anyio.Event()

    async def complete(self, request):
        self.called.set()
        await self.release.wait()
        return await super().complete(request)


def adapters_with(settings, **special):
    adapters = {p.name: ScriptedAdapter(p) for p in settings.providers}
    adapters.update({name: kind(settings.provider(name)) for name, kind in special.items()})
    return adapters


async def batch_stopped(core, ex, tasks, stopping, when, then=None):
    """run_batch's result, ``stopping.stop()`` called once ``when`` is set, then ``then()``."""
    runs = []
    with anyio.fail_after(60):  # a bound, not a timing: before, a batch with a call that never ends never returned
        async with anyio.create_task_group() as tg:
            async def run() -> None:
                runs.append(await run_batch(core, ex, tasks, parallel=1, stopping=stopping))

            tg.start_soon(run)
            await when.wait()
            await anyio.wait_all_tasks_blocked()
            stopping.stop()
            if then is not None:
                then()
    [result] = runs
    return result


def not_started(outcome) -> bool:
    return outcome.status == "cancelled" and outcome.error == NOT_STARTED and outcome.cost_usd == 0


async def test_a_stopping_server_starts_no_task_and_the_one_calling_finishes(settings, clock):
    adapters = adapters_with(settings, gemini=Held)
    core, ex = executor(settings, clock, adapters)
    tasks = [(f"t{i}", f"{EXPLAIN_TASK} ({i})") for i in range(4)]
    gemini = adapters["gemini"]
    run = await batch_stopped(core, ex, tasks, Stopping(), gemini.called, gemini.release.set)
    first, *rest = run.outcome.outcomes
    assert first.status == "success" and first.text == "gemini answer"
    assert rest and all(not_started(o) for o in rest), rest
    assert len(gemini.requests) == 1  # before: every task was sent, one after the other
    assert_clean(core)
    assert core.budget().spent == pytest.approx(first.cost_usd)
    lines = [r["execution_metrics"] for r in core.audit.tail(10) if r.get("event") == "batch_task"]
    assert sorted((m["status"], m["cost_actual_usd"] > 0) for m in lines) == [
        ("cancelled", False)] * 3 + [("success", True)]


async def test_a_task_waiting_for_its_turn_is_not_started(settings, clock):
    # parallel 1: the explain task (gemini) waits at the batch's gate while the code task (codex) calls.
    adapters = adapters_with(settings, codex=Held)
    core, ex = executor(settings, clock, adapters)
    tasks = [("code", CODE_TASK), ("explain", EXPLAIN_TASK)]
    codex = adapters["codex"]
    run = await batch_stopped(core, ex, tasks, Stopping(), codex.called, codex.release.set)
    code, explain = run.outcome.outcomes
    assert code.status == "success"
    assert not_started(explain), explain
    assert adapters["gemini"].requests == []
    assert_clean(core)


async def test_cut_off_the_call_in_flight_is_cancelled_and_the_batch_still_answers(settings, clock):
    adapters = adapters_with(settings, gemini=Stuck)
    core, ex = executor(settings, clock, adapters)
    tasks = [("a", EXPLAIN_TASK), ("b", f"{EXPLAIN_TASK} again")]
    stopping = Stopping()
    run = await batch_stopped(core, ex, tasks, stopping, adapters["gemini"].called, stopping.cut)
    a, b = run.outcome.outcomes
    assert a.status == "cancelled" and a.cost_usd == pytest.approx(a.cost_estimate_usd)  # it may be billed
    assert not_started(b), b
    assert_clean(core)


async def test_a_batch_begun_after_the_stop_runs_nothing(settings, clock):
    adapters = adapters_with(settings)
    core, ex = executor(settings, clock, adapters)
    stopping = Stopping()
    stopping.stop()
    run = await run_batch(core, ex, [("a", EXPLAIN_TASK), ("b", CODE_TASK)], stopping=stopping)
    assert all(not_started(o) for o in run.outcome.outcomes)
    assert all(a.requests == [] for a in adapters.values())


@pytest.mark.parametrize("failure", [
    ProviderUnavailable("gemini unavailable (500)", provider="gemini", status_code=500),  # retried, before
    AuthFailed("gemini refused the key (401)", provider="gemini", status_code=401),  # fell back, before
], ids=["retry", "fallback"])
async def test_a_call_failing_after_the_stop_starts_no_retry_nor_fallback(settings, clock, failure):
    # Before, a task counted as "calling" from its first call until the cut: its call failing after the stop was
    # retried or fell back, a new provider call the cut then cancelled and charged at its estimate.
    adapters = adapters_with(settings, gemini=Held)
    gemini = adapters["gemini"]
    gemini.script.append(failure)
    core, ex = executor(settings, clock, adapters, sleep=clock_sleep(clock))  # a backoff passes at once
    run = await batch_stopped(core, ex, [("a", EXPLAIN_TASK), ("b", f"{EXPLAIN_TASK} again")], Stopping(),
                              gemini.called, gemini.release.set)
    a, b = run.outcome.outcomes
    assert len(gemini.requests) == 1
    assert all(x.requests == [] for name, x in adapters.items() if name != "gemini")
    assert a.status == "cancelled" and a.cost_usd == 0, a
    assert "server was stopping" in a.error and "after gemini: " in a.error and f"({failure.status_code})" in a.error
    assert not_started(b), b
    assert_clean(core)
