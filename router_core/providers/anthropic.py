"""Anthropic Messages adapter.

``POST {base}/v1/messages`` (provider-apis.md 2.2) with headers ``x-api-key`` and ``anthropic-version:
2023-06-01`` (2.1); body ``model``, ``max_tokens`` (required: the request's limit or ``DEFAULT_MAX_TOKENS``),
``system`` and ``messages``. The text is every ``content[]`` block of type ``text``. Anthropic's
``usage.input_tokens`` counts only uncached input, so the Completion's ``input_tokens`` adds
``cache_creation_input_tokens`` and ``cache_read_input_tokens`` (the documented total), and
``cached_input_tokens`` is the cache reads. Rate limits from ``anthropic-ratelimit-*`` (2.6).
``base_url`` excludes ``/v1``, as ``ANTHROPIC_BASE_URL`` does.

``stop_reason`` (2.2): ``refusal`` is ProviderRefused with ``stop_details.explanation`` (fallback helps);
``max_tokens`` / ``model_context_window_exceeded`` is a truncated success when there is text, else
ProviderRejected (``max_tokens``: raise the cap) or RequestTooLarge (the context window: another provider's
model may fit it). Thinking- or tool_use-only content is an empty answer with its stop reason.
Missing or null usage counts are estimated from the text (the call was paid; retrying would pay again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router_core.providers._http import HttpAdapter
from router_core.providers.answers import Tally, cut_before_text, mapping, refused, sent_input_tokens
from router_core.providers.base import Completion, CompletionRequest, RateLimitObservation, user_text
from router_core.providers.errors import request_too_large
from router_core.providers.ratelimit_headers import anthropic_rate_limits

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
TRUNCATED = frozenset({"max_tokens", "model_context_window_exceeded"})


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

    def _rate_limits(self, headers: Mapping[str, str]) -> RateLimitObservation | None:
        return anthropic_rate_limits(headers, self._clock.now())

    def _parse(
        self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest
    ) -> Completion:
        text = "".join(block["text"] for block in data["content"] if block.get("type") == "text")
        stop_reason = data.get("stop_reason") or ""
        truncated = stop_reason in TRUNCATED
        usage = mapping(data.get("usage"))
        tally = Tally(self.name, request)
        cache_read = tally.optional(usage.get("cache_read_input_tokens"))
        cache_write = tally.optional(usage.get("cache_creation_input_tokens"))
        uncached = tally.required("input_tokens", usage.get("input_tokens"),
                                  lambda: max(0, sent_input_tokens(request) - cache_read - cache_write))
        answer = Completion(
            text=text,
            provider=self.name,
            model=data.get("model") or model,
            input_tokens=uncached + cache_read + cache_write,
            output_tokens=tally.output("output_tokens", usage.get("output_tokens"), text),
            cost_usd=None,
            rate_limit=self._rate_limits(headers),
            backend=self.backend,
            cached_input_tokens=cache_read,
            stop_reason=stop_reason,
            truncated=truncated,
            usage_estimated=tally.flag(),
        )
        if stop_reason == "refusal":
            details = mapping(data.get("stop_details"))
            said = details.get("explanation") or details.get("category") or text or "stop_reason refusal"
            raise refused(self.name, str(said), billed=answer)
        if truncated and not text:
            if stop_reason == "max_tokens":
                raise cut_before_text(self.name, "stop_reason max_tokens",
                                      request.max_output_tokens or DEFAULT_MAX_TOKENS, billed=answer)
            raise request_too_large(self.name, f"200, stop_reason {stop_reason}: the model's context window "
                                    "filled before any text", 200, billed=answer)
        return answer
