"""OpenAI adapters: the Responses API and Chat Completions (for compatible endpoints).

Responses (provider-apis.md 1.2): ``POST {base}/responses`` with ``model``, ``instructions`` (the system prompt),
``input`` (the user text) and ``max_output_tokens``; the text is every ``output[].content[]`` item of type
``output_text`` inside ``output[]`` items of type ``message``; tokens from ``usage.input_tokens`` /
``output_tokens`` (cached: ``input_tokens_details.cached_tokens``). A 200 with ``status: "failed"`` (1.3) is mapped
by its ``error.code`` as an error response's code is (``response_failed``), its message quoted: ``rate_limit_exceeded``
RateLimited (after the wait its headers or message name), quota and billing codes QuotaExhausted,
``context_length_exceeded`` and ``image_too_large`` RequestTooLarge, ``invalid_prompt`` and the content-policy codes
ProviderRefused, another image code ProviderRejected, and ``server_error``, ``vector_store_timeout`` or a code
not known ProviderUnavailable (retried). Its ``usage``, when that reports tokens (the model ran, then failed), is
what the provider billed: the error's ``billed``, charged to the budget and the pace window whatever follows.
``status: "incomplete"`` with ``incomplete_details.reason`` ``content_filter``, or a message with only
``refusal`` parts, is ProviderRefused with the reason or refusal text (fallback helps); any other
incomplete answer is a truncated success when it has text, else ProviderRejected (raise the cap).

Chat Completions (1.4): ``POST {base}/chat/completions`` with ``messages`` (``system`` then ``user``) and
``max_tokens`` (what compatible servers accept); text from ``choices[0].message.content``; tokens from
``usage.prompt_tokens`` / ``completion_tokens``. A ``content`` that is a list of parts (some compatible servers)
gives the text of its ``text`` parts. ``message.refusal`` with no content, or ``finish_reason``
``content_filter``, is ProviderRejected; ``length`` is truncated (with no text: ProviderRejected).

Missing, null or negative usage counts are estimated from the text: the call was paid, and retrying it
would pay again.

Both send ``Authorization: Bearer <key>`` (omitted when no key, for keyless local endpoints) and read the
``x-ratelimit-*`` headers (1.7). ``base_url`` includes ``/v1``, as ``OPENAI_BASE_URL`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from router_core.errors import (
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers._http import HttpAdapter
from router_core.providers.answers import Tally, cut_before_text, mapping, refused, token_count
from router_core.providers.base import Completion, CompletionRequest, RateLimitObservation, user_text
from router_core.providers.errors import (
    FILTER_CODES,
    OPENAI_QUOTA_CODES,
    content_filtered,
    is_content_filtered,
    is_context_overflow,
    request_too_large,
)
from router_core.providers.ratelimit_headers import openai_rate_limits
from router_core.providers.retry_hint import retry_hint
from router_core.providers.timeparse import format_seconds

# error.code of a failed response: openai-python's ResponseError lists server_error, rate_limit_exceeded,
# invalid_prompt, vector_store_timeout and image codes; a compatible server may relay an HTTP error's code there.
_TOO_LARGE_CODES = frozenset({"context_length_exceeded", "image_too_large", "image_file_too_large"})
_REFUSED_CODES = FILTER_CODES | {"image_content_policy_violation"}
_CAUSE_CODES = frozenset({"server_error", "vector_store_timeout"})  # name the cause: trusted over the message


def response_failed(provider: str, error: Mapping[str, Any], headers: Mapping[str, str], now: float) -> ProviderError:
    """The error a Responses body with ``status: "failed"`` stands for, by its ``error.code``; a code not known
    whose message says the input is too large or was filtered is read by the message, as a 400's would be."""
    code = str(error.get("code") or "")
    message = " ".join(str(error.get("message") or "").split())
    said = f"response status failed, {code}" if code else "response status failed"
    text = message or "no message"
    quoted = f"{said}: {text}"
    if code == "rate_limit_exceeded" and message.lower().startswith("request too large"):  # over the whole TPM limit
        return request_too_large(provider, quoted, 200)
    if code == "rate_limit_exceeded":
        wait = retry_hint(headers, message, now)
        when = f"retry after {format_seconds(wait)}" if wait is not None else "no retry time given"
        return RateLimited(f"{provider} rate limited ({said}): {when}: {text}", provider=provider,
                           retry_after=wait, status_code=200)
    if code in OPENAI_QUOTA_CODES or any(word in code for word in ("quota", "billing", "spend_limit")):
        return QuotaExhausted(f"{provider} quota exhausted ({quoted}); retrying will not help", provider=provider,
                              status_code=200)
    by_message = code not in _CAUSE_CODES
    if code in _TOO_LARGE_CODES or (by_message and is_context_overflow(message)):
        return request_too_large(provider, quoted, 200)
    if code in _REFUSED_CODES or (by_message and is_content_filtered(message)):
        return content_filtered(provider, quoted, 200)
    if code.startswith(("image_", "invalid_image", "invalid_base64_image")) or code in (
            "unsupported_image_media_type", "empty_image_file", "failed_to_download_image"):
        return ProviderRejected(f"{provider} rejected the request ({said}): {text}", provider=provider, status_code=200)
    return ProviderUnavailable(f"{provider} failed to answer ({said}): {text}", provider=provider, status_code=200)


