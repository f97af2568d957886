"""What a test scripts into the fake provider (Fault) and reads back from it (ProviderStats, RecordedRequest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One scripted answer: ok, an HTTP error status, a throttle, a quota refusal, a hang, broken JSON, a failed
    Responses answer, or a 200 that is a refusal (the model's or a filter's) or a blocked prompt."""

    kind: str = "ok"  # ok | status | rate_limited | quota | auth | model_not_found | hang | malformed | failed
    #                   | refused | blocked
    code: int = 200
    retry_after: float | None = None
    seconds: float = 0.0
    text: str | None = None
    output_tokens: int | None = None
    headers: dict[str, str] | None = None  # sent with a scripted error (e.g. a 429's x-ratelimit-* headers)
    retry_after_header: bool = True  # False: a 429 names its wait in its message only, with no Retry-After
    error_code: str | None = None  # a failed response's error.code
    usage: dict[str, Any] | None = None  # a failed response's usage (None: "usage": null)
    reason: str | None = None  # a refusal's kind in the wire's words (see ``refused``) or a prompt's blockReason
    with_usage: bool = True  # False: a refusal's body reports no usage

    @classmethod
    def ok(cls, text: str | None = None, output_tokens: int | None = None) -> Fault:
        return cls("ok", text=text, output_tokens=output_tokens)

    @classmethod
    def status(cls, code: int, retry_after: float | None = None, headers: dict[str, str] | None = None) -> Fault:
        return cls("status", code, retry_after=retry_after, headers=headers)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 2.0, headers: dict[str, str] | None = None, *,
                     retry_after_header: bool = True) -> Fault:
        return cls("rate_limited", 429, retry_after=retry_after, headers=headers,
                   retry_after_header=retry_after_header)

    @classmethod
    def quota(cls) -> Fault:
        return cls("quota", 429)

    @classmethod
    def auth(cls) -> Fault:
        return cls("auth", 401)

    @classmethod
    def model_not_found(cls) -> Fault:
        """The provider does not know the model asked for (retired, or a typo in the config): a 404 naming it."""
        return cls("model_not_found", 404)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        """Answer only after ``seconds`` (or when the server closes): longer than any test client's timeout."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def failed(cls, error_code: str | None, message: str, retry_after: float | None = None,
               usage: dict[str, Any] | None = None) -> Fault:
        """A Responses API 200 whose model failed: ``status: "failed"``, ``error: {code, message}`` (OpenAI wire
        only), with a Retry-After header if ``retry_after`` is given, and ``usage`` (what the provider bills) if
        given, else ``"usage": null``."""
        return cls("failed", 200, retry_after=retry_after, text=message, error_code=error_code, usage=usage)


    @classmethod
    def refused(cls, reason: str | None = None, output_tokens: int | None = None, *, with_usage: bool = True) -> Fault:
        """A 200 whose answer a policy stopped, in the wire's own shape, with the usage it was billed for (the
        request's tokens, and ``output_tokens``, default 0): Anthropic ``stop_reason: "refusal"`` (``reason``: its
        ``stop_details.category``); OpenAI's Responses ``status: "incomplete"`` with ``incomplete_details.reason
        content_filter`` and Chat Completions ``finish_reason: "content_filter"``, or with ``reason="refusal"`` a
        refusal output item and ``message.refusal``; Gemini a candidate stopped by ``finishReason`` ``reason``
        (default SAFETY), with no content. ``with_usage=False``: no usage in the body."""
        return cls("refused", 200, output_tokens=output_tokens, reason=reason, with_usage=with_usage)

    @classmethod
    def blocked(cls, reason: str = "PROHIBITED_CONTENT", *, with_usage: bool = True) -> Fault:
        """Gemini's blocked prompt (provider-apis.md 3.3): a 200 with no candidates and ``promptFeedback.blockReason``
        ``reason``; its ``usageMetadata`` counts the prompt read (``with_usage=False``: none)."""
        return cls("blocked", 200, reason=reason, with_usage=with_usage)


@dataclass
class ProviderStats:
    requests: int = 0  # every request received
    ok: int = 0
    sent_429: int = 0  # every 429, scripted or from the limiter
    limit_429: int = 0  # 429s from the fake's own limits: Switchboard should cause none
    faults: int = 0  # scripted non-ok answers
    tokens: int = 0  # tokens admitted (input + output)
    in_flight: int = 0
    max_in_flight: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any
    at: float
