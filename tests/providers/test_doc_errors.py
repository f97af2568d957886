"""Errors no retry can fix, from the API bodies and CLI messages of provider-apis.md (1.6, 2.5, 3.6, 5.x) and
their real variants: an unknown model (ModelNotFound: fall back, and the message names the setting to fix)
and a request over the model's context or size limit (RequestTooLarge: fall back to a provider whose model
may fit it, never retry the same request).
"""

from __future__ import annotations

import json
from datetime import UTC

import httpx
import pytest

from router_core.errors import (
    ModelNotFound,
    ProviderError,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
)
from router_core.execution.recovery import FALL_BACK, next_step
from router_core.providers import (
    AnthropicAdapter,
    CompletionRequest,
    GeminiAdapter,
    OpenAIChatAdapter,
    OpenAIResponsesAdapter,
)
from router_core.providers.cli import CliRun, ParseContext
from router_core.providers.cli_claude import parse as parse_claude
from router_core.providers.cli_codex import parse as parse_codex
from router_core.providers.cli_gemini import parse as parse_gemini
from router_core.settings import ExecutionSettings

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

ADAPTERS = {
    "responses": (OpenAIResponsesAdapter, "codex", "https://api.openai.com/v1", "gpt-9"),
    "chat": (OpenAIChatAdapter, "codex", "https://api.openai.com/v1", "gpt-9"),
    "anthropic": (AnthropicAdapter, "claude", "https://api.anthropic.com", "claude-sonnet-9"),
    "gemini": (GeminiAdapter, "gemini", "https://generativelanguage.googleapis.com", "gemini-9"),
}


def openai_error(message: str, kind: str, code: str | None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def anthropic_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011CaJuMubY2SuiToByp4MH4"}


def google_error(code: int, message: str, status: str) -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


async def call(kind: str, status: int, body: dict | str) -> Exception:
    cls, provider, base_url, model = ADAPTERS[kind]

    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        adapter = cls(client=client, base_url=base_url, api_key="k", provider=provider, clock=_Clock(),
                      default_model=model)
        with pytest.raises(ProviderError) as caught:
            await adapter.complete(CompletionRequest(prompt="hi"))
    return caught.value


class _Clock:
    def now(self) -> float:
        return NOW


def step(error: Exception):
    return next_step(error, 0, ExecutionSettings(), NOW, lambda: 0.5)


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("responses", 404, openai_error("The model `gpt-9` does not exist or you do not have access to it.",
                                        "invalid_request_error", "model_not_found")),
        ("chat", 404, openai_error("The model `gpt-9` does not exist or you do not have access to it.",
                                   "invalid_request_error", "model_not_found")),
        ("chat", 400, openai_error("The requested model 'gpt-9' does not exist.", "invalid_request_error",
                                   "model_not_found", "model")),
        ("anthropic", 404, anthropic_error("not_found_error", "model: claude-sonnet-9")),
        ("gemini", 404, google_error(404, "models/gemini-9 is not found for API version v1beta, or is not supported "
                                          "for generateContent. Call ListModels to see the list of available models "
                                          "and their supported methods.", "NOT_FOUND")),
    ],
)
async def test_an_unknown_model_names_the_setting_and_falls_back_without_retrying(kind, status, body):
    error = await call(kind, status, body)
    provider, model = ADAPTERS[kind][1], ADAPTERS[kind][3]
    assert type(error) is ModelNotFound
    assert error.status_code == status
    assert f"providers.{provider}.default_model" in str(error)
    assert repr(model) in str(error)
    assert not error.retryable
    assert step(error).action == FALL_BACK


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("responses", 400, openai_error("Your input exceeds the context window of this model. Please adjust your "
                                        "input and try again.", "invalid_request_error", "context_length_exceeded",
                                        "input")),
        ("chat", 400, openai_error("This model's maximum context length is 128000 tokens. However, your messages "
                                   "resulted in 130000 tokens. Please reduce the length of the messages.",
                                   "invalid_request_error", "context_length_exceeded", "messages")),
        # Larger than the whole TPM bucket (1.6): "rate_limit_exceeded", but no wait makes it fit.
        ("responses", 429, openai_error("Request too large for gpt-4o in organization org-xxx on tokens per min "
                                        "(TPM): Limit 30000, Requested 34307. The input or output tokens must be "
                                        "reduced in order to run successfully. Visit https://platform.openai.com/"
                                        "account/rate-limits to learn more.", "tokens", "rate_limit_exceeded")),
        ("anthropic", 400, anthropic_error("invalid_request_error",
                                           "prompt is too long: 208310 tokens > 200000 maximum")),
        ("anthropic", 400, anthropic_error("invalid_request_error", "input length and `max_tokens` exceed context "
                                           "limit: 197202 + 21333 > 200000, decrease input length or `max_tokens` "
                                           "and try again")),
        ("anthropic", 413, anthropic_error("request_too_large", "Request exceeds the maximum allowed number of "
                                                               "bytes.")),
        ("anthropic", 413, "<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 "
                           "Request Entity Too Large</h1></center><hr><center>cloudflare</center></body></html>"),
        ("gemini", 400, google_error(400, "The input token count (1200000) exceeds the maximum number of tokens "
                                          "allowed (1048576).", "INVALID_ARGUMENT")),
    ],
)
async def test_a_request_over_the_context_falls_back_without_retrying(kind, status, body):
    error = await call(kind, status, body)
    assert type(error) is RequestTooLarge
    assert error.status_code == status
    assert "retrying will not help" in str(error)
    assert step(error).action == FALL_BACK