def _chat_text(content: Any) -> str:
    """``message.content``: a string, null (a tool call or a refusal), or, from some compatible servers, a list
    of parts of which the ``text`` ones are the answer (``thinking`` parts are not)."""
    if isinstance(content, list):
        return "".join(str(part.get("text") or "") for part in content
                       if isinstance(part, dict) and part.get("type") in ("text", "output_text"))
    return content if isinstance(content, str) else ""


OPENAI_HOSTS = frozenset({"api.openai.com", "eu.api.openai.com"})  # (eu.: the EU data-residency endpoint)
AZURE_HOST_SUFFIX = ".openai.azure.com"


class _OpenAIBase(HttpAdapter):
    _usage_names: tuple[str, str, str]  # the API's names for input, output and input-details tokens in ``usage``

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _rate_limits(self, headers: Mapping[str, str]) -> RateLimitObservation | None:
        return openai_rate_limits(headers, self._clock.now())

    def _answer(self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest,
                text: str, stop_reason: str, truncated: bool) -> Completion:
        """The Completion of an answer (or of what a failed one was billed), from its ``usage`` under this API's
        names (``_usage_names``: input, output, and the input details holding cached_tokens)."""
        inputs, outputs, details = self._usage_names
        usage = mapping(data.get("usage"))
        tally = Tally(self.name, request)
        input_tokens = tally.input(inputs, usage.get(inputs))
        return Completion(
            text=text,
            provider=self.name,
            model=data.get("model") or model,
            input_tokens=input_tokens,
            output_tokens=tally.output(outputs, usage.get(outputs), text),
            cost_usd=None,
            rate_limit=self._rate_limits(headers),
            backend=self.backend,
            cached_input_tokens=min(input_tokens, tally.optional(
                mapping(usage.get(details)).get("cached_tokens"))),
            stop_reason=stop_reason,
            truncated=truncated,
            usage_estimated=tally.flag(),
        )


