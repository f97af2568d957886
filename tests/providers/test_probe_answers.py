"""An outage probe asks for the smallest answer (16 tokens on the Responses API, 1 elsewhere). A reasoning or
thinking model (gpt-5.x, Gemini 2.5+) spends that on thinking and answers 200 with no text, cut at the cap:
the provider answered, so the probe must count as answered; a task's call still raises (raise the cap)."""

from __future__ import annotations

import httpx
import pytest

from router_core.errors import ProviderRejected
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter
from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.openai import OpenAIChatAdapter

CUT = {
    # provider-apis.md 1.2: status incomplete, incomplete_details.reason max_output_tokens, a reasoning item only
    "responses": (OpenAIResponsesAdapter, {
        "model": "gpt-5.1-codex", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
        "output": [{"type": "reasoning", "id": "rs_1", "summary": []}],
        "usage": {"input_tokens": 14, "output_tokens": 16, "output_tokens_details": {"reasoning_tokens": 16}}}),
    "chat": (OpenAIChatAdapter, {
        "model": "m", "choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 14, "completion_tokens": 1}}),
    # 3.3: thinking counts against maxOutputTokens; the candidate has no text part
    "gemini": (GeminiAdapter, {
        "candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS", "index": 0}],
        "usageMetadata": {"promptTokenCount": 8, "thoughtsTokenCount": 1, "totalTokenCount": 9},
        "modelVersion": "gemini-2.5-flash"}),
    "anthropic": (AnthropicAdapter, {
        "model": "m", "content": [{"type": "thinking", "thinking": "", "signature": "s"}],
        "stop_reason": "max_tokens", "usage": {"input_tokens": 14, "output_tokens": 1}}),
}


def adapter(kind: str, client: httpx.AsyncClient, clock):
    cls, _ = CUT[kind]
    return cls(client=client, base_url="https://api.example/v1", api_key="k", provider="p", clock=clock,
               default_model="m")


@pytest.mark.parametrize("kind", list(CUT))
async def test_a_probe_cut_at_its_tiny_cap_before_any_text_counts_as_answered(kind, clock):
    """Before, the probe raised ProviderRejected ("cut at max tokens before any text") and the outage probe
    recorded a failure: after any outage, a reasoning model's circuit never closed again."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=CUT[kind][1]))
    async with httpx.AsyncClient(transport=transport) as c:
        answer = await adapter(kind, c, clock).probe()
        assert answer.truncated and answer.text == "" and answer.input_tokens > 0 and answer.output_tokens > 0
        with pytest.raises(ProviderRejected, match="cut at max tokens"):  # a task's call: unchanged
            await adapter(kind, c, clock).complete(CompletionRequest(prompt="x", max_output_tokens=16))


async def test_a_probe_still_raises_when_the_provider_did_not_answer(clock):
    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                      "code": "invalid_api_key"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=body))
    async with httpx.AsyncClient(transport=transport) as c:
        with pytest.raises(ProviderRejected, match="Incorrect API key"):
            await adapter("responses", c, clock).probe()
