"""A task refused only for budget that running tasks hold waits for them to settle (batches, dispatch wait=true).

A reservation holds a task's estimate until it settles, usually well above what the answer costs. A batch on a
small day refused most of its tasks at once (two servers, 60 tasks each at parallel 16 on a $0.30 day: 101 of 120
budget_exceeded within 1.5 s, the day ending with $0.069 left), every refusal while siblings held the money.
"""

from __future__ import annotations

from dataclasses import replace

import anyio
import pytest

from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from tests.execution.fakes import fake_environ, fake_server, with_execution

CODE = "Implement a JWT login endpoint in Flask"


def codex_only(settings, total: float):
    """A day of ``total`` for codex alone (the others have no allocation: refused outright)."""
    allocation = tuple((p, total if p == "codex" else 0.0) for p, _ in settings.budget.allocations)
    return replace(settings, budget=replace(settings.budget, daily_total=total, allocations=allocation))


def tasks(n: int) -> list[tuple[str, str]]:
    return [(f"t{i}", f"{CODE} (part {i})") for i in range(n)]


async def run(settings, build_executor, clock, *, output_tokens: int, n: int = 6):
    """A batch of ``n`` codex tasks, all at once, on a day with room for the estimates of two and a half; what it
    did, and the day's total."""
    with fake_server(clock, output_tokens={"codex": output_tokens}) as fake:
        fake.set_latency("codex", 0.05)  # real seconds: the tasks overlap, so some are refused what others hold
        core, ex = build_executor(codex_only(settings, 1.0), environ=fake_environ(fake, ("codex",)))
        estimate = core.decide(f"{CODE} (part 0)", audit=False).recommendation.cost.usd
        core.ledger.record_spend("codex", 1.0 - 2.5 * estimate)
        notices: list[tuple[str, float, str]] = []
        batch = await run_batch(core, ex, tasks(n), parallel=n, on_park=lambda *notice: notices.append(notice))
        requests = fake.stats("codex").requests
    return core, batch.outcome.outcomes, notices, requests


async def test_a_batch_over_the_budget_only_by_its_estimates_runs_every_task(settings, build_executor, clock):
    # Each answer costs a small part of its estimate: six fit the day, though only two estimates do at once.
    core, outcomes, notices, requests = await run(settings, build_executor, clock, output_tokens=20)
    assert [o.status for o in outcomes] == ["success"] * 6, [o.error for o in outcomes]
    assert requests == 6
    budget = core.budget()
    assert budget.reserved == 0 and budget.spent <= 1.0 + 1e-9
    waited = [o for o in outcomes if any(a.budget_held for a in o.attempts)]
    assert waited  # some were refused what the first ones held, and waited for it
    told = {task_id for task_id, _, why in notices if "budget held by running tasks" in why}
    assert told == {o.task_id for o in waited}
    lines = {r["task_id"]: r for r in core.audit.tail(20) if r.get("event") == "batch_task"}
    for o in waited:  # the audit line says it: the refusal, marked held, then the answer
        attempts = [a for a in lines[o.task_id]["execution_metrics"]["attempts"] if a["provider"] == "codex"]
        assert attempts[0]["outcome"] == "budget_exceeded" and attempts[0]["budget_held"] is True
        assert attempts[-1]["outcome"] == "success"
        # the wait ended as holds went, well before its bound (woken by a settlement or its poll, whichever came
        # first: the fake answers in real time; test_budget_waits_wake.py shows a settlement alone wakes it)
        waited_for = lines[o.task_id]["execution_metrics"]["budget_wait_seconds"]
        assert 0.0 <= waited_for < core.settings.execution.longest_call_seconds / 10
    assert core.leases.in_use() == {}


async def test_a_batch_whose_spend_exhausts_the_budget_refuses_the_rest(settings, build_executor, clock):
    # Each answer costs about its estimate: after two, the spend alone leaves too little, so the rest are refused
    # for the spend (not told to try again when running tasks finish), having waited for the first ones to settle.
    expected = settings.expected_output_tokens("code_generation")
    core, outcomes, notices, requests = await run(settings, build_executor, clock, output_tokens=expected)
    statuses = [o.status for o in outcomes]
    assert statuses.count("success") == requests == 2 and statuses.count("budget_exceeded") == 4, statuses
    budget = core.budget()
    assert budget.reserved == 0 and budget.spent <= 1.0 + 1e-9
    refused = [o for o in outcomes if o.status == "budget_exceeded"]
    for o in refused:
        assert "Try again when they finish" not in o.error and "Wait for the reset" in o.error, o.error
        assert not o.attempts[-1].budget_held  # refused for the spend, in the end
    assert all(any(a.budget_held for a in o.attempts) for o in refused)  # having waited for the first ones to settle