class OpenAIResponsesAdapter(_OpenAIBase):
    probe_max_tokens = 16  # the Responses API rejects max_output_tokens below 16
    _usage_names = ("input_tokens", "output_tokens", "input_tokens_details")

    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"model": model, "input": user_text(request), "store": False}
        if request.system_prompt:
            body["instructions"] = request.system_prompt
        if request.max_output_tokens is not None:
            body["max_output_tokens"] = request.max_output_tokens
        return f"{self._base_url}/responses", self._headers(), body

    def _parse(
        self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest
    ) -> Completion:
        status = data.get("status") or ""
        if status == "failed":  # the model failed to answer (1.3: response.error {code, message})
            error = response_failed(self.name, mapping(data.get("error")), headers, self._clock.now())
            error.rate_limit = self._rate_limits(headers)  # what the key has left, as any answer's headers say
            error.billed = self._billed_failure(data, headers, model, request)
            raise error
        parts = _output_parts(data["output"])
        text = _output_text(parts)
        reason = str(mapping(data.get("incomplete_details")).get("reason") or "") if status == "incomplete" else ""
        truncated = status == "incomplete"
        answer = self._answer(data, headers, model, request, text, reason or status, truncated)
        if reason == "content_filter":
            raise refused(self.name, "stopped by the content filter (incomplete_details.reason content_filter)",
                          billed=answer)
        refusal = " ".join(str(part.get("refusal") or "") for part in parts if part.get("type") == "refusal")
        if refusal and not text:
            raise refused(self.name, refusal.strip() or "an empty refusal", billed=answer)
        if truncated and not text:
            raise cut_before_text(self.name, f"status incomplete: {reason or 'no reason given'}",
                                  request.max_output_tokens, billed=answer)
        return answer

    def _billed_failure(self, data: dict[str, Any], headers: Mapping[str, str], model: str,
                        request: CompletionRequest) -> Completion | None:
        """What a failed response was billed: the tokens its ``usage`` reports (the model ran, then failed); None
        when it reports none (``usage`` null, or 0 tokens: it failed before the model ran)."""
        usage = mapping(data.get("usage"))
        if not any(token_count(usage.get(name)) for name in ("input_tokens", "output_tokens")):
            return None
        try:  # the text it gave before it failed, if any (estimates output_tokens when usage leaves them out)
            text = _output_text(_output_parts(data.get("output") or []))
        except (AttributeError, KeyError, TypeError):
            text = ""
        return self._answer(data, headers, model, request, text, "failed", False)


def _output_parts(output: list[Any]) -> list[dict[str, Any]]:
    """The content parts of the ``message`` items of a Responses ``output``."""
    return [part for item in output if item.get("type") == "message" for part in item.get("content") or ()]


def _output_text(parts: list[dict[str, Any]]) -> str:
    return "".join(part["text"] for part in parts if part.get("type") == "output_text")


class OpenAIChatAdapter(_OpenAIBase):
    _usage_names = ("prompt_tokens", "completion_tokens", "prompt_tokens_details")

    @property
    def _cap_field(self) -> str:
        """The output cap's field: OpenAI's own API (and Azure's) takes max_completion_tokens (its reasoning models
        refuse the deprecated max_tokens with a 400); a compatible server may know only max_tokens."""
        host = urlsplit(self._base_url).hostname or ""
        return "max_completion_tokens" if host in OPENAI_HOSTS or host.endswith(AZURE_HOST_SUFFIX) else "max_tokens"

    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        messages = [{"role": "user", "content": user_text(request)}]
        if request.system_prompt:
            messages.insert(0, {"role": "system", "content": request.system_prompt})
        body: dict[str, Any] = {"model": model, "messages": messages}
        if request.max_output_tokens is not None:
            body[self._cap_field] = request.max_output_tokens
        return f"{self._base_url}/chat/completions", self._headers(), body

    def _parse(
        self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest
    ) -> Completion:
        choice = data["choices"][0]
        message = choice["message"]
        text = _chat_text(message.get("content"))
        finish_reason = choice.get("finish_reason") or ""
        truncated = finish_reason == "length"
        answer = self._answer(data, headers, model, request, text, finish_reason, truncated)
        if finish_reason == "content_filter":
            raise refused(self.name, "stopped by the content filter (finish_reason content_filter)", billed=answer)
        if message.get("refusal") and not text:
            raise refused(self.name, str(message["refusal"]), billed=answer)
        if truncated and not text:
            raise cut_before_text(self.name, "finish_reason length", request.max_output_tokens, billed=answer)
        return answer
