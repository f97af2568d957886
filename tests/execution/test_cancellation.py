"""A task cancelled by its caller (a host's Esc, a closed session, Ctrl-C): its state is left clean and it is
audited as cancelled, with the call that was in flight, charged at its estimate (the provider may bill it)."""

from __future__ import annotations

import socket

import anyio
import pytest

from router_core.errors import ProviderUnavailable, RateLimited
from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.pacing import PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
EXPLAIN_TASK = "Explain how the OAuth2 flow works"  # gemini first


class Stuck(ScriptedAdapter):
    """Never answers; ``called`` is set once a request is on the wire."""

    def __init__(self, provider, script=()) -> None:
        super().__init__(provider, script)
        self.called = anyio.Event()

    async def complete(self, request):
        self.requests.append(request)
        self.called.set()
        await anyio.sleep_forever()


class Throttled(ScriptedAdapter):
    """Always asks for a 45 s wait: longer than the longest backoff, so the task parks."""

    async def complete(self, request):
        self.requests.append(request)
        raise RateLimited("slow down", provider=self.name, retry_after=45.0)


def parked_sleep():
    """A sleep that never wakes (a task parks for good), and an event set when the first task sleeps."""
    asleep = anyio.Event()

    async def sleep(seconds: float) -> None:
        asleep.set()
        await anyio.sleep_forever()

    return sleep, asleep


def executor(settings, clock, adapters, sleep=None):
    core = make_core(settings, clock)
    return core, Executor(core, adapters, sleep=sleep or parked_sleep()[0], random=lambda: 0.5)


def assert_clean(core) -> None:
    assert core.budget().reserved == 0
    assert core.db.query("SELECT COUNT(*) FROM budget_reservations WHERE status = 'live'")[0][0] == 0
    assert core.leases.in_use() == {}
    in_flight = core.db.query("SELECT COUNT(*) FROM usage_events WHERE at > ?", (core.clock.now(),))[0][0]
    assert in_flight == 0  # the pace ticket was settled, not left stamped a timeout ahead


async def test_a_dispatch_cancelled_mid_call_is_audited_as_cancelled_with_the_call(settings, clock):
    adapters = {p.name: Stuck(p) for p in settings.providers}
    core, ex = executor(settings, clock, adapters)
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await adapters["codex"].called.wait()
        tg.cancel_scope.cancel()
    assert_clean(core)
    line = core.audit.tail(1)[0]
    assert line["event"] == "dispatch"
    metrics = line["execution_metrics"]
    assert metrics["status"] == "cancelled" and metrics["provider"] == "codex"
    assert [(a["provider"], a["outcome"]) for a in metrics["attempts"]] == [("codex", "cancelled")]


async def test_a_call_cancelled_in_flight_is_charged_at_its_estimate_not_free(settings, clock):
    adapters = {p.name: Stuck(p) for p in settings.providers}
    core, ex = executor(settings, clock, adapters)
    assert core.budget().spent == 0
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await adapters["codex"].called.wait()
        tg.cancel_scope.cancel()
    metrics = core.audit.tail(1)[0]["execution_metrics"]
    estimate = metrics["cost_estimate_usd"]
    assert estimate > 0
    assert metrics["attempts"][0]["cost_usd"] == pytest.approx(estimate)
    assert "charged at the estimate" in metrics["attempts"][0]["error"]
    assert metrics["cost_actual_usd"] == pytest.approx(estimate)
    assert core.budget().spent == pytest.approx(estimate, abs=1e-6)  # in the ledger, so every process sees it
    assert core.budget().reserved == 0


async def test_a_call_cancelled_in_flight_keeps_its_tokens_in_the_window(settings, clock):
    # Charged at its estimate because the provider may bill it, yet settled in the window with no tokens, so the
    # next requests were paced as if the provider had counted none (a call that timed out keeps them).
    adapters = {p.name: Stuck(p) for p in settings.providers}
    core, ex = executor(settings, clock, adapters)
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await adapters["codex"].called.wait()
        paced = core.db.query("SELECT tokens FROM usage_events WHERE provider = 'codex'")[0][0]
        tg.cancel_scope.cancel()
    assert paced > 0
    assert_clean(core)
    assert core.usage_tracker.window("codex").tokens == paced