FLAGGED = ("Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with "
           "a different prompt: https://platform.openai.com/docs/guides/reasoning#advice-on-prompting")


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        # Real bodies (anthropics/claude-code#6195 and many like it; OpenAI reasoning models' prompt check).
        ("anthropic", anthropic_error("invalid_request_error", "Output blocked by content filtering policy")),
        ("responses", openai_error(FLAGGED, "invalid_request_error", "invalid_prompt")),
        ("chat", openai_error(FLAGGED, "invalid_request_error", "invalid_prompt")),
        # An OpenAI-compatible Azure deployment's filter.
        ("chat", {"error": {"code": "content_filter", "status": 400, "message": "The response was filtered due to the "
                            "prompt triggering Azure OpenAI's content management policy."}}),
    ],
)
async def test_a_400_from_a_content_filter_falls_back_without_retrying(kind, body):
    error = await call(kind, 400, body)
    assert type(error) is ProviderRefused
    assert error.status_code == 400
    assert "content filter" in str(error)
    assert step(error).action == FALL_BACK


@pytest.mark.parametrize("body", [
    openai_error("Slow Down", "service_unavailable_error", "slow_down"),
    openai_error("Slow down: a sudden increase in your request rate is impacting service reliability. Please "
                 "reduce your request rate to its original level.", "service_unavailable_error", None),
])
async def test_openai_503_slow_down_is_a_rate_limit_not_an_outage(body):
    # It counted towards the circuit breaker: three of them opened an outage on a provider that was up and only
    # asked for a lower rate.
    error = await call("responses", 503, body)
    assert type(error) is RateLimited and error.status_code == 503


async def test_an_openai_503_overloaded_is_still_unavailable():
    error = await call("responses", 503, openai_error("The engine is currently overloaded, please try again later",
                                                      "service_unavailable_error", "server_is_overloaded"))
    assert type(error) is ProviderUnavailable


async def test_a_400_that_is_neither_still_stops():
    error = await call("responses", 400, openai_error("Unsupported parameter: 'temperature'",
                                                      "invalid_request_error", "unsupported_parameter"))
    assert type(error) is ProviderRejected
    assert step(error).action == "stop"


async def test_anthropic_credit_balance_400_is_quota_not_a_bad_request():
    # Anthropic answers an empty prepaid balance with a 400 invalid_request_error, not the 402 of the table.
    body = anthropic_error("invalid_request_error", "Your credit balance is too low to access the Anthropic API. "
                                                    "Please go to Plans & Billing to upgrade or purchase credits.")
    cls, provider, base_url, model = ADAPTERS["anthropic"]
    transport = httpx.MockTransport(lambda r: httpx.Response(400, json=body))
    async with httpx.AsyncClient(transport=transport) as client:
        adapter = cls(client=client, base_url=base_url, api_key="k", provider=provider, clock=_Clock(),
                      default_model="claude-sonnet-4-6")
        with pytest.raises(QuotaExhausted) as caught:
            await adapter.complete(CompletionRequest(prompt="hi"))
    assert step(caught.value).action == FALL_BACK
    assert "retrying will not help" in str(caught.value)


