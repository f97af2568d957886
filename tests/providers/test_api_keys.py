"""API keys as they arrive from the environment: a copy-paste or a CRLF ``.env`` file leaves whitespace around
them, and a mistyped one may hold a character no HTTP header can carry. Neither may fail every call as an
outage, nor put the key into an error message."""

from __future__ import annotations

import httpx
import pytest

from router_core.errors import NotConfigured
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter
from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.openai import OpenAIChatAdapter

ADAPTERS = {"responses": (OpenAIResponsesAdapter, "codex"), "chat": (OpenAIChatAdapter, "codex"),
            "anthropic": (AnthropicAdapter, "claude"), "gemini": (GeminiAdapter, "gemini")}
KEY = "gw-Abcdefghij0123456789"
VARIABLE = {"responses": "OPENAI_API_KEY", "chat": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
            "gemini": "GEMINI_API_KEY"}


def make(kind, client, base_url, key, clock):
    cls, _ = ADAPTERS[kind]
    return cls(client=client, base_url=base_url, api_key=key, provider="p", clock=clock, default_model="m")


@pytest.mark.parametrize("kind", list(ADAPTERS))
@pytest.mark.parametrize("key", [f"{KEY}\r", f"{KEY}\n", f" {KEY} ", f"{KEY}\t"])
async def test_whitespace_around_a_key_is_not_sent(kind, key, fake, client, clock):
    """Before, a key read from a CRLF .env file ("...\\r") failed every call as "unreachable:
    LocalProtocolError: Illegal header value b'Bearer <the key>\\r'": retried as an outage, with the key in
    the message."""
    _, name = ADAPTERS[kind]
    answer = await make(kind, client, fake.base_url(name), key, clock).complete(CompletionRequest(prompt="x"))
    assert answer.text
    sent = fake.requests(name)[-1].headers
    assert KEY in (sent.get("authorization", "") + sent.get("x-api-key", "") + sent.get("x-goog-api-key", ""))
    assert all(v.strip() == v for v in sent.values())


@pytest.mark.parametrize("kind", list(ADAPTERS))
@pytest.mark.parametrize("key", [f"{KEY[:8]}\n{KEY[8:]}", f"{KEY}é", f"{KEY[:8]}\x00{KEY[8:]}"])
async def test_a_key_no_header_can_carry_is_a_configuration_error_that_does_not_quote_it(kind, key, clock):
    """Before: an inner control character was the same "unreachable" outage quoting the key; a non-ASCII
    letter escaped as a bare UnicodeEncodeError (adapters raise only router_core.errors types)."""
    sent = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(500))
    async with httpx.AsyncClient(transport=transport) as c:
        with pytest.raises(NotConfigured) as info:
            await make(kind, c, "https://gw.example/v1", key, clock).complete(CompletionRequest(prompt="x"))
    message = str(info.value)
    assert not sent and VARIABLE[kind] in message and "API key" in message
    assert KEY[:8] not in message and KEY[8:] not in message
