"""Odd but real 200 answers: refusals, content filters, answers cut at the token limit, missing usage.

A refusal or a content-filter stop is ProviderRejected with the provider's words, and the executor falls
back (another provider may answer); an answer cut before any text is ProviderRejected that stops (only a
larger cap helps); a cut answer with text is a success marked ``truncated``; a paid 200 without usage
keeps its answer with estimated counts (``usage_estimated``) instead of being retried and paid twice.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from router_core.errors import ProviderRejected
from router_core.execution.recovery import FALL_BACK, STOP, next_step
from router_core.providers import (
    AnthropicAdapter,
    CompletionRequest,
    GeminiAdapter,
    OpenAIChatAdapter,
    OpenAIResponsesAdapter,
)
from router_core.settings import ExecutionSettings

# 40 + 400 characters sent: an estimated 110 input tokens; "Part of an answer" (17 characters): 5 output.
REQUEST = CompletionRequest(prompt="p" * 400, system_prompt="s" * 40, max_output_tokens=300)
SENT_TOKENS = 110
TEXT = "Part of an answer"
TEXT_TOKENS = 5

ADAPTERS = {
    "responses": (OpenAIResponsesAdapter, "codex", "https://api.openai.com/v1", "gpt-5.4"),
    "chat": (OpenAIChatAdapter, "codex", "https://api.openai.com/v1", "gpt-5.4"),
    "anthropic": (AnthropicAdapter, "claude", "https://api.anthropic.com", "claude-sonnet-4-6"),
    "gemini": (GeminiAdapter, "gemini", "https://generativelanguage.googleapis.com", "gemini-3.7-flash"),
}


async def complete(kind: str, body: dict[str, Any], clock, request: CompletionRequest = REQUEST):
    cls, provider, base_url, model = ADAPTERS[kind]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = cls(client=c, base_url=base_url, api_key="k", provider=provider, clock=clock, default_model=model)
        return await adapter.complete(request)


def anthropic(content: list[dict[str, Any]], stop_reason: str, usage: Any = ..., **extra: Any) -> dict[str, Any]:
    body = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": content, "stop_reason": stop_reason, "stop_sequence": None, **extra}
    if usage is not ...:
        body["usage"] = usage
    return body


def responses(output: list[dict[str, Any]], status: str = "completed", reason: str | None = None,
              usage: Any = ...) -> dict[str, Any]:
    body = {"id": "resp_1", "object": "response", "status": status, "error": None, "model": "gpt-5.4",
            "incomplete_details": {"reason": reason} if reason else None, "output": output}
    if usage is not ...:
        body["usage"] = usage
    return body


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": list(parts)}


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


def chat(content: str | None, finish_reason: str, refusal: str | None = None, usage: Any = ...) -> dict[str, Any]:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-5.4",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal,
                                                 "annotations": []},
                         "logprobs": None, "finish_reason": finish_reason}]}
    if usage is not ...:
        body["usage"] = usage
    return body


def gemini(parts: list[dict[str, Any]] | None, finish_reason: str, usage: Any = ..., **extra: Any) -> dict[str, Any]:
    candidate = {"finishReason": finish_reason, "index": 0, **extra}
    if parts is not None:
        candidate["content"] = {"role": "model", "parts": parts}
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-3.7-flash"}
    if usage is not ...:
        body["usageMetadata"] = usage
    return body


ANTHROPIC_USAGE = {"input_tokens": 12, "output_tokens": 9}
RESPONSES_USAGE = {"input_tokens": 36, "output_tokens": 87}
CHAT_USAGE = {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}
GEMINI_USAGE = {"promptTokenCount": 3195, "candidatesTokenCount": 1765, "totalTokenCount": 4960}


def recovery(error: ProviderRejected) -> str:
    return next_step(error, 0, ExecutionSettings(), 0.0, lambda: 0.5).action


# -- refusals and content filters: ProviderRejected with the provider's words; fall back ---------------


@pytest.mark.parametrize(
    ("kind", "body", "said"),
    [
        ("anthropic", anthropic([], "refusal", ANTHROPIC_USAGE, stop_details={
            "type": "refusal", "category": "cyber", "explanation": "This looks like malware development."}),
         "This looks like malware development."),
        ("anthropic", anthropic([], "refusal", ANTHROPIC_USAGE), "stop_reason refusal"),
        ("responses", responses([message({"type": "refusal", "refusal": "I can't help with that."})],
                                usage=RESPONSES_USAGE), "I can't help with that."),
        ("responses", responses([message(output_text("Sure, here"))], "incomplete", "content_filter",
                                RESPONSES_USAGE), "content filter"),
        ("chat", chat(None, "stop", refusal="I'm sorry, I can't assist with that.", usage=CHAT_USAGE),
         "I'm sorry, I can't assist with that."),
        ("chat", chat("", "content_filter", usage=CHAT_USAGE), "content filter"),
        ("chat", chat("Partial text", "content_filter", usage=CHAT_USAGE), "content filter"),
        ("gemini", gemini(None, "SAFETY", GEMINI_USAGE, safetyRatings=[
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]),
         "finishReason SAFETY: HARM_CATEGORY_DANGEROUS_CONTENT"),
        ("gemini", gemini([], "RECITATION", GEMINI_USAGE), "finishReason RECITATION"),
        ("gemini", gemini([{"text": "Some"}], "PROHIBITED_CONTENT", GEMINI_USAGE), "PROHIBITED_CONTENT"),
        ("gemini", gemini(None, "BLOCKLIST", GEMINI_USAGE), "BLOCKLIST"),
        ("gemini", gemini(None, "SPII", GEMINI_USAGE, finishMessage="Personal data."), "SPII: Personal data."),
        ("gemini", {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 8}},
         "prompt blocked (PROHIBITED_CONTENT)"),
    ],
)
async def test_a_refusal_is_rejected_with_its_words_and_falls_back(clock, kind, body, said):
    with pytest.raises(ProviderRejected) as caught:
        await complete(kind, body, clock)
    error = caught.value
    assert said in str(error)
    assert "refused" in str(error)
    assert (error.status_code, error.retryable, error.fallback_helps) == (200, False, True)
    assert recovery(error) == FALL_BACK
    assert ProviderRejected.fallback_helps is False  # only this error: an ordinary 4xx still stops
    if "prompt blocked" not in said:  # an answer was generated and billed: its tokens go to the budget
        assert error.billed is not None and error.billed.input_tokens > 0


async def test_a_refusal_part_beside_text_keeps_the_text(clock):
    body = responses([message(output_text(TEXT), {"type": "refusal", "refusal": "not the rest"})],
                     usage=RESPONSES_USAGE)
    result = await complete("responses", body, clock)
    assert (result.text, result.stop_reason, result.truncated) == (TEXT, "completed", False)


# -- cut at the token limit: text is a truncated success; no text stops with what to raise ---------------


@pytest.mark.parametrize(
    ("kind", "body", "stop_reason"),
    [
        ("anthropic", anthropic([{"type": "thinking", "thinking": "hmm", "signature": "x"},
                                 {"type": "text", "text": TEXT}], "max_tokens", ANTHROPIC_USAGE), "max_tokens"),
        ("responses", responses([{"type": "reasoning", "id": "rs_1", "summary": []}, message(output_text(TEXT))],
                                "incomplete", "max_output_tokens", RESPONSES_USAGE), "max_output_tokens"),
        ("chat", chat(TEXT, "length", usage=CHAT_USAGE), "length"),
        ("gemini", gemini([{"text": TEXT}], "MAX_TOKENS", GEMINI_USAGE), "MAX_TOKENS"),
    ],
)
async def test_an_answer_cut_with_text_is_a_truncated_success(clock, kind, body, stop_reason):
    result = await complete(kind, body, clock)
    assert (result.text, result.truncated, result.stop_reason, result.usage_estimated) == (
        TEXT, True, stop_reason, False)


@pytest.mark.parametrize(
    ("kind", "body", "limit"),
    [
        ("anthropic", anthropic([], "max_tokens", {"input_tokens": 5, "output_tokens": 300}), "(300 tokens)"),
        ("anthropic", anthropic([{"type": "thinking", "thinking": "long...", "signature": "x"}], "max_tokens",
                                {"input_tokens": 5, "output_tokens": 300}), "(300 tokens)"),
        ("responses", responses([{"type": "reasoning", "id": "rs_1", "summary": []}], "incomplete",
                                "max_output_tokens", {"input_tokens": 3, "output_tokens": 300}), "(300 tokens)"),
        ("chat", chat(None, "length", usage=CHAT_USAGE), "(300 tokens)"),
        ("gemini", gemini(None, "MAX_TOKENS", {"promptTokenCount": 5, "thoughtsTokenCount": 300}), "(300 tokens)"),
    ],
)
async def test_an_answer_cut_before_any_text_stops_and_says_what_to_raise(clock, kind, body, limit):
    with pytest.raises(ProviderRejected, match=r"cut at max tokens .* before any text .*raise max_cost") as caught:
        await complete(kind, body, clock)
    assert limit in str(caught.value)
    assert (caught.value.retryable, caught.value.fallback_helps) == (False, False)
    assert recovery(caught.value) == STOP


async def test_anthropic_cut_without_a_requested_limit_names_the_default_sent(clock):
    body = anthropic([], "max_tokens", {"input_tokens": 5, "output_tokens": 4096})
    with pytest.raises(ProviderRejected, match=r"\(4096 tokens\)"):
        await complete("anthropic", body, clock, CompletionRequest(prompt="x"))


@pytest.mark.parametrize(
    ("content", "stop_reason"),
    [
        ([{"type": "tool_use", "id": "toolu_1", "name": "search", "input": {}}], "tool_use"),
        ([{"type": "thinking", "thinking": "hmm", "signature": "x"}], "end_turn"),
    ],
)
async def test_anthropic_tool_use_or_thinking_only_is_an_empty_answer_with_its_stop_reason(clock, content,
                                                                                          stop_reason):
    result = await complete("anthropic", anthropic(content, stop_reason, ANTHROPIC_USAGE), clock)
    assert (result.text, result.stop_reason, result.truncated) == ("", stop_reason, False)
    assert (result.input_tokens, result.output_tokens) == (12, 9)


# -- usage missing, null or negative: keep the paid answer, estimate the missing counts -------------------


@pytest.mark.parametrize(
    ("kind", "body", "tokens"),
    [
        ("anthropic", anthropic([{"type": "text", "text": TEXT}], "end_turn"), (SENT_TOKENS, TEXT_TOKENS)),
        ("anthropic", anthropic([{"type": "text", "text": TEXT}], "end_turn", None), (SENT_TOKENS, TEXT_TOKENS)),
        ("anthropic", anthropic([{"type": "text", "text": TEXT}], "end_turn",
                                {"input_tokens": None, "output_tokens": None}), (SENT_TOKENS, TEXT_TOKENS)),
        ("anthropic", anthropic([{"type": "text", "text": TEXT}], "end_turn",
                                {"input_tokens": None, "cache_read_input_tokens": 100, "output_tokens": 9}),
         (SENT_TOKENS, 9)),
        ("responses", responses([message(output_text(TEXT))]), (SENT_TOKENS, TEXT_TOKENS)),
        ("responses", responses([message(output_text(TEXT))], usage=None), (SENT_TOKENS, TEXT_TOKENS)),
        ("responses", responses([message(output_text(TEXT))], usage={"input_tokens": 36, "output_tokens": None}),
         (36, TEXT_TOKENS)),
        ("chat", chat(TEXT, "stop"), (SENT_TOKENS, TEXT_TOKENS)),
        ("chat", chat(TEXT, "stop", usage={"prompt_tokens": None, "completion_tokens": None}),
         (SENT_TOKENS, TEXT_TOKENS)),
        ("gemini", gemini([{"text": TEXT}], "STOP"), (SENT_TOKENS, TEXT_TOKENS)),
        ("gemini", gemini([{"text": TEXT}], "STOP", {"promptTokenCount": None, "candidatesTokenCount": None}),
         (SENT_TOKENS, TEXT_TOKENS)),
    ],
)
async def test_a_paid_answer_without_usage_is_kept_with_estimated_counts(clock, caplog, kind, body, tokens):
    with caplog.at_level(logging.INFO, logger="router_core.providers.answers"):
        result = await complete(kind, body, clock)
    assert result.text == TEXT
    assert (result.input_tokens, result.output_tokens) == tokens
    assert result.usage_estimated is True
    assert any("usage missing" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)


@pytest.mark.parametrize(
    ("kind", "body", "tokens"),
    [
        ("anthropic", anthropic([{"type": "text", "text": TEXT}], "end_turn",
                                {"input_tokens": -500, "cache_read_input_tokens": -7, "output_tokens": -2}),
         (SENT_TOKENS, TEXT_TOKENS, 0)),
        ("responses", responses([message(output_text(TEXT))], usage={
            "input_tokens": -500, "output_tokens": -2, "input_tokens_details": {"cached_tokens": -3}}),
         (SENT_TOKENS, TEXT_TOKENS, 0)),
        ("chat", chat(TEXT, "stop", usage={"prompt_tokens": -500, "completion_tokens": -2,
                                           "prompt_tokens_details": {"cached_tokens": 900}}),
         (SENT_TOKENS, TEXT_TOKENS, SENT_TOKENS)),
        ("gemini", gemini([{"text": TEXT}], "STOP", {"promptTokenCount": -500, "candidatesTokenCount": -2,
                                                      "thoughtsTokenCount": -9, "cachedContentTokenCount": -1}),
         (SENT_TOKENS, TEXT_TOKENS, 0)),
    ],
)
async def test_negative_counts_are_not_taken(clock, kind, body, tokens):
    result = await complete(kind, body, clock)
    assert (result.input_tokens, result.output_tokens, result.cached_input_tokens) == tokens
    assert result.usage_estimated is True


async def test_gemini_leaves_out_zero_counts_so_an_empty_answer_is_not_estimated(clock):
    body = gemini([], "STOP", {"promptTokenCount": 40, "totalTokenCount": 40})
    result = await complete("gemini", body, clock)
    assert (result.text, result.input_tokens, result.output_tokens, result.usage_estimated) == ("", 40, 0, False)