async def test_anthropic_context_window_filled_before_text_falls_back_and_is_billed():
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6", "content": [],
            "stop_reason": "model_context_window_exceeded", "stop_sequence": None,
            "usage": {"input_tokens": 199000, "output_tokens": 1000}}
    cls, provider, base_url, _ = ADAPTERS["anthropic"]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    async with httpx.AsyncClient(transport=transport) as client:
        adapter = cls(client=client, base_url=base_url, api_key="k", provider=provider, clock=_Clock(),
                      default_model="claude-sonnet-4-6")
        with pytest.raises(RequestTooLarge) as caught:
            await adapter.complete(CompletionRequest(prompt="hi"))
    assert caught.value.billed is not None and caught.value.billed.input_tokens == 199000
    assert step(caught.value).action == FALL_BACK


# --- the CLIs (5.1-5.3) ---------------------------------------------------------------------------------------

def ctx(provider: str, model: str) -> ParseContext:
    return ParseContext(provider, model, NOW, UTC)


def claude_failure(result: str, status: int | None) -> CliRun:
    data = {"type": "result", "subtype": "success", "is_error": True, "result": result, "session_id": "s",
            "total_cost_usd": 0, "usage": {}, "terminal_reason": "api_error"}
    if status is not None:
        data["api_error_status"] = status
    return CliRun(1, json.dumps(data), "")


def codex_failure(message: str) -> CliRun:
    events = [{"type": "thread.started", "thread_id": "0199a213"}, {"type": "turn.started"},
              {"type": "error", "message": message}, {"type": "turn.failed", "error": {"message": message}}]
    return CliRun(1, "\n".join(json.dumps(e) for e in events), "")


def gemini_failure(message: str) -> CliRun:
    return CliRun(1, "", json.dumps({"session_id": "s", "error": {"type": "Error", "message": message, "code": 1}}))


@pytest.mark.parametrize(
    ("parse", "provider", "run"),
    [
        (parse_claude, "claude", claude_failure('API Error: 404 {"type":"error","error":{"type":"not_found_error",'
                                                '"message":"model: claude-sonnet-9"}}', 404)),
        (parse_codex, "codex", codex_failure('unexpected status 404 Not Found: {"detail":"Model not found gpt-9"}')),
        (parse_codex, "codex", codex_failure("unexpected status 400 Bad Request: {\"detail\":\"The 'gpt-9' model is "
                                             "not supported when using Codex with a ChatGPT account.\"}")),
        (parse_gemini, "gemini", gemini_failure("[API Error: models/gemini-9 is not found for API version v1beta, or "
                                                "is not supported for generateContent. (Status: NOT_FOUND)]")),
    ],
)
def test_cli_unknown_model_names_the_setting_and_falls_back(parse, provider, run):
    with pytest.raises(ModelNotFound) as caught:
        parse(run, ctx(provider, "some-model"))
    assert f"providers.{provider}.default_model" in str(caught.value)
    assert "'some-model'" in str(caught.value)
    assert step(caught.value).action == FALL_BACK


@pytest.mark.parametrize(
    ("parse", "provider", "run"),
    [
        (parse_claude, "claude", claude_failure("Prompt is too long", None)),
        (parse_claude, "claude", claude_failure('API Error: 400 {"type":"error","error":{"type":"invalid_request_'
                                                'error","message":"prompt is too long: 210000 tokens > 200000 '
                                                'maximum"}}', 400)),
        (parse_codex, "codex", codex_failure("Codex ran out of room in the model's context window. Start a new "
                                             "conversation or clear earlier history before retrying.")),
        (parse_gemini, "gemini", gemini_failure("[API Error: The input token count (1200000) exceeds the maximum "
                                                "number of tokens allowed (1048576). (Status: INVALID_ARGUMENT)]")),
    ],
)
def test_cli_context_overflow_falls_back_without_retrying(parse, provider, run):
    with pytest.raises(RequestTooLarge) as caught:
        parse(run, ctx(provider, ""))
    assert step(caught.value).action == FALL_BACK


@pytest.mark.parametrize(
    ("parse", "provider", "run"),
    [
        (parse_claude, "claude", claude_failure('API Error: 400 {"type":"error","error":{"type":"invalid_request_'
                                                'error","message":"Output blocked by content filtering policy"},'
                                                '"request_id":"req_011CaxpBxEpLvE6AvvuDD5BW"}', 400)),
        (parse_codex, "codex", codex_failure(FLAGGED)),
    ],
)
def test_cli_content_filter_falls_back_without_retrying(parse, provider, run):
    with pytest.raises(ProviderRefused) as caught:
        parse(run, ctx(provider, ""))
    assert step(caught.value).action == FALL_BACK
