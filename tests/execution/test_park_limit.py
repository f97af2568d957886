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


async def test_a_quota_refusal_whose_reset_has_passed_is_not_asked_again_at_once_while_parked(settings, clock):
    """A quota refusal naming a reset just passed ('resets 3pm' read at 15:00:20, which the CLI parsers take as is)
    set no hold and fell back with that past time: a task parked on it re-walked its chain every 50 ms (the
    pacer's poll), calling the provider each time, for the whole max_park_seconds (1,200 refusals in a minute);
    its attempts, and its audit line, grew with each. The provider is now held for the longest backoff first."""
    from router_core.errors import QuotaExhausted
    from router_core.execution.executor import Executor
    from tests.execution.conftest import make_core
    from tests.execution.fakes import ScriptedAdapter, clock_sleep, with_execution

    class StillRefusing(ScriptedAdapter):
        async def complete(self, request):
            self.requests.append(request)
            raise QuotaExhausted("usage limit reached; resets 3pm", provider=self.name, resets_at=clock.now() - 20)

    s = with_execution(settings, max_park_seconds=60.0)
    core = make_core(s, clock)
    adapters = {p.name: StillRefusing(p) for p in s.providers}
    ex = Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)
    o = (await dispatch(core, ex, "Design the architecture for a distributed ingest pipeline", provider="claude",
                        wait=True)).outcome
    assert o.status == "parked" and o.provider == "claude"
    assert len(adapters["claude"].requests) <= 1 + 60 // s.execution.backoff_max_seconds
    assert len(o.attempts) == len(adapters["claude"].requests)
    hold = core.execution_state.holds.active("claude")["claude"]
    assert hold.kind == QUOTA and hold.until > clock.now()
