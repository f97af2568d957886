"""A task whose budget reservation lapsed while it waited for room (a laptop asleep, a clock step: another process
found its heartbeat stale and released it) reserves again before its call, or is refused if the room is gone: no
call goes out with nothing held against the budget."""

from __future__ import annotations

import pytest

from router_core.execution.dispatch import dispatch
from router_core.execution.pacing import PaceWait

CODE_TASK = "Implement a JWT login endpoint in Flask"


def lapse_while_waiting(core, ex, monkeypatch, *, then=lambda: None) -> list[str]:
    """The first send waits for room; meanwhile its reservation is released as another process would on finding
    it stale, and ``then`` runs (another process's spending)."""
    lapsed: list[str] = []
    try_acquire, wait = ex.pacer.try_acquire, ex.wait

    def first_waits(*args, **kwargs):
        monkeypatch.setattr(ex.pacer, "try_acquire", try_acquire)
        return PaceWait(1.0)

    async def waiting(seconds):
        with core.db.transaction() as conn:
            lapsed.extend(r[0] for r in conn.execute(
                "UPDATE budget_reservations SET status = 'released' WHERE status = 'live' RETURNING id"))
        then()
        await wait(seconds)

    monkeypatch.setattr(ex.pacer, "try_acquire", first_waits)
    monkeypatch.setattr(ex, "wait", waiting)
    return lapsed


async def test_a_lapsed_reservation_is_taken_again_before_the_call(settings, build_executor, fake, monkeypatch):
    core, ex = build_executor(settings)
    lapsed = lapse_while_waiting(core, ex, monkeypatch)
    held: list[float] = []
    adapter = ex.adapters["codex"]
    send = adapter.complete

    async def complete(request):
        held.append(core.budget().reserved)  # what the ledger holds while the call runs
        return await send(request)

    monkeypatch.setattr(adapter, "complete", complete)
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    assert r.outcome.status == "success" and len(lapsed) == 1
    assert held[0] > 0  # it was 0: the call went out with nothing held against the budget
    budget = core.budget()
    assert budget.spent == r.outcome.cost_usd and budget.reserved == 0


async def test_a_lapsed_reservation_whose_room_was_taken_meanwhile_is_refused_before_the_call(
        settings, build_executor, fake, monkeypatch):
    core, ex = build_executor(settings)
    total = settings.budget.daily_total
    lapse_while_waiting(core, ex, monkeypatch, then=lambda: core.record_usage(
        "codex", requests=None, tokens=None, cost_usd=total, manual=True))
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    assert r.outcome.status == "budget_exceeded" and fake.stats("codex").requests == 0
    assert (core.budget().spent, core.budget().reserved) == (total, 0)


async def test_a_call_charged_while_its_holder_slept_and_that_came_back_unbilled_is_not_charged(
        settings, build_executor, fake, monkeypatch, clock):
    # The laptop slept through the first call: a snapshot found its reservation silent past the TTL and charged the
    # call at its estimate. On waking the call failed with nothing billed (a 503) and the retry answered; the day
    # kept the first call's estimate on top of the answer's cost, for a call that cost nothing.
    from router_core.errors import ProviderUnavailable

    core, ex = build_executor(settings)
    adapter = ex.adapters["codex"]
    send, calls = adapter.complete, []

    async def complete(request):
        calls.append(request)
        if len(calls) == 1:
            clock.advance(2 * settings.budget.reservation_ttl_seconds)  # asleep with the call on the wire
            assert core.budget().spent > 0  # charged at its estimate meanwhile
            raise ProviderUnavailable("503 service unavailable", provider="codex", status_code=503)
        return await send(request)

    monkeypatch.setattr(adapter, "complete", complete)
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    assert r.outcome.status == "success" and len(calls) == 2
    budget = core.budget()
    assert budget.spent == pytest.approx(r.outcome.cost_usd) and budget.reserved == 0


async def test_a_call_charged_while_its_holder_slept_that_failed_for_good_is_not_charged(
        settings, build_executor, fake, monkeypatch, clock):
    from router_core.errors import ProviderRejected

    core, ex = build_executor(settings)
    adapter = ex.adapters["codex"]

    async def complete(request):
        clock.advance(2 * settings.budget.reservation_ttl_seconds)
        assert core.budget().spent > 0
        raise ProviderRejected("400 bad request", provider="codex", status_code=400)

    monkeypatch.setattr(adapter, "complete", complete)
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    assert r.outcome.status != "success" and r.outcome.cost_usd == 0
    assert (core.budget().spent, core.budget().reserved) == (0, 0)
