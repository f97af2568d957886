"""A task waiting for held budget is woken by this process's settlement, not only by its poll of the store.

test_held_budget.py's batch shows waiting end to end, but there a waiter may as well be woken by its poll (the fake
provider answers in real time): this holds the poll back for ever, so only BudgetWaits.freed() can end the wait."""

from __future__ import annotations

import anyio

from router_core.execution.budget_wait import BudgetWaits
from tests.execution.conftest import make_core


async def test_a_settlement_here_wakes_a_waiting_task_without_its_poll(settings, clock) -> None:
    core = make_core(settings, clock)
    held = core.ledger.reserve("codex", 0.01)
    waits = BudgetWaits(core, wait=lambda seconds: anyio.sleep_forever())  # the poll never comes
    ended: list[bool] = []

    async def waiter() -> None:
        ended.append(await waits.until_freed())

    with anyio.fail_after(10):  # a bound on a hang, not a timing check
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            while waits._freed is None:  # the waiter sleeps on its tick
                await anyio.sleep(0)
            core.ledger.settle(held, 0.004)
            waits.freed()
    assert ended == [True]


async def test_a_wait_with_nothing_settling_is_not_ended_by_freed_alone(settings, clock) -> None:
    # freed() wakes the waiter to look again; a hold still live sends it back to sleep (here: for ever).
    core = make_core(settings, clock)
    core.ledger.reserve("codex", 0.01)
    waits = BudgetWaits(core, wait=lambda seconds: anyio.sleep_forever())
    ended: list[bool] = []

    async def waiter() -> None:
        ended.append(await waits.until_freed())

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        while waits._freed is None:
            await anyio.sleep(0)
        waits.freed()
        while waits._freed is None:  # it looked, found the hold still live, and sleeps again
            await anyio.sleep(0)
        tg.cancel_scope.cancel()
    assert ended == []


async def test_a_wall_clock_set_back_does_not_lengthen_a_wait_for_held_budget(settings, clock) -> None:
    # before: the deadline was on the wall clock, so a step back of two hours during the wait (an NTP step) added
    # two hours to it: a batch's task sat refused-but-waiting for 2h + longest_call_seconds
    core = make_core(settings, clock)
    core.ledger.reserve("codex", 0.01)  # held, never settled
    waited: list[float] = []

    async def wait(seconds: float) -> None:
        if not waited:
            clock.step(-7200)
        waited.append(seconds)
        clock.advance(seconds)

    waits = BudgetWaits(core, wait=wait)
    with anyio.fail_after(10):  # a bound on a hang, not a timing check
        assert await waits.until_freed() is False
    assert sum(waited) == waits.longest_seconds
