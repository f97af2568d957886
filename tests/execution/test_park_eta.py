"""A parked task's ETA is still ahead when it is said: never "capacity returns in 0s", never a resumes_at past."""

from __future__ import annotations

from router_core.execution.dispatch import WAIT_HINT, _parked_advice, dispatch
from router_core.execution.executor import DUE_NOW_SECONDS
from router_core.execution.results import PARKED, TaskOutcome
from router_core.providers.timeparse import format_wait
from tests.execution.conftest import make_core
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"
PROVIDERS = ("codex", "gemini", "claude")


async def test_a_block_that_lapsed_during_the_walk_is_not_parked_on(settings, build_executor, fake, clock):
    # QA: every provider answered 429 "retry after 3s", each retried in place before the next: by the end of the
    # walk codex's 3 s (and gemini's) had passed, and the task parked on codex's, already 15 s past:
    # "capacity returns in 0s" with a resumes_at in the past, though codex had not been asked since. (A second walk
    # fixed that at the price of every provider's retries sent again: the final read; the next lift ahead is said.)
    core, ex = build_executor(settings)
    for p in PROVIDERS:
        fake.script(p, [Fault.rate_limited(retry_after=3.0)] * 10)
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    now = clock.now()
    assert o.status == "parked" and o.resumes_at is not None and o.resumes_at > now
    assert "returns in 0s" not in o.error
    assert o.error.endswith(f"; capacity returns in {format_wait(o.resumes_at - now)}. {WAIT_HINT}")
    tries = settings.execution.max_retries + 1
    assert [fake.stats(p).requests for p in PROVIDERS] == [tries] * 3  # one walk: no provider asked twice over
    assert o.resumes_at == min(a.lifts_at for a in o.attempts if a.lifts_at is not None and a.lifts_at > now)


async def test_an_eta_passed_by_the_time_it_is_said_is_due_now(settings, clock):
    core = make_core(settings, clock)
    now = clock.now()
    parked = TaskOutcome("t", PARKED, now - 9, now, error="every provider is blocked (...)", resumes_at=now - 0.5)
    o = _parked_advice(core, parked, provider=None, wait=False)
    assert o.resumes_at == now + DUE_NOW_SECONDS
    assert o.error == f"every provider is blocked (...); capacity returns in 1s. {WAIT_HINT}"
