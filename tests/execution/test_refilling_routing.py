"""Routing counts a limit the headers report spent as pacing does (refill.py): coming back evenly until its
reset, not spent in full until then. Against the fake's token buckets (OpenAI's and Anthropic's kind), a
provider reported at 0 of 500 requests a minute has a request back every 0.12 s: routing stops blocking it
once it is under its threshold again, seconds later, the usage resource shows the figure coming down, and a
task parked on it resumes then, not at the reset a minute later."""

from __future__ import annotations

import pytest

from resources.views import usage_summary
from router_core.capacity import blocked_from
from router_core.execution.dispatch import dispatch
from router_core.execution.results import PARKED, SUCCESS
from tests.execution.conftest import make_core
from tests.execution.fakes import with_limits
from tests.fakes.fake_limits import Limits

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
RPM = 500


@pytest.fixture
def spent(settings, build_executor, fake, clock):
    """codex at 500 requests a minute, 499 spent by another tool on the key: the task routed to it takes the
    last, and its answer says 0 left, the bucket full again in a minute. (core, executor, rate window)."""
    s = with_limits(settings, codex=(RPM, 10**7))
    window = s.execution.rate_window_seconds
    fake.set_limits("codex", Limits(RPM, 10**7, window, bucket=True))
    fake.spend("codex", requests=RPM - 1)
    core, ex = build_executor(s)
    return core, ex, window


async def first_call(core, ex, clock) -> float:
    """The call that takes the last request; when its answer (and its headers) arrived."""
    result = await dispatch(core, ex, CODE_TASK)
    assert (result.outcome.status, result.outcome.provider) == (SUCCESS, "codex")
    return clock.now()


def lift_time(core, answered: float, window: float) -> float:
    """When fewer requests than the threshold's are still out: (blocked_from - 1) of the 500 left."""
    codex = core.settings.provider("codex")
    return answered + window * (1 - (blocked_from(RPM, codex.block.requests_percent) - 1) / RPM)


async def test_a_provider_reported_at_0_of_500_rpm_is_routed_to_again_seconds_later(spent, clock, fake):
    core, ex, window = spent
    answered = await first_call(core, ex, clock)
    (block,) = core.capacity().availability["codex"].blocks  # 500 of 500 out: over the 85% threshold
    assert block.reason.startswith("requests_percent")
    # It lifts once 76 are back (under 425), 9.12 s on; counted spent until the reset, a minute on.
    assert block.lifts_at == pytest.approx(lift_time(core, answered, window), abs=0.01)

    clock.set(answered + 15)  # 125 back: 375 of 500 still out
    other = make_core(core.settings, clock)  # another process on the same state database
    assert other.capacity().availability["codex"].available
    assert other.decide(CODE_TASK, audit=False).provider == "codex"
    usage = usage_summary(other)["providers"]["codex"]
    assert (usage["requests_used"], usage["source"], usage["available"]) == (375, "headers", True)
    result = await dispatch(core, ex, CODE_TASK)
    assert (result.outcome.status, result.outcome.provider) == (SUCCESS, "codex")
    assert fake.stats("codex").limit_429 == 0  # the provider had the room routing counted


async def test_a_task_asking_for_the_provider_parks_until_the_refill_not_the_reset(spent, clock, fake):
    core, ex, window = spent
    answered = await first_call(core, ex, clock)
    lifts = lift_time(core, answered, window)

    told = await dispatch(core, ex, CODE_TASK, provider="codex")  # not waiting: told when to come back
    assert told.outcome.status == PARKED
    assert told.outcome.resumes_at == pytest.approx(lifts, abs=0.01)

    parks: list[float] = []
    result = await dispatch(core, ex, CODE_TASK, provider="codex", wait=True,
                            on_park=lambda _task, seconds, _why: parks.append(seconds))
    assert (result.outcome.status, result.outcome.provider) == (SUCCESS, "codex")
    assert parks and sum(parks) == pytest.approx(lifts - answered, abs=0.1)  # 9.12 s, not the minute
    assert fake.stats("codex").limit_429 == 0
