"""Anthropic Messages adapter.

``POST {base}/v1/messages`` (provider-apis.md 2.2) with headers ``x-api-key`` and ``anthropic-version:
2023-06-01`` (2.1); body ``model``, ``max_tokens`` (required: the request's limit or ``DEFAULT_MAX_TOKENS``),
``system`` and ``messages``. The text is every ``content[]`` block of type ``text``. Anthropic's
``usage.input_tokens`` counts only uncached input, so the Completion's ``input_tokens`` adds
``cache_creation_input_tokens`` and ``cache_read_input_tokens`` (the documented total), and
``cached_input_tokens`` is the cache reads. Rate limits from ``anthropic-ratelimit-*`` (2.6).
``base_url`` excludes ``/v1``, as ``ANTHROPIC_BASE_URL`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router_core.providers._http import HttpAdapter
from router_core.providers.base import Completion, CompletionRequest, user_text
from router_core.providers.ratelimit_headers import anthropic_rate_limits

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096


class AnthropicAdapter(HttpAdapter):
    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_output_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": "user", "content": user_text(request)}],
        }
        if request.system_prompt:
            body["system"] = request.system_prompt
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return f"{self._base_url}/v1/messages", headers, body

    def _parse(self, data: dict[str, Any], headers: Mapping[str, str], model: str) -> Completion:
        usage = data["usage"]
        cache_read = int(usage.get("cache_read_input_tokens") or 0)
        cache_write = int(usage.get("cache_creation_input_tokens") or 0)
        return Completion(
            text="".join(block["text"] for block in data["content"] if block.get("type") == "text"),
            provider=self.name,
            model=data.get("model") or model,
            input_tokens=int(usage["input_tokens"]) + cache_read + cache_write,
            output_tokens=int(usage["output_tokens"]),
            cost_usd=None,
            rate_limit=anthropic_rate_limits(headers, self._clock.now()),
            backend=self.backend,
            cached_input_tokens=cache_read,
        )
