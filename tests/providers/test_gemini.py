"""Gemini generateContent adapter against the fake server."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from router_core.errors import AuthFailed, ProviderRejected, ProviderUnavailable, QuotaExhausted, RateLimited
from router_core.providers import CompletionRequest, GeminiAdapter
from tests.fakes.fake_provider import Fault, Limits

pytestmark = pytest.mark.slow


def adapter(fake, client, clock, **kw) -> GeminiAdapter:
    args = dict(client=client, base_url=fake.base_url("gemini"), api_key="AIza-test", provider="gemini",
                clock=clock, default_model="gemini-2.5-flash")
    return GeminiAdapter(**{**args, **kw})


async def test_success_with_body_and_headers(fake, client, clock):
    fake.script("gemini", [Fault.ok(text="TCP is reliable.", output_tokens=6)])
    request = CompletionRequest(prompt="Explain TCP", system_prompt="Be terse.", max_output_tokens=128)
    result = await adapter(fake, client, clock).complete(request)
    sent = fake.last_request("gemini")
    assert sent.path == "/gemini/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "AIza-test"
    assert sent.json == {"contents": [{"role": "user", "parts": [{"text": "Explain TCP"}]}],
                         "systemInstruction": {"parts": [{"text": "Be terse."}]},
                         "generationConfig": {"maxOutputTokens": 128}}
    assert (result.text, result.output_tokens, result.model) == ("TCP is reliable.", 6, "gemini-2.5-flash")
    assert result.input_tokens == -(-len("Be terse.Explain TCP") // 4)
    assert result.rate_limit is None  # Gemini sends no rate-limit headers


@pytest.mark.parametrize(
    ("fault", "error", "attrs"),
    [
        (Fault.rate_limited(retry_after=17), RateLimited, {"retry_after": 17.0}),
        (Fault.status(503), ProviderUnavailable, {"status_code": 503}),
        (Fault.status(500), ProviderUnavailable, {"status_code": 500}),
        (Fault.auth(), AuthFailed, {"status_code": 400}),
        (Fault.status(400), ProviderRejected, {"status_code": 400}),
        (Fault.malformed(), ProviderUnavailable, {"status_code": 200}),
    ],
)
async def test_faults_map_to_errors(fake, client, clock, fault, error, attrs):
    fake.script("gemini", [fault])
    with pytest.raises(error) as caught:
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert type(caught.value) is error
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value


async def test_per_day_quota_resets_at_midnight_pacific(fake, client, clock):
    fake.script("gemini", [Fault.quota()])
    with pytest.raises(QuotaExhausted) as caught:
        await adapter(fake, client, clock).complete(CompletionRequest(prompt="x"))
    # FakeClock starts at 2026-01-01T00:00Z = 2025-12-31 16:00 in Los Angeles (PST, UTC-8).
    assert caught.value.resets_at == datetime(2026, 1, 1, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    assert caught.value.resets_at - clock.now() == 8 * 3600


async def test_missing_key_is_auth_failed(fake, client, clock):
    with pytest.raises(AuthFailed, match="403"):
        await adapter(fake, client, clock, api_key=None).complete(CompletionRequest(prompt="x"))


async def test_limiter_429_is_per_minute_rate_limited(fake, client, clock):
    fake.set_limits("gemini", Limits(requests_per_minute=2))
    a = adapter(fake, client, clock)
    await a.complete(CompletionRequest(prompt="x"))
    await a.complete(CompletionRequest(prompt="x"))
    with pytest.raises(RateLimited) as caught:
        await a.complete(CompletionRequest(prompt="x"))
    assert 1 <= caught.value.retry_after <= 60
    assert fake.stats("gemini").limit_429 == 1


async def test_thought_parts_skipped_and_thinking_counted_as_output(clock):
    body = {"candidates": [{"content": {"role": "model", "parts": [
                {"text": "planning...", "thought": True}, {"text": "TCP is a reliable "}, {"text": "byte stream."}]},
                "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 3195, "candidatesTokenCount": 1765, "thoughtsTokenCount": 376,
                              "totalTokenCount": 5336, "cachedContentTokenCount": 1000},
            "modelVersion": "gemini-3.7-flash"}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
        a = GeminiAdapter(client=c, base_url="https://generativelanguage.googleapis.com/", api_key="k",
                          provider="gemini", clock=clock, default_model="gemini-3.7-flash")
        result = await a.complete(CompletionRequest(prompt="x"))
    assert seen == ["/v1beta/models/gemini-3.7-flash:generateContent"]
    assert result.text == "TCP is a reliable byte stream."
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (3195, 1000, 1765 + 376)


async def test_blocked_prompt_is_rejected(clock):
    body = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 8}}
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))) as c:
        a = GeminiAdapter(client=c, base_url="https://g", api_key="k", provider="gemini", clock=clock,
                          default_model="m")
        with pytest.raises(ProviderRejected, match="SAFETY"):
            await a.complete(CompletionRequest(prompt="x"))


@pytest.mark.parametrize(("body", "billed"), [
    ({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "modelVersion": "gemini-2.5-flash-001",
      "usageMetadata": {"promptTokenCount": 812, "cachedContentTokenCount": 100, "totalTokenCount": 812}},
     ("gemini-2.5-flash-001", 812, 100, 0)),
    ({"promptFeedback": {"blockReason": "OTHER"}, "usageMetadata": {"promptTokenCount": 40, "thoughtsTokenCount": 12}},
     ("m", 40, 0, 12)),
    ({"promptFeedback": {}, "usageMetadata": {"promptTokenCount": 40}}, ("m", 40, 0, 0)),  # no reason given
    ({"promptFeedback": {"blockReason": "SAFETY"}}, None),  # no usage: nothing reported, nothing charged
    ({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"totalTokenCount": 0}}, None),
])
async def test_a_response_with_no_candidates_carries_the_tokens_its_usage_reports(clock, body, billed):
    # A blocked prompt was read and billed (usageMetadata.promptTokenCount), but the error carried no usage: the
    # budget, the pace window and the audit line saw nothing.
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body))) as c:
        a = GeminiAdapter(client=c, base_url="https://g", api_key="k", provider="gemini", clock=clock,
                          default_model="m")
        with pytest.raises(ProviderRejected) as caught:
            await a.complete(CompletionRequest(prompt="x"))
    got = caught.value.billed
    assert (got and (got.model, got.input_tokens, got.cached_input_tokens, got.output_tokens, got.text)) == (
        billed and (*billed, ""))
