"""Where each adapter sends its request, for base URLs beyond the plain defaults: a path (a proxy, Azure), a
trailing slash, a query string (Azure's ``api-version``), and what a 404 there tells the user to set."""

from __future__ import annotations

import json

import httpx
import pytest

from router_core.errors import EndpointNotFound
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter
from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.openai import OpenAIChatAdapter

RESPONSES_OK = {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2},
                "output": [{"type": "message", "content": [{"type": "output_text", "text": "hi"}]}]}
CHAT_OK = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
ANTHROPIC_OK = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 3, "output_tokens": 2}}
GEMINI_OK = {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
             "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2}}
ADAPTERS = {
    "responses": (OpenAIResponsesAdapter, RESPONSES_OK),
    "chat": (OpenAIChatAdapter, CHAT_OK),
    "anthropic": (AnthropicAdapter, ANTHROPIC_OK),
    "gemini": (GeminiAdapter, GEMINI_OK),
}


async def called_url(kind: str, base_url: str, clock) -> httpx.URL:
    cls, body = ADAPTERS[kind]
    seen: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as c:
        adapter = cls(client=c, base_url=base_url, api_key="k", provider="p", clock=clock, default_model="m")
        assert (await adapter.complete(CompletionRequest(prompt="x"))).text == "hi"
    return seen[0]


@pytest.mark.parametrize(("kind", "base_url", "path", "query"), [
    # Azure OpenAI's v1 API, with the api-version it takes as a query parameter
    ("responses", "https://r.openai.azure.com/openai/v1?api-version=preview", "/openai/v1/responses",
     "api-version=preview"),
    ("responses", "https://r.openai.azure.com/openai/v1/?api-version=preview", "/openai/v1/responses",
     "api-version=preview"),
    # Azure's deployment URLs, which need api-version on every call
    ("chat", "https://r.openai.azure.com/openai/deployments/d1?api-version=2024-10-21",
     "/openai/deployments/d1/chat/completions", "api-version=2024-10-21"),
    ("anthropic", "https://gw.example/anthropic?team=a&x=1", "/anthropic/v1/messages", "team=a&x=1"),
    ("gemini", "https://gw.example/google/?team=a", "/google/v1beta/models/m:generateContent", "team=a"),
    ("chat", "http://127.0.0.1:8000/v1/", "/v1/chat/completions", ""),
])
async def test_a_query_in_the_base_url_stays_a_query_after_the_endpoint_path(kind, base_url, path, query, clock):
    """Before, the endpoint path was appended after the query (``…/openai/v1?api-version=preview/responses``):
    every call went to the bare base path, a 404 ("no such endpoint") on Azure and on any gateway that
    takes a query parameter."""
    url = await called_url(kind, base_url, clock)
    assert (url.path, url.query.decode()) == (path, query)


@pytest.mark.parametrize(("kind", "example", "wrong"), [
    ("anthropic", "e.g. https://api.anthropic.com", "api.openai.com"),
    ("gemini", "e.g. https://generativelanguage.googleapis.com", "api.openai.com"),
    ("chat", "e.g. https://api.openai.com/v1", "anthropic"),
])
async def test_a_404_at_the_base_url_shows_a_base_url_of_the_adapters_own_wire_format(kind, example, wrong, clock):
    """Before, every adapter's 404 said "e.g. https://api.openai.com/v1": for Anthropic and Gemini, whose base
    URL excludes /v1, that led the user to add /v1 and get /v1/v1/messages, another 404."""
    cls, _ = ADAPTERS[kind]
    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="Not Found"))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = cls(client=c, base_url="https://gw.example/x", api_key="k", provider="p", clock=clock,
                      default_model="m")
        with pytest.raises(EndpointNotFound) as info:
            await adapter.complete(CompletionRequest(prompt="x"))
    assert str(info.value).endswith(example) and wrong not in str(info.value)


@pytest.mark.parametrize(("base_url", "field"), [
    ("https://api.openai.com/v1", "max_completion_tokens"),  # its reasoning models refuse max_tokens with a 400
    ("https://r.openai.azure.com/openai/v1?api-version=preview", "max_completion_tokens"),
    ("http://127.0.0.1:8000/v1", "max_tokens"),  # a compatible server (vLLM, Ollama, LM Studio...) keeps the old name
    ("https://openrouter.ai/api/v1", "max_tokens"),
])
async def test_chat_completions_caps_the_output_with_the_field_the_endpoint_takes(base_url, field, clock):
    sent: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=CHAT_OK)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as c:
        adapter = OpenAIChatAdapter(client=c, base_url=base_url, api_key="k", provider="codex", clock=clock,
                                    default_model="gpt-5.4")
        await adapter.complete(CompletionRequest(prompt="x", max_output_tokens=64))
    assert {k: v for k, v in sent[0].items() if "tokens" in k} == {field: 64}


async def test_a_gemini_model_named_as_list_models_names_it_is_called_by_its_name(clock):
    # "models/gemini-2.5-flash" was sent as models/models%2Fgemini-2.5-flash: a 404 on every call.
    seen: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=GEMINI_OK)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as c:
        adapter = GeminiAdapter(client=c, base_url="https://g.example", api_key="k", provider="gemini", clock=clock,
                                default_model="models/gemini-2.5-flash")
        await adapter.complete(CompletionRequest(prompt="x"))
    assert seen[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"