async def test_a_process_killed_in_a_call_leaves_it_charged_at_its_estimate_for_the_others(settings, clock):
    # kill -9 runs no cancel path: the reservation outlives its process, and the provider bills the call.
    adapters = {p.name: Stuck(p) for p in settings.providers}
    core, ex = executor(settings, clock, adapters)
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await adapters["codex"].called.wait()
        dead = f"{socket.gethostname()}:{2**22 + 7}:123"  # beyond any pid: a process of this host that ended
        core.db.query("UPDATE budget_reservations SET holder = ? WHERE status = 'live'", (dead,))
        seen_by_others = core.budget()
        tg.cancel_scope.cancel()
    estimate = core.audit.tail(1)[0]["execution_metrics"]["cost_estimate_usd"]
    assert estimate > 0
    assert seen_by_others.spent == pytest.approx(estimate, abs=1e-6)
    assert seen_by_others.reserved == 0
    assert core.budget().spent == pytest.approx(estimate, abs=1e-6)  # charged once


async def test_a_reservation_taken_while_pacing_waits_has_no_call_on_the_wire(settings, clock, monkeypatch):
    # Reserved in the pacing check's transaction, it carries the call's estimate only when the call goes out in it:
    # a task that dies waiting for room is released, not charged.
    adapters = {p.name: Stuck(p) for p in settings.providers}
    sleep, asleep = parked_sleep()
    core, ex = executor(settings, clock, adapters, sleep)
    monkeypatch.setattr(ex.pacer, "try_acquire", lambda *args, **kwargs: PaceWait(5.0))
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await asleep.wait()
        live = core.db.query("SELECT calling_micro, micro_usd FROM budget_reservations WHERE status = 'live'")
        tg.cancel_scope.cancel()
    assert [(calling, reserved > 0) for calling, reserved in live] == [(0, True)]
    assert not adapters["codex"].called.is_set()


async def test_a_call_that_came_back_leaves_nothing_to_charge_if_its_process_dies(settings, clock):
    # A failed call, then a park: the reservation is live between calls, with nothing on the wire.
    adapters = {p.name: ScriptedAdapter(p, [ProviderUnavailable("overloaded", provider=p.name)])
                for p in settings.providers}
    sleep, asleep = parked_sleep()  # the backoff before the retry never ends
    core, ex = executor(settings, clock, adapters, sleep=sleep)
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatch, core, ex, CODE_TASK)
        await asleep.wait()
        assert core.db.query("SELECT calling_micro FROM budget_reservations WHERE status = 'live'")[0][0] == 0
        tg.cancel_scope.cancel()


@pytest.mark.parametrize("stuck", ["calling", "parked"])
async def test_a_batch_cancelled_mid_run_audits_every_started_task_as_cancelled(settings, clock, stuck):
    sleep, asleep = parked_sleep()
    kind = Stuck if stuck == "calling" else Throttled
    adapters = {p.name: kind(p) for p in settings.providers}
    core, ex = executor(settings, clock, adapters, sleep)
    tasks = [(f"t{i}", (CODE_TASK, EXPLAIN_TASK)[i % 2]) for i in range(6)]
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_batch(core, ex, tasks, parallel=4))  # 3 workers a group: both call
        if stuck == "calling":
            await adapters["codex"].called.wait()
            await adapters["gemini"].called.wait()
        else:
            await asleep.wait()
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()
    assert_clean(core)
    lines = [r for r in core.audit.tail(20) if r.get("event") == "batch_task"]
    assert lines and all(r["execution_metrics"]["status"] == "cancelled" for r in lines)
    if stuck == "calling":  # the calls in flight are on record
        called = [a for r in lines for a in r["execution_metrics"]["attempts"] if a["outcome"] == "cancelled"]
        assert {a["provider"] for a in called} == {"codex", "gemini"}


async def test_a_cancelled_batch_hands_over_what_it_did_finished_tasks_and_the_rest_cancelled(settings, clock):
    adapters = {p.name: ScriptedAdapter(p) for p in settings.providers}
    adapters["gemini"] = Stuck(settings.provider("gemini"))
    core, ex = executor(settings, clock, adapters)
    tasks = [("code", CODE_TASK), ("explain", EXPLAIN_TASK), ("queued", f"{EXPLAIN_TASK} again")]
    partial = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_batch(core, ex, tasks, parallel=1, on_cancel=partial.append))
        await adapters["gemini"].called.wait()
        tg.cancel_scope.cancel()
    assert_clean(core)
    [run] = partial
    assert [(o.task_id, o.status) for o in run.outcome.outcomes] == [
        ("code", "success"), ("explain", "cancelled"), ("queued", "cancelled")]
    assert run.outcome.outcomes[0].text == "codex answer"
    assert run.outcome.outcomes[2].error == "cancelled before it started"


