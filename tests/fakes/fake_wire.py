"""The three wire formats as the fake provider speaks them (shapes from provider-apis.md 1.2-1.7, 2.1-2.6, 3.1-3.7).

Each Wire turns the fake's decisions (answer, throttle, fail) into a status, a JSON body and headers.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes.fake_limits import Limits, WindowState

Reply = tuple[int, Any, dict[str, str]]  # status, JSON body (or raw str), headers


def go_duration(seconds: float) -> str:
    """OpenAI's reset format: ``20ms``, ``1.5s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{round(rest, 3):g}s"


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_month_start(epoch: float) -> str:
    day = datetime.fromtimestamp(epoch, UTC)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}-01"


def retry_after_header(seconds: float | None) -> dict[str, str]:
    return {} if seconds is None else {"retry-after": str(max(1, math.ceil(seconds)))}


class OpenAIWire:
    name = "openai"

    def request_parts(self, path: str, body: dict[str, Any]) -> tuple[list[str], int | None, str]:
        if path.endswith("/chat/completions"):
            texts = [m.get("content") for m in body.get("messages", [])]
            return [t for t in texts if isinstance(t, str)], body.get("max_tokens") or body.get(
                "max_completion_tokens"), body.get("model", "")
        inputs = body.get("input")
        texts = [body.get("instructions") or ""] + ([inputs] if isinstance(inputs, str) else [
            part.get("text", "") for item in inputs or [] for part in item.get("content", [])])
        return texts, body.get("max_output_tokens"), body.get("model", "")

    def auth_error(self, headers: dict[str, str], query: dict[str, str]) -> Reply | None:
        if headers.get("authorization", "").startswith("Bearer ") and len(headers["authorization"]) > 7:
            return None
        return self._error(401, "You didn't provide an API key.", "invalid_request_error", None)

    def ok(self, path: str, model: str, text: str, tokens_in: int, tokens_out: int, truncated: bool) -> Any:
        now = int(time.time())
        usage_out = {"reasoning_tokens": 0}
        if path.endswith("/chat/completions"):
            return {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": now, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None,
                                                     "annotations": []},
                             "logprobs": None, "finish_reason": "length" if truncated else "stop"}],
                "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                          "total_tokens": tokens_in + tokens_out,
                          "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                          "completion_tokens_details": usage_out},
                "service_tier": "default",
            }
        return {
            "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": now,
            "status": "incomplete" if truncated else "completed", "completed_at": now, "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None, "model": model,
            "output": [{"type": "message", "id": f"msg_{uuid.uuid4().hex}", "status": "completed",
                        "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": tokens_in, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": tokens_out, "output_tokens_details": usage_out,
                      "total_tokens": tokens_in + tokens_out},
        }

    def refused(self, path: str, model: str, tokens_in: int, tokens_out: int, reason: str | None,
                with_usage: bool) -> Any:
        """A policy stop (``reason`` None: the content filter) or the model's refusal (``reason="refusal"``), billed."""
        body = self.ok(path, model, "", tokens_in, tokens_out, False)
        said = "I'm sorry, but I can't help with that."
        if path.endswith("/chat/completions"):
            choice = body["choices"][0]
            choice["message"]["content"] = None
            if reason == "refusal":
                choice["message"]["refusal"] = said
            else:
                choice["finish_reason"] = "content_filter"
        elif reason == "refusal":
            body["output"][0]["content"] = [{"type": "refusal", "refusal": said}]
        else:
            body.update(status="incomplete", incomplete_details={"reason": "content_filter"}, output=[])
        if not with_usage:
            body["usage"] = None
        return body

    def failed(self, model: str, code: str | None, message: str, usage: dict[str, Any] | None = None) -> Any:
        """A Responses body whose model failed (1.3: ``status: "failed"``, ``error: {code, message}``), with the
        ``usage`` it was billed for, if any."""
        return {
            "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()), "status": "failed",
            "error": {"code": code, "message": message}, "incomplete_details": None, "model": model, "output": [],
            "usage": usage,
        }

    def limit_headers(self, limits: Limits, state: WindowState, wall: float) -> dict[str, str]:
        headers = {}
        if limits.requests_per_minute is not None:
            headers["x-ratelimit-limit-requests"] = str(limits.requests_per_minute)
            headers["x-ratelimit-remaining-requests"] = str(max(0, limits.requests_per_minute - state.requests_used))
            headers["x-ratelimit-reset-requests"] = go_duration(state.requests_reset)
        if limits.tokens_per_minute is not None:
            headers["x-ratelimit-limit-tokens"] = str(limits.tokens_per_minute)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, limits.tokens_per_minute - state.tokens_used))
            headers["x-ratelimit-reset-tokens"] = go_duration(state.tokens_reset)
        return headers

    def request_id_header(self) -> dict[str, str]:
        return {"x-request-id": f"req_{uuid.uuid4().hex}"}

    def throttled(self, model: str, dimension: str, limit: int | None, retry_after: float | None) -> Reply:
        unit = "requests per min (RPM)" if dimension == "requests" else "tokens per min (TPM)"
        wait = f" Please try again in {go_duration(retry_after)}." if retry_after is not None else ""
        message = f"Rate limit reached for {model} in organization org-fake on {unit}: Limit {limit}.{wait}"
        status, body, _ = self._error(429, message, dimension, "rate_limit_exceeded")
        return status, body, retry_after_header(retry_after)

    def fault(self, kind: str, code: int, model: str, retry_after: float | None) -> Reply:
        if kind == "quota":
            return self._error(429, "You exceeded your current quota, please check your plan and billing details.",
                               "insufficient_quota", "insufficient_quota")
        if kind == "auth" or code == 401:
            return self._error(401, "Incorrect API key provided: sk-fake***.", "invalid_request_error",
                               "invalid_api_key")
        if kind == "model_not_found":
            return self._error(404, f"The model `{model}` does not exist or you do not have access to it.",
                               "invalid_request_error", "model_not_found")
        if code == 503:
            return self._error(503, "The engine is currently overloaded, please try again later",
                               "service_unavailable_error", "server_is_overloaded")
        if code >= 500:
            return self._error(code, "The server had an error while processing your request. Sorry about that!",
                               "server_error", None)
        if kind == "rate_limited" or code == 429:
            return self.throttled(model, "requests", None, retry_after)
        return self._error(code, f"Invalid request (fake {code}).", "invalid_request_error", None)

    @staticmethod
    def _error(status: int, message: str, kind: str, code: str | None) -> Reply:
        return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, {}


