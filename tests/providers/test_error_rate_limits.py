"""The rate-limit headers of an error response (a 429, a 503) are read as a success's are: OpenAI and Anthropic
send x-ratelimit-* / anthropic-ratelimit-* on their 429s, and what they say is the organisation's real capacity."""

from __future__ import annotations

import pytest

from router_core.errors import ProviderUnavailable, RateLimited
from router_core.providers import (
    AnthropicAdapter,
    CompletionRequest,
    GeminiAdapter,
    OpenAIChatAdapter,
    OpenAIResponsesAdapter,
)
from tests.fakes.fake_provider import Fault
from tests.fakes.fake_wire import rfc3339

pytestmark = pytest.mark.slow

OPENAI_TOKENS_OUT = {"x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "0",
                     "x-ratelimit-reset-tokens": "20s", "x-ratelimit-limit-requests": "500",
                     "x-ratelimit-remaining-requests": "499", "x-ratelimit-reset-requests": "120ms"}


def openai(kind, fake, client, clock):
    return kind(client=client, base_url=fake.base_url("codex"), api_key="sk-test", provider="codex", clock=clock,
                default_model="gpt-5.1-codex")


@pytest.mark.parametrize("kind", [OpenAIResponsesAdapter, OpenAIChatAdapter])
async def test_an_openai_429_carries_what_its_rate_limit_headers_say(fake, client, clock, kind):
    fake.script("codex", [Fault.rate_limited(retry_after=1.0, headers=OPENAI_TOKENS_OUT)])
    with pytest.raises(RateLimited) as caught:
        await openai(kind, fake, client, clock).complete(CompletionRequest(prompt="x"))
    seen = caught.value.rate_limit
    assert (seen.tokens_limit, seen.tokens_remaining, seen.requests_limit, seen.requests_remaining) == (
        30000, 0, 500, 499)
    assert seen.tokens_reset_at == pytest.approx(clock.now() + 20.0, abs=0.01)
    assert seen.requests_reset_at == pytest.approx(clock.now() + 0.12, abs=0.01)


async def test_a_503_with_rate_limit_headers_carries_them_too(fake, client, clock):
    fake.script("codex", [Fault.status(503, headers=OPENAI_TOKENS_OUT)])
    with pytest.raises(ProviderUnavailable) as caught:
        await openai(OpenAIResponsesAdapter, fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert caught.value.rate_limit.tokens_remaining == 0


async def test_an_anthropic_429_carries_what_its_rate_limit_headers_say(fake, client, clock):
    reset = clock.now() + 30.0
    headers = {"anthropic-ratelimit-tokens-limit": "96000", "anthropic-ratelimit-tokens-remaining": "0",
               "anthropic-ratelimit-tokens-reset": rfc3339(reset)}
    fake.script("claude", [Fault.rate_limited(retry_after=2.0, headers=headers)])
    adapter = AnthropicAdapter(client=client, base_url=fake.base_url("claude"), api_key="sk-ant-test",
                               provider="claude", clock=clock, default_model="claude-sonnet-4-5")
    with pytest.raises(RateLimited) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    seen = caught.value.rate_limit
    assert (seen.tokens_limit, seen.tokens_remaining, seen.tokens_reset_at) == (96000, 0, reset)


async def test_an_error_without_rate_limit_headers_carries_none(fake, client, clock):
    fake.script("codex", [Fault.rate_limited(retry_after=1.0)])
    with pytest.raises(RateLimited) as caught:
        await openai(OpenAIResponsesAdapter, fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert caught.value.rate_limit is None
    fake.script("gemini", [Fault.rate_limited(retry_after=1.0)])  # Gemini sends no rate-limit headers (3.7)
    gemini = GeminiAdapter(client=client, base_url=fake.base_url("gemini"), api_key="AIza-test", provider="gemini",
                           clock=clock, default_model="gemini-2.5-flash")
    with pytest.raises(RateLimited) as caught:
        await gemini.complete(CompletionRequest(prompt="x"))
    assert caught.value.rate_limit is None


@pytest.mark.parametrize(("age", "wait"), [("20", 10.0), ("45", 0.0), ("soon", 30.0)])
async def test_a_cached_429s_age_is_taken_off_its_retry_after(fake, client, clock, age, wait):
    # A 429 a proxy or cache kept for 20 s says Retry-After: 30 from when it was made (RFC 9111 5.1): 10 s are
    # left, not 30; an Age past the wait leaves none; an Age that is no number is ignored.
    fake.script("codex", [Fault.rate_limited(retry_after=30.0, headers={"age": age})])
    with pytest.raises(RateLimited) as caught:
        await openai(OpenAIResponsesAdapter, fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert caught.value.retry_after == wait


async def test_a_cached_503s_age_is_taken_off_its_retry_after(fake, client, clock):
    fake.script("codex", [Fault.status(503, retry_after=30.0, headers={"age": "20"})])
    with pytest.raises(ProviderUnavailable) as caught:
        await openai(OpenAIResponsesAdapter, fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert caught.value.retry_after == 10.0