async def test_a_cancel_arriving_with_a_batch_tasks_answer_settles_the_answer(settings, clock):
    # The answer is in (and billed) when the cancel lands at the task's hand-over of its concurrency slot.
    scope = anyio.CancelScope()

    class CancelledAsItAnswers(ScriptedAdapter):
        async def complete(self, request):
            scope.cancel()
            return await super().complete(request)

    core, ex = executor(settings, clock, {p.name: CancelledAsItAnswers(p) for p in settings.providers})
    partial = []
    with scope:
        await run_batch(core, ex, [("a", CODE_TASK)], on_cancel=partial.append)
    assert_clean(core)
    assert core.budget().spent > 0
    [o] = partial[0].outcome.outcomes
    assert (o.status, o.text) == ("success", "codex answer")


async def test_a_dispatch_cancelled_while_it_waits_for_capacity_is_audited_with_its_wait(settings, clock):
    # Nothing was sent or held, but the decision and the wait were not on record at all.
    sleep, asleep = parked_sleep()
    core, ex = executor(settings, clock, {p.name: ScriptedAdapter(p) for p in settings.providers}, sleep)
    for p in settings.providers:  # every window full: the task parks until the earliest frees up
        core.record_usage(p.name, requests=p.requests_per_minute, tokens=0, manual=False)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: dispatch(core, ex, CODE_TASK, wait=True))
        await asleep.wait()
        clock.advance(7.0)
        tg.cancel_scope.cancel()
    assert_clean(core)
    line = core.audit.tail(1)[0]
    metrics = line["execution_metrics"]
    assert (line["event"], metrics["status"], metrics["attempts"]) == ("dispatch", "cancelled", [])
    assert metrics["error"] == "cancelled while waiting for capacity"
    assert metrics["parked_seconds"] == 7.0 and "resumes_at" in metrics


async def test_a_cancelled_batch_audits_every_task_once_those_never_started_too(settings, clock):
    # A task still queued when the batch was cancelled had no line at all: the audit of a 3-task batch showed 2.
    adapters = {p.name: ScriptedAdapter(p) for p in settings.providers}
    adapters["gemini"] = Stuck(settings.provider("gemini"))
    core, ex = executor(settings, clock, adapters)
    tasks = [("code", CODE_TASK), ("explain", EXPLAIN_TASK), ("queued", f"{EXPLAIN_TASK} again")]
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_batch(core, ex, tasks, parallel=1))  # no on_cancel: as the MCP tool runs it
        await adapters["gemini"].called.wait()
        tg.cancel_scope.cancel()
    assert_clean(core)
    lines = [r for r in core.audit.tail(20) if r.get("event") == "batch_task"]
    assert sorted(r["task_id"] for r in lines) == ["code", "explain", "queued"]
    assert len({r["batch"]["batch_id"] for r in lines}) == 1
    status = {r["task_id"]: r["execution_metrics"]["status"] for r in lines}
    assert status == {"code": "success", "explain": "cancelled", "queued": "cancelled"}
    queued = next(r for r in lines if r["task_id"] == "queued")
    assert queued["execution_metrics"]["error"] == "cancelled before it started"
    assert queued["execution_metrics"]["attempts"] == []


async def test_a_task_cancelled_while_parked_in_its_run_is_audited_with_its_wait(settings, clock):
    # Every provider refused for 45 s, so the task parked; cancelled 20 s into that wait, its line said nothing of
    # it (parked_seconds left out as 0), where a dispatch cancelled while waiting before its run says its wait.
    sleep, asleep = parked_sleep()
    core, ex = executor(settings, clock, {p.name: Throttled(p) for p in settings.providers}, sleep)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_batch(core, ex, [("t", CODE_TASK)]))
        await asleep.wait()
        clock.advance(20.0)
        tg.cancel_scope.cancel()
    assert_clean(core)
    metrics = core.audit.tail(1)[0]["execution_metrics"]
    assert metrics["status"] == "cancelled" and len(metrics["attempts"]) == 3
    assert metrics["parked_seconds"] == 20.0
