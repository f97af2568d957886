"""200 answers from provider-apis.md (1.2-1.4, 3.3) and their real variants that are no plain answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from router_core.clock import FakeClock
from router_core.errors import ProviderRefused, ProviderUnavailable
from router_core.execution.recovery import FALL_BACK, RETRY, next_step
from router_core.providers import CompletionRequest, GeminiAdapter, OpenAIChatAdapter, OpenAIResponsesAdapter
from router_core.settings import ExecutionSettings


async def complete(cls, base_url: str, model: str, body: dict[str, Any], headers: dict[str, str] | None = None):
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body, headers=headers))
    async with httpx.AsyncClient(transport=transport) as client:
        adapter = cls(client=client, base_url=base_url, api_key="k", provider="p", clock=FakeClock(),
                      default_model=model)
        return await adapter.complete(CompletionRequest(prompt="hi"))


def step(error: Exception):
    return next_step(error, 0, ExecutionSettings(), 0.0, lambda: 0.5)


async def test_chat_content_as_a_list_of_parts_gives_its_text():
    # Some compatible servers send content as parts, a thinking part before the text (1.4 documents a string).
    message = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": [{"type": "text", "text": "let me think"}]},
        {"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}]}
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}}
    answer = await complete(OpenAIChatAdapter, "https://api.openai.com/v1", "m", body)
    assert answer.text == "Hello there"
    assert (answer.input_tokens, answer.output_tokens) == (19, 10)


async def test_responses_status_failed_says_the_models_error_not_a_malformed_response():
    # 1.3: response.failed carries response.error {"code": "server_error", "message": "The model failed ..."}.
    body = {"id": "resp_1", "object": "response", "status": "failed", "model": "gpt-5.4", "output": [],
            "error": {"code": "server_error", "message": "The model failed to generate a response."},
            "incomplete_details": None, "usage": None}
    with pytest.raises(ProviderUnavailable) as caught:
        await complete(OpenAIResponsesAdapter, "https://api.openai.com/v1", "gpt-5.4", body)
    assert str(caught.value) == ("p failed to answer (response status failed, server_error): The model failed to "
                                 "generate a response.")
    assert step(caught.value).action == RETRY


async def test_responses_status_failed_keeps_what_its_rate_limit_headers_say():
    # Its headers were dropped with the answer, so the usage state missed what the key had left.
    body = {"id": "resp_1", "object": "response", "status": "failed", "model": "gpt-5.4", "output": [],
            "error": {"code": "server_error", "message": "The model failed to generate a response."}}
    headers = {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "3",
               "x-ratelimit-reset-requests": "6s"}
    with pytest.raises(ProviderUnavailable) as caught:
        await complete(OpenAIResponsesAdapter, "https://api.openai.com/v1", "gpt-5.4", body, headers)
    seen = caught.value.rate_limit
    assert seen is not None and (seen.requests_limit, seen.requests_remaining) == (500, 3)


@pytest.mark.parametrize("reason", ["OTHER", "LANGUAGE", "MALFORMED_FUNCTION_CALL"])
async def test_gemini_stopped_before_any_text_is_no_empty_success(reason):
    # 3.3: a finishReason other than STOP / MAX_TOKENS with no parts is no answer, not an empty one.
    body = {"candidates": [{"finishReason": reason, "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10}, "modelVersion": "gemini-3.7-flash"}
    with pytest.raises(ProviderRefused) as caught:
        await complete(GeminiAdapter, "https://generativelanguage.googleapis.com", "gemini-3.7-flash", body)
    assert f"finishReason {reason}" in str(caught.value)
    assert caught.value.billed is not None and caught.value.billed.input_tokens == 10
    assert step(caught.value).action == FALL_BACK


async def test_gemini_other_after_text_keeps_the_text():
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Answer"}]}, "finishReason": "OTHER"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12}}
    answer = await complete(GeminiAdapter, "https://generativelanguage.googleapis.com", "g", body)
    assert answer.text == "Answer"
