"""Routing and the usage resources count against the limits a provider reports in its rate-limit headers, as
pacing does, when they are lower than the configured ones (a lower tier than the defaults assume)."""

from __future__ import annotations

from router_core.execution.dispatch import dispatch
from tests.execution.fakes import fake_environ, fake_limits, fake_server, with_limits
from tests.fakes.fake_limits import Limits

CODE_TASK = "Implement a JWT login endpoint in Flask"


async def test_a_provider_at_its_reported_limit_is_routed_around_not_waited_for(settings, build_executor, clock):
    # Configured at 100 requests a minute, codex's key allows 4. Pacing counted the 4; routing counted 100, so the
    # fifth code task was sent to codex and waited in the pacer for the rest of the minute, gemini and claude free.
    s = with_limits(settings, codex=(100, 1_000_000))
    window = s.execution.rate_window_seconds
    with fake_server(clock, limits={**fake_limits(s, window), "codex": Limits(4, 1_000_000, window)}) as fake:
        core, ex = build_executor(s, environ=fake_environ(fake))
        for _ in range(4):
            assert (await dispatch(core, ex, CODE_TASK)).outcome.provider == "codex"
        view = core.capacity()
        assert (view.usage["codex"].requests_limit, view.usage["codex"].requests_percent) == (4, 100.0)
        [block] = view.availability["codex"].blocks
        assert block.reason.startswith("requests_percent") and block.lifts_at is not None
        start = clock.now()
        r = await dispatch(core, ex, CODE_TASK)
        assert r.outcome.status == "success" and r.decision.provider != "codex"
        assert clock.now() - start < 1.0  # not a minute in the pacer
        assert fake.stats("codex").requests == 4 and fake.stats("codex").limit_429 == 0