class AnthropicWire:
    name = "anthropic"

    def request_parts(self, path: str, body: dict[str, Any]) -> tuple[list[str], int | None, str]:
        system = body.get("system") or ""
        texts = [system] if isinstance(system, str) else [b.get("text", "") for b in system]
        for message in body.get("messages", []):
            content = message.get("content")
            texts += [content] if isinstance(content, str) else [b.get("text", "") for b in content or []]
        return texts, body.get("max_tokens"), body.get("model", "")

    def auth_error(self, headers: dict[str, str], query: dict[str, str]) -> Reply | None:
        if not headers.get("x-api-key"):
            return self._error(401, "authentication_error", "x-api-key header is required")
        if not headers.get("anthropic-version"):
            return self._error(400, "invalid_request_error", "anthropic-version: header is required")
        return None

    def ok(self, path: str, model: str, text: str, tokens_in: int, tokens_out: int, truncated: bool) -> Any:
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if truncated else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                      "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                      "output_tokens": tokens_out, "service_tier": "standard"},
        }

    def refused(self, path: str, model: str, tokens_in: int, tokens_out: int, reason: str | None,
                with_usage: bool) -> Any:
        """The model declined (``stop_reason: "refusal"``, 2.2), its ``stop_details`` naming ``reason``, billed."""
        body = self.ok(path, model, "", tokens_in, tokens_out, False)
        body.update(content=[], stop_reason="refusal", stop_details={
            "type": "refusal", "category": reason, "explanation": "This request was declined by the safety system."})
        if not with_usage:
            del body["usage"]
        return body

    def limit_headers(self, limits: Limits, state: WindowState, wall: float) -> dict[str, str]:
        headers = {}
        prefix = "anthropic-ratelimit-"
        if limits.requests_per_minute is not None:
            headers[prefix + "requests-limit"] = str(limits.requests_per_minute)
            headers[prefix + "requests-remaining"] = str(max(0, limits.requests_per_minute - state.requests_used))
            headers[prefix + "requests-reset"] = rfc3339(wall + state.requests_reset)
        if limits.tokens_per_minute is not None:
            headers[prefix + "tokens-limit"] = str(limits.tokens_per_minute)
            headers[prefix + "tokens-remaining"] = str(max(0, limits.tokens_per_minute - state.tokens_used))
            headers[prefix + "tokens-reset"] = rfc3339(wall + state.tokens_reset)
        return headers

    def request_id_header(self) -> dict[str, str]:
        return {"request-id": f"req_{uuid.uuid4().hex[:24]}", "anthropic-organization-id": "org-fake"}

    def throttled(self, model: str, dimension: str, limit: int | None, retry_after: float | None) -> Reply:
        what = "request" if dimension == "requests" else "input tokens"
        message = f"This request would exceed the rate limit for your organization of {limit} {what} per minute."
        status, body, _ = self._error(429, "rate_limit_error", message)
        return status, body, retry_after_header(retry_after)

    def fault(self, kind: str, code: int, model: str, retry_after: float | None) -> Reply:
        if kind == "quota":
            status, body, headers = self._error(
                429, "rate_limit_error",
                "You have reached your API usage limits: your organization has crossed its monthly API usage "
                "threshold, set based on your organization's API tier. You will regain access on "
                f"{next_month_start(time.time())} at 00:00 UTC.")
            body["error"]["details"] = {"error_code": "enforced_spend_limit_reached"}
            return status, body, headers
        if kind == "rate_limited" or code == 429:
            status, body, _ = self._error(429, "rate_limit_error",
                                          "This request would exceed your account's rate limit. Please try again later.")
            return status, body, retry_after_header(retry_after)
        if kind == "auth" or code == 401:
            return self._error(401, "authentication_error", "invalid x-api-key")
        if kind == "model_not_found":
            return self._error(404, "not_found_error", f"model: {model}")
        if code == 529:
            return self._error(529, "overloaded_error", "Overloaded")
        if code >= 500:
            return self._error(code, "api_error", "Internal server error")
        return self._error(code, "invalid_request_error", f"Invalid request (fake {code}).")

    @staticmethod
    def _error(status: int, kind: str, message: str) -> Reply:
        body = {"type": "error", "error": {"type": kind, "message": message},
                "request_id": f"req_{uuid.uuid4().hex[:24]}"}
        return status, body, {}


