"""Against a provider whose limits refill continuously (OpenAI's and Anthropic's token buckets, the fake's
``bucket`` mode), a limit its headers report spent comes back a unit at a time: pacing sends each request when
what it needs is back, not at the reset, and never before (the fake's own limiter refuses nothing)."""

from __future__ import annotations

import pytest

from router_core.execution.adapters import build_adapters
from router_core.execution.pacing import PaceWait, RatePacer
from router_core.providers.base import CompletionRequest
from tests.execution.conftest import make_core
from tests.execution.fakes import fake_environ, fake_server, with_limits
from tests.fakes.fake_limits import Limits


async def paced_calls(pacer, adapter, provider, clock, count, tokens):
    """``count`` calls, each paced (the clock moved over every wait) and settled with its answer's headers."""
    for _ in range(count):
        while isinstance(ticket := pacer.try_acquire(provider, tokens), PaceWait):
            clock.advance(ticket.seconds)
        completion = await adapter.complete(CompletionRequest(prompt="add a test"))
        pacer.settle(ticket, completion.input_tokens + completion.output_tokens, completion.rate_limit)


@pytest.mark.parametrize("provider", ["codex", "claude"])
async def test_requests_go_as_a_spent_limit_refills_not_at_its_reset(settings, client, clock, provider):
    # 60 requests a minute, 59 spent by another tool on the key. Ours takes the last: its answer says 0 left,
    # full again in a minute (x-ratelimit-reset-requests "1m0s"; Anthropic's reset an RFC 3339 time, to the
    # second). Counted as spent until then, the next four waited a minute; one is back every second.
    s = with_limits(settings, **{provider: (60, 10**7)})
    window = s.execution.rate_window_seconds
    with fake_server(clock, limits={provider: Limits(60, 10**7, window, bucket=True)}) as fake:
        core = make_core(s, clock)
        adapter = build_adapters(s, client=client, clock=clock, environ=fake_environ(fake), which=lambda _: None)
        pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
        fake.spend(provider, requests=59)
        start = clock.now()
        await paced_calls(pacer, adapter[provider], provider, clock, 5, 100)
        assert clock.now() - start == pytest.approx(4 * window / 60, abs=0.05)
        assert (fake.stats(provider).requests, fake.stats(provider).limit_429) == (5, 0)


async def test_tokens_go_as_they_refill_and_our_own_requests_count_on_top(settings, client, clock):
    # 6,000 tokens a minute (100 a second), 5,900 spent by another tool. Each of our calls, paced on an estimate
    # of 300 (the fake counts about 11), goes once 300 are back: the first after about 2 s, the others as each
    # answer reports what is left. Counted as spent until the reset, they all waited the 59 s.
    s = with_limits(settings, codex=(1_000, 6_000))
    window = s.execution.rate_window_seconds
    with fake_server(clock, limits={"codex": Limits(1_000, 6_000, window, bucket=True)}) as fake:
        core = make_core(s, clock)
        adapter = build_adapters(s, client=client, clock=clock, environ=fake_environ(fake), which=lambda _: None)
        pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
        fake.spend("codex", tokens=5_900)
        start = clock.now()
        await paced_calls(pacer, adapter["codex"], "codex", clock, 10, 300)
        assert clock.now() - start < 0.1 * window
        assert (fake.stats("codex").requests, fake.stats("codex").limit_429) == (10, 0)
