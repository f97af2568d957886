"""Anthropic Messages adapter against the fake server."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from router_core.errors import AuthFailed, ProviderRejected, ProviderUnavailable, QuotaExhausted, RateLimited
from router_core.providers import AnthropicAdapter, CompletionRequest
from tests.fakes.fake_provider import Fault, Limits

pytestmark = pytest.mark.slow


def adapter(fake, client, clock, **kw) -> AnthropicAdapter:
    args = dict(client=client, base_url=fake.base_url("claude"), api_key="sk-ant-test", provider="claude",
                clock=clock, default_model="claude-sonnet-4-5")
    return AnthropicAdapter(**{**args, **kw})


async def test_success_with_body_headers_and_rate_limits(fake, client, clock):
    fake.set_limits("claude", Limits(requests_per_minute=40, tokens_per_minute=8_000))
    fake.script("claude", [Fault.ok(text="Use a queue.", output_tokens=25)])
    request = CompletionRequest(prompt="design it", system_prompt="You are an architect.", max_output_tokens=900)
    result = await adapter(fake, client, clock).complete(request)
    sent = fake.last_request("claude")
    assert sent.path == "/claude/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json == {"model": "claude-sonnet-4-5", "max_tokens": 900, "system": "You are an architect.",
                         "messages": [{"role": "user", "content": "design it"}]}
    assert (result.text, result.output_tokens, result.backend) == ("Use a queue.", 25, "api")
    assert result.input_tokens == -(-len("You are an architect.design it") // 4)
    observed = result.rate_limit
    assert (observed.requests_limit, observed.requests_remaining, observed.tokens_limit) == (40, 39, 8_000)
    assert observed.tokens_remaining == 8_000 - result.input_tokens - 25
    assert 0 <= observed.requests_reset_at - time.time() <= 61  # RFC 3339, whole seconds


async def test_max_tokens_defaults_when_not_given(fake, client, clock):
    await adapter(fake, client, clock).complete(CompletionRequest(prompt="hi"))
    sent = fake.last_request("claude").json
    assert sent["max_tokens"] == 4096
    assert "system" not in sent


@pytest.mark.parametrize(
    ("fault", "error", "attrs"),
    [
        (Fault.status(529), ProviderUnavailable, {"status_code": 529}),
        (Fault.status(500), ProviderUnavailable, {"status_code": 500}),
        (Fault.rate_limited(retry_after=12), RateLimited, {"retry_after": 12.0}),
        (Fault.auth(), AuthFailed, {"status_code": 401}),
        (Fault.status(400), ProviderRejected, {"status_code": 400}),
        (Fault.malformed(), ProviderUnavailable, {"status_code": 200}),
    ],
)
async def test_faults_map_to_errors(fake, client, clock, fault, error, attrs):
    fake.script("claude", [fault])
    with pytest.raises(error) as caught:
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert type(caught.value) is error
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value


async def test_rate_limited_message(fake, client, clock):
    fake.script("claude", [Fault.rate_limited(retry_after=12)])
    with pytest.raises(RateLimited, match=r"^claude rate limited \(429\): retry after 12s"):
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x"))


async def test_spend_cap_is_quota_exhausted_until_the_date_it_names(fake, client, clock):
    fake.script("claude", [Fault.quota()])
    with pytest.raises(QuotaExhausted) as caught:
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x"))
    resets = datetime.fromtimestamp(caught.value.resets_at, UTC)
    assert (resets.day, resets.hour, resets.minute) == (1, 0, 0)
    assert resets.timestamp() > time.time()
    assert "resets at" in str(caught.value)


async def test_limiter_429_carries_retry_after(fake, client, clock):
    fake.set_limits("claude", Limits(requests_per_minute=1))
    a = adapter(fake, client, clock)
    await a.complete(CompletionRequest(prompt="x"))
    with pytest.raises(RateLimited) as caught:
        await a.complete(CompletionRequest(prompt="x"))
    assert 1 <= caught.value.retry_after <= 60  # the header is whole seconds


async def test_hang_is_unavailable(fake, client, clock):
    fake.script("claude", [Fault.hang(30)])
    with pytest.raises(ProviderUnavailable, match="timed out"):
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x", timeout=0.3))


async def test_cache_tokens_count_as_input(clock):
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "A"},
                        {"type": "text", "text": "B"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 18, "cache_creation_input_tokens": 14760, "cache_read_input_tokens": 169817,
                      "output_tokens": 2577}}
    headers = {  # the real 200 headers quoted in provider-apis.md 2.6: no combined tokens-* family here
        "anthropic-ratelimit-input-tokens-limit": "80000", "anthropic-ratelimit-input-tokens-remaining": "80000",
        "anthropic-ratelimit-input-tokens-reset": "2025-08-21T12:40:59Z",
        "anthropic-ratelimit-output-tokens-limit": "16000", "anthropic-ratelimit-output-tokens-remaining": "4000",
        "anthropic-ratelimit-output-tokens-reset": "2025-08-21T12:41:00Z",
        "anthropic-ratelimit-requests-limit": "1000", "anthropic-ratelimit-requests-remaining": "999",
        "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z",
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body, headers=headers))
    async with httpx.AsyncClient(transport=transport) as c:
        a = AnthropicAdapter(client=c, base_url="https://api.anthropic.com", api_key="k", provider="claude",
                             clock=clock, default_model="claude-sonnet-4-5")
        result = await a.complete(CompletionRequest(prompt="x"))
    assert result.text == "AB"
    assert result.model == "claude-sonnet-4-5-20250929"
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (184595, 169817, 2577)
    observed = result.rate_limit
    assert (observed.requests_limit, observed.requests_remaining) == (1000, 999)
    assert (observed.tokens_limit, observed.tokens_remaining) == (16000, 4000)  # output is the tighter one
    assert observed.tokens_reset_at == datetime(2025, 8, 21, 12, 41, tzinfo=UTC).timestamp()
