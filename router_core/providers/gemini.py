"""Gemini generateContent adapter.

``POST {base}/v1beta/models/{model}:generateContent`` (provider-apis.md 3.1) with ``x-goog-api-key``; body
``systemInstruction``, ``contents`` and ``generationConfig.maxOutputTokens`` (3.2). The text is
``candidates[0].content.parts[].text``, skipping thought parts (``"thought": true``); output tokens are
``candidatesTokenCount + thoughtsTokenCount`` (thinking bills as output, 3.3); input is ``promptTokenCount``
(cached included, ``cachedContentTokenCount``). A response with no candidates was blocked
(``promptFeedback.blockReason``): ProviderRejected. Gemini sends no rate-limit headers (3.7).
``base_url`` is the host root, as ``GEMINI_BASE_URL`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from router_core.errors import ProviderRejected
from router_core.providers._http import HttpAdapter
from router_core.providers.base import Completion, CompletionRequest, user_text


class GeminiAdapter(HttpAdapter):
    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": user_text(request)}]}]}
        if request.system_prompt:
            body["systemInstruction"] = {"parts": [{"text": request.system_prompt}]}
        if request.max_output_tokens is not None:
            body["generationConfig"] = {"maxOutputTokens": request.max_output_tokens}
        headers = {"x-goog-api-key": self._api_key} if self._api_key else {}
        url = f"{self._base_url}/v1beta/models/{quote(model, safe='-._')}:generateContent"
        return url, headers, body

    def _parse(self, data: dict[str, Any], headers: Mapping[str, str], model: str) -> Completion:
        candidates = data.get("candidates") or []
        if not candidates:
            reason = (data.get("promptFeedback") or {}).get("blockReason", "no candidates")
            raise ProviderRejected(f"{self.name} returned no answer: {reason}", provider=self.name, status_code=200)
        parts = (candidates[0].get("content") or {}).get("parts") or []
        usage = data["usageMetadata"]
        return Completion(
            text="".join(p.get("text", "") for p in parts if not p.get("thought")),
            provider=self.name,
            model=data.get("modelVersion") or model,
            input_tokens=int(usage.get("promptTokenCount") or 0),
            output_tokens=int(usage.get("candidatesTokenCount") or 0) + int(usage.get("thoughtsTokenCount") or 0),
            cost_usd=None,
            rate_limit=None,
            backend=self.backend,
            cached_input_tokens=int(usage.get("cachedContentTokenCount") or 0),
        )