@pytest.mark.parametrize("wait", [True, False])
async def test_dispatch_waits_for_held_budget_only_when_asked_to(settings, build_executor, clock, wait):
    # A second dispatch while the first's call is on the wire, on a day with room for one and a half estimates: with
    # wait=true it runs once the first settles; without it is refused at once, as before, told to try again when
    # running tasks finish.
    with fake_server(clock, output_tokens={"codex": 20}) as fake:
        fake.set_latency("codex", 0.05)
        core, ex = build_executor(codex_only(settings, 1.0), environ=fake_environ(fake, ("codex",)))
        estimate = core.decide(CODE, audit=False).recommendation.cost.usd
        core.ledger.record_spend("codex", 1.0 - 1.5 * estimate)
        results: dict[int, object] = {}
        sent = anyio.Event()

        async def one(i: int) -> None:
            on_call = (lambda task_id, provider: sent.set()) if i == 0 else None
            if i:
                await sent.wait()  # the first holds its reservation: its call is on the wire
            results[i] = (await dispatch(core, ex, f"{CODE} (part {i})", provider="codex", wait=wait,
                                         on_call=on_call)).outcome

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, 0)
            tg.start_soon(one, 1)
    first, second = results[0], results[1]
    assert first.status == "success"
    assert core.budget().reserved == 0 and core.budget().spent <= 1.0 + 1e-9
    if wait:
        assert second.status == "success", second.error
        assert any(a.budget_held for a in second.attempts)
    else:
        assert second.status == "budget_exceeded" and "Try again when they finish" in second.error
        assert not second.budget_wait_seconds


async def test_a_hold_settled_elsewhere_is_seen_and_one_that_stays_ends_the_wait(settings, build_executor, clock):
    # Another process's reservation: nothing in this one wakes the task when it settles, it looks for it. One that
    # never settles (its process hung) ends the wait after the longest call's timeout, with the refusal as before.
    s = with_execution(codex_only(settings, 1.0), request_timeout_seconds=10.0, cli_timeout_seconds=20.0)
    with fake_server(clock, output_tokens={"codex": 20}) as fake:
        core, ex = build_executor(s, environ=fake_environ(fake, ("codex",)))
        estimate = core.decide(CODE, audit=False).recommendation.cost.usd
        core.ledger.record_spend("codex", 1.0 - 1.5 * estimate)
        elsewhere = core.ledger.reserve("codex", estimate)  # as another process's task holds it (this ledger's
        results: list = []  # settlement wakes no one here: only a task's does)
        waiting = anyio.Event()

        def told(task_id: str, seconds: float, why: str) -> None:
            assert "budget held by running tasks" in why and seconds == 20.0
            waiting.set()

        async def settle_elsewhere() -> None:
            await waiting.wait()
            since = clock.now()
            while clock.now() <= since:  # the task has looked once, and sleeps on
                await anyio.sleep(0.001)
            core.ledger.settle(elsewhere, estimate / 10)

        async with anyio.create_task_group() as tg:
            tg.start_soon(settle_elsewhere)
            results.append((await dispatch(core, ex, CODE, wait=True, on_park=told)).outcome)
            tg.cancel_scope.cancel()  # (refused at once, it never waited)
        stuck = core.ledger.reserve("codex", estimate)  # never settles
        started = clock.now()
        results.append((await dispatch(core, ex, f"{CODE} again", wait=True)).outcome)
        assert core.budget().reserved == pytest.approx(stuck.usd)
    seen, refused = results
    assert seen.status == "success" and any(a.budget_held for a in seen.attempts)
    assert refused.status == "budget_exceeded" and "waited 20s for the running tasks to settle, and none did" in (
        refused.error)
    assert refused.budget_wait_seconds >= 20.0 and clock.now() - started >= 20.0
    assert fake.stats("codex").requests == 1