class GeminiWire:
    name = "gemini"
    _HELP = {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}

    def request_parts(self, path: str, body: dict[str, Any]) -> tuple[list[str], int | None, str]:
        texts = [p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", [])]
        texts += [p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", [])]
        model = path.rsplit("/models/", 1)[-1].split(":", 1)[0]
        return texts, (body.get("generationConfig") or {}).get("maxOutputTokens"), model

    def auth_error(self, headers: dict[str, str], query: dict[str, str]) -> Reply | None:
        if headers.get("x-goog-api-key") or query.get("key"):
            return None
        return self._error(403, "PERMISSION_DENIED",
                           "Method doesn't allow unregistered callers (callers without established identity). "
                           "Please use API Key or other form of API consumer identity to call this API.")

    def ok(self, path: str, model: str, text: str, tokens_in: int, tokens_out: int, truncated: bool) -> Any:
        return {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "MAX_TOKENS" if truncated else "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": tokens_in, "candidatesTokenCount": tokens_out,
                              "totalTokenCount": tokens_in + tokens_out,
                              "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens_in}]},
            "modelVersion": model, "responseId": uuid.uuid4().hex[:22],
        }

    def refused(self, path: str, model: str, tokens_in: int, tokens_out: int, reason: str | None,
                with_usage: bool, *, blocked: bool = False) -> Any:
        """A candidate stopped by ``finishReason`` ``reason`` (SAFETY by default) with no content, or with ``blocked``
        the prompt refused before any candidate (``promptFeedback.blockReason`` ``reason``, 3.3). Proto3 JSON
        leaves out a count of 0."""
        body = self.ok(path, model, "", tokens_in, tokens_out, False)
        if blocked:
            del body["candidates"]
            body["promptFeedback"] = {"blockReason": reason}
        else:
            body["candidates"] = [{"finishReason": reason or "SAFETY", "index": 0, "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]}]
        if not tokens_out:
            del body["usageMetadata"]["candidatesTokenCount"]
        if not with_usage:
            del body["usageMetadata"]
        return body

    def limit_headers(self, limits: Limits, state: WindowState, wall: float) -> dict[str, str]:
        return {}  # Gemini sends no rate-limit headers (provider-apis.md 3.7)

    def request_id_header(self) -> dict[str, str]:
        return {}

    def throttled(self, model: str, dimension: str, limit: int | None, retry_after: float | None,
                  per: str = "Minute") -> Reply:
        metric = "generate_content_requests" if dimension == "requests" else "generate_content_input_token_count"
        quota_id = (f"GenerateRequestsPer{per}PerProjectPerModel" if dimension == "requests"
                    else f"GenerateContentInputTokensPerModelPer{per}")
        wait = f"\nPlease retry in {retry_after:.3f}s." if retry_after is not None else ""
        message = (f"You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded "
                   f"for metric: generativelanguage.googleapis.com/{metric}, limit: {limit}, model: {model}{wait}")
        details: list[dict[str, Any]] = [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaMetric": f"generativelanguage.googleapis.com/{metric}", "quotaId": quota_id,
                             "quotaDimensions": {"location": "global", "model": model},
                             "quotaValue": str(limit)}]},
            self._HELP,
        ]
        if retry_after is not None:
            details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                            "retryDelay": f"{max(1, math.ceil(retry_after))}s"})
        return self._error(429, "RESOURCE_EXHAUSTED", message, details)

    def fault(self, kind: str, code: int, model: str, retry_after: float | None) -> Reply:
        if kind == "quota":
            return self.throttled(model, "requests", 20, 36.4, per="Day")
        if kind == "rate_limited" or code == 429:
            return self.throttled(model, "requests", 60, retry_after)
        if kind == "auth" or code == 401:
            return self._error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                 "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}])
        if kind == "model_not_found":
            return self._error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta, or is not "
                               "supported for generateContent.")
        if code in (503, 529):
            return self._error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
        if code >= 500:
            return self._error(code, "INTERNAL", "An internal error has occurred.")
        return self._error(code, "INVALID_ARGUMENT", f"Invalid request (fake {code}).")

    @staticmethod
    def _error(status: int, canonical: str, message: str, details: list | None = None) -> Reply:
        error: dict[str, Any] = {"code": status, "message": message, "status": canonical}
        if details:
            error["details"] = details
        return status, {"error": error}, {}


WIRES = {"openai": OpenAIWire(), "anthropic": AnthropicWire(), "gemini": GeminiWire()}
