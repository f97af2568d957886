"""OpenAI adapters: the Responses API and Chat Completions (for compatible endpoints).

Responses (provider-apis.md 1.2): ``POST {base}/responses`` with ``model``, ``instructions`` (the system prompt),
``input`` (the user text) and ``max_output_tokens``; the text is every ``output[].content[]`` item of type
``output_text`` inside ``output[]`` items of type ``message``; tokens from ``usage.input_tokens`` /
``output_tokens`` (cached: ``input_tokens_details.cached_tokens``). A 200 with ``status: "failed"`` is an error.

Chat Completions (1.4): ``POST {base}/chat/completions`` with ``messages`` (``system`` then ``user``) and
``max_tokens`` (what compatible servers accept); text from ``choices[0].message.content``; tokens from
``usage.prompt_tokens`` / ``completion_tokens``.

Both send ``Authorization: Bearer <key>`` (omitted when no key, for keyless local endpoints) and read the
``x-ratelimit-*`` headers (1.7). ``base_url`` includes ``/v1``, as ``OPENAI_BASE_URL`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router_core.providers._http import HttpAdapter
from router_core.providers.base import Completion, CompletionRequest, user_text
from router_core.providers.errors import malformed_response
from router_core.providers.ratelimit_headers import openai_rate_limits


class _OpenAIBase(HttpAdapter):
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}


class OpenAIResponsesAdapter(_OpenAIBase):
    probe_max_tokens = 16  # the Responses API rejects max_output_tokens below 16

    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"model": model, "input": user_text(request), "store": False}
        if request.system_prompt:
            body["instructions"] = request.system_prompt
        if request.max_output_tokens is not None:
            body["max_output_tokens"] = request.max_output_tokens
        return f"{self._base_url}/responses", self._headers(), body

    def _parse(self, data: dict[str, Any], headers: Mapping[str, str], model: str) -> Completion:
        if data.get("status") == "failed":
            error = data.get("error") or {}
            raise malformed_response(self.name, f"response failed: {error.get('message', 'no message')}")
        text = "".join(
            part["text"]
            for item in data["output"]
            if item.get("type") == "message"
            for part in item.get("content") or ()
            if part.get("type") == "output_text"
        )
        usage = data["usage"]
        details = usage.get("input_tokens_details") or {}
        return Completion(
            text=text,
            provider=self.name,
            model=data.get("model") or model,
            input_tokens=int(usage["input_tokens"]),
            output_tokens=int(usage["output_tokens"]),
            cost_usd=None,
            rate_limit=openai_rate_limits(headers, self._clock.now()),
            backend=self.backend,
            cached_input_tokens=int(details.get("cached_tokens") or 0),
        )


class OpenAIChatAdapter(_OpenAIBase):
    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        messages = [{"role": "user", "content": user_text(request)}]
        if request.system_prompt:
            messages.insert(0, {"role": "system", "content": request.system_prompt})
        body: dict[str, Any] = {"model": model, "messages": messages}
        if request.max_output_tokens is not None:
            body["max_tokens"] = request.max_output_tokens
        return f"{self._base_url}/chat/completions", self._headers(), body

    def _parse(self, data: dict[str, Any], headers: Mapping[str, str], model: str) -> Completion:
        usage = data["usage"]
        details = usage.get("prompt_tokens_details") or {}
        return Completion(
            text=data["choices"][0]["message"].get("content") or "",
            provider=self.name,
            model=data.get("model") or model,
            input_tokens=int(usage["prompt_tokens"]),
            output_tokens=int(usage["completion_tokens"]),
            cost_usd=None,
            rate_limit=openai_rate_limits(headers, self._clock.now()),
            backend=self.backend,
            cached_input_tokens=int(details.get("cached_tokens") or 0),
        )
