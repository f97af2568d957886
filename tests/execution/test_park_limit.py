"""execution.max_park_seconds bounds a task's whole wait for capacity, before its run and during it."""

from __future__ import annotations

from router_core.execution.dispatch import dispatch
from router_core.execution.holds import QUOTA
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"
PROVIDERS = ("codex", "gemini", "claude")


async def test_a_dispatch_that_waited_before_its_run_parks_no_longer_than_the_limit_in_all(
        settings, build_executor, fake, clock):
    """dispatch(wait=true) waited for capacity up to max_park_seconds before the run, and the run, told nothing of
    that wait, could park up to max_park_seconds again: 600 s + 600 s against a 900 s limit, twice the longest wait
    the setting promises. Past the limit the task returns its ETA (status parked) instead."""
    core, ex = build_executor(settings)
    limit = settings.execution.max_park_seconds
    for p in PROVIDERS:  # every provider held for 600 s at routing time
        core.execution_state.holds.hold(p, QUOTA, clock.now() + 600.0, "quota exhausted")
        fake.script(p, [Fault.rate_limited(retry_after=600.0)])  # and again when the task runs
    start = clock.now()
    o = (await dispatch(core, ex, CODE_TASK, wait=True)).outcome
    assert o.status == "parked" and o.resumes_at is not None
    assert o.parked_seconds <= limit
    assert clock.now() - start <= limit
