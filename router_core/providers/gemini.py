"""Gemini generateContent adapter.

``POST {base}/v1beta/models/{model}:generateContent`` (provider-apis.md 3.1) with ``x-goog-api-key``; body
``systemInstruction``, ``contents`` and ``generationConfig.maxOutputTokens`` (3.2). The text is
``candidates[0].content.parts[].text``, skipping thought parts (``"thought": true``); output tokens are
``candidatesTokenCount + thoughtsTokenCount`` (thinking bills as output, 3.3); input is ``promptTokenCount``
(cached included, ``cachedContentTokenCount``). A response with no candidates was blocked
(``promptFeedback.blockReason``), and a ``finishReason`` in ``REFUSED`` (or any but ``STOP`` / ``MAX_TOKENS``
with no text: ``OTHER``, ``LANGUAGE``) stopped the answer: ProviderRefused (fallback helps); with no reason at all,
plain ProviderRejected. Each carries what Google billed as the error's ``billed``: a stopped candidate its usage (as
an answer's), a response with no candidates the tokens its ``usageMetadata`` reports (the prompt it read; none
reported, none charged). ``MAX_TOKENS`` is a truncated success when there is text, else ProviderRejected (raise
the cap). With no ``usageMetadata`` an answer's counts are estimated from the text (the call was paid); a count
absent inside it is proto3's 0, except the prompt count (never 0) and the candidates count beside text, which are
estimated. No rate-limit headers (3.7).
``base_url`` is the host root, as ``GEMINI_BASE_URL`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from router_core.errors import ProviderRejected
from router_core.providers._http import HttpAdapter
from router_core.providers.answers import Tally, cut_before_text, mapping, refused
from router_core.providers.base import Completion, CompletionRequest, user_text

# finishReasons (provider-apis.md 3.3) where a safety or policy filter stopped the answer.
REFUSED = frozenset({"SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"})
# finishReasons of an answer that ended normally (or at the cap); any other with no text (OTHER, LANGUAGE,
# MALFORMED_FUNCTION_CALL) stopped the answer before it began: no answer, but another provider may give one.
ANSWERED = frozenset({"STOP", "MAX_TOKENS", "", "FINISH_REASON_UNSPECIFIED"})


class GeminiAdapter(HttpAdapter):
    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": user_text(request)}]}]}
        if request.system_prompt:
            body["systemInstruction"] = {"parts": [{"text": request.system_prompt}]}
        if request.max_output_tokens is not None:
            body["generationConfig"] = {"maxOutputTokens": request.max_output_tokens}
        headers = {"x-goog-api-key": self._api_key} if self._api_key else {}
        # "models/gemini-2.5-flash" (the name ListModels gives, which Google's SDK takes) is the same model.
        name = model.removeprefix("models/")
        url = f"{self._base_url}/v1beta/models/{quote(name, safe='-._')}:generateContent"
        return url, headers, body

    def _parse(
        self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest
    ) -> Completion:
        candidates = data.get("candidates") or []
        if not candidates:
            feedback = mapping(data.get("promptFeedback"))
            reason = str(feedback.get("blockReason") or "")
            billed = self._unanswered(data, model, reason)
            if reason:
                said = feedback.get("blockReasonMessage")
                raise refused(self.name, f"prompt blocked ({reason})" + (f": {said}" if said else ""), billed=billed)
            raise ProviderRejected(f"{self.name} returned no answer: no candidates", provider=self.name,
                                   status_code=200, billed=billed)
        candidate = candidates[0]
        parts = (candidate.get("content") or {}).get("parts") or []
        text = "".join(p.get("text") or "" for p in parts if not p.get("thought"))
        finish_reason = candidate.get("finishReason") or ""
        truncated = finish_reason == "MAX_TOKENS"
        usage = mapping(data.get("usageMetadata"))
        tally = Tally(self.name, request)
        output = usage.get("candidatesTokenCount")
        if output is None and usage and not text:
            output = 0  # proto3 JSON leaves out a count of 0, and an answer with no text has none
        input_tokens = tally.input("promptTokenCount", usage.get("promptTokenCount"))
        answer = Completion(
            text=text,
            provider=self.name,
            model=data.get("modelVersion") or model,
            input_tokens=input_tokens,
            output_tokens=tally.output("candidatesTokenCount", output, text)
            + tally.optional(usage.get("thoughtsTokenCount")),
            cost_usd=None,
            rate_limit=None,
            backend=self.backend,
            cached_input_tokens=min(input_tokens, tally.optional(usage.get("cachedContentTokenCount"))),
            stop_reason=finish_reason,
            truncated=truncated,
            usage_estimated=tally.flag(),
        )
        if finish_reason in REFUSED or (not text and finish_reason not in ANSWERED):
            blocked = [str(r.get("category")) for r in candidate.get("safetyRatings") or () if r.get("blocked")]
            said = candidate.get("finishMessage") or (", ".join(blocked) if blocked else "")
            raise refused(self.name, f"finishReason {finish_reason}" + (f": {said}" if said else ""), billed=answer)
        if truncated and not text:
            raise cut_before_text(self.name, "finishReason MAX_TOKENS", request.max_output_tokens, billed=answer)
        return answer

    def _unanswered(self, data: dict[str, Any], model: str, reason: str) -> Completion | None:
        """What a response with no candidates was billed: the prompt Google read, as its ``usageMetadata`` counts
        it (and any thinking before the block); None when it reports no tokens (nothing is guessed)."""
        usage = mapping(data.get("usageMetadata"))
        count = Tally.optional
        prompt, output = count(usage.get("promptTokenCount")), count(usage.get("candidatesTokenCount"))
        output += count(usage.get("thoughtsTokenCount"))
        if not prompt and not output:
            return None
        return Completion(text="", provider=self.name, model=data.get("modelVersion") or model, input_tokens=prompt,
                          output_tokens=output, cost_usd=None, rate_limit=None, backend=self.backend,
                          cached_input_tokens=min(prompt, count(usage.get("cachedContentTokenCount"))),
                          stop_reason=reason)
