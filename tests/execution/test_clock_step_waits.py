"""A clock set back while a task waits for room: the executor repairs the window first, as a decision does,
instead of waiting out the step, and keeps refreshing the reservations of the tasks that wait."""

from __future__ import annotations

from router_core.execution.executor import Executor, Job
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, with_limits

CODE_TASK = "Implement a JWT login endpoint in Flask"
STEP = 2 * 3600.0


def stepping_sleep(clock, sleeps: list[float], *, most: int = 20):
    """A sleep that moves the fake clock; the clock is set back by STEP during the first one."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            clock.advance(-STEP)
        assert len(sleeps) <= most, f"still waiting after {len(sleeps)} sleeps ({sum(sleeps):.2f}s)"
        clock.advance(seconds)

    return sleep


async def test_a_task_waiting_for_room_when_the_clock_goes_back_waits_one_window_not_the_step(settings, clock):
    # The pacer's own check runs inside the executor's write transaction (reservation, lease, ticket), where it
    # cannot repair: the window stayed full of rows stamped two hours ahead and the task polled every 50 ms for
    # two hours (in the test: more than 20 sleeps).
    s = with_limits(settings, codex=(2, 100_000))
    core = make_core(s, clock)
    for _ in range(2):
        core.usage_tracker.record("codex", requests=1, tokens=10)
    sleeps: list[float] = []
    ex = Executor(core, {"codex": ScriptedAdapter(s.provider("codex"))}, sleep=stepping_sleep(clock, sleeps),
                  random=lambda: 0.5)
    o = await ex.run(Job("t-1", CODE_TASK, core.classify(CODE_TASK), ("codex",)))
    assert (o.status, o.provider) == ("success", "codex")
    assert len(sleeps) == 2 and sum(sleeps) <= 2 * 61  # the window before the step, then one after the repair



async def test_reservations_of_tasks_waiting_after_the_clock_went_back_are_still_heartbeaten(settings, clock):
    # Heartbeats were due when now - last beat reached the interval: after a step back that difference stays
    # negative for the whole step, so a reservation taken after it (a batch still paced) was not refreshed and
    # expired after its TTL while its task waited: other processes no longer saw it reserved.
    core = make_core(settings, clock)
    ex = Executor(core, {}, sleep=stepping_sleep(clock, [], most=1000), random=lambda: 0.5)
    await ex.wait(1.0)  # the clock is set back by STEP during this first sleep
    reservation = core.ledger.reserve("codex", 1.0)
    ttl = settings.budget.reservation_ttl_seconds
    await ex.wait(2 * ttl)  # a task waiting for room
    assert core.budget().provider("codex").reserved == 1.0
    core.ledger.settle(reservation.id, 0.5)
