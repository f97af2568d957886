"""The one place where httpx exceptions and provider error responses become router_core.errors.

    httpx.TimeoutException, whole-call deadline -> ProviderUnavailable (maybe_billed for a read timeout and
                                                   the deadline: the request was sent, the provider may bill it)
    httpx.TransportError (connect, read, ...)   -> ProviderUnavailable (maybe_billed when it broke while a 2xx
                                                   answer was being read: see transport_error)
    httpx.DecodingError (corrupt gzip, ...)     -> ProviderUnavailable (malformed response; maybe_billed for a 2xx)
    invalid/unsupported URL                     -> NotConfigured
    200 with a body that is not the expected JSON -> ProviderUnavailable (maybe_billed: it answered)
    200 with an error body and no answer (a proxy relaying an upstream error) -> as the status its code
        (or Anthropic error type) names, else as a 502; a Responses 200 with status failed: by its error.code
        as here (openai.response_failed, which shares these helpers)
    3xx (the client does not follow redirects)  -> NotConfigured, naming the Location to configure
    429 rate limit / Gemini per-minute quota    -> RateLimited(retry_after=seconds or None)
    429 billing (OpenAI insufficient_quota and billing codes), Anthropic spend cap, 402,
        Gemini per-day quota or "limit: 0"      -> QuotaExhausted(resets_at=epoch or None)
    400 "credit balance is too low" (Anthropic) -> QuotaExhausted
    401, 403, Gemini API_KEY_INVALID, Gemini 400 "User location is not supported" -> AuthFailed
    5xx, 529, 408, 409, 499                     -> ProviderUnavailable
    OpenAI model_not_found, a 404 naming the model (Anthropic "model: X", Gemini "models/X is not found")
                                                -> ModelNotFound, naming the setting that chose the model
    context_length_exceeded, "prompt is too long", "input token count … exceeds", 413, and a 429 "Request
        too large" (over the whole per-minute token limit) -> RequestTooLarge (fall back, never retry)
    a 400 for a content filter (Anthropic "Output blocked by content filtering policy", OpenAI invalid_prompt
        "flagged as potentially violating our usage policy", Azure content_filter) -> ProviderRefused (fall back)
    another 404 (nothing answers at the base URL) -> EndpointNotFound, naming the base-URL setting
    other 4xx                                   -> ProviderRejected (the provider's message)
    an error body that breaks the mapping       -> RateLimited (429) or ProviderUnavailable, with an excerpt

Body shapes (provider-apis.md): OpenAI ``{"error":{message,type,param,code}}`` (1.6); Anthropic
``{"type":"error","error":{type,message,details?},"request_id"}`` (2.5); Google ``google.rpc.Status``
``{"error":{code,message,status,details:[QuotaFailure, RetryInfo, ErrorInfo, Help]}}`` (3.6).
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from router_core.errors import (
    AuthFailed,
    EndpointNotFound,
    ModelNotFound,
    NotConfigured,
    ProviderError,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
    RouterError,
)
from router_core.providers.error_body import ErrorBody, as_list, body_text, excerpt, quoted, read_body
from router_core.providers.retry_hint import retry_hint
from router_core.providers.timeparse import (
    format_epoch,
    format_seconds,
    header_retry_after,
    next_midnight,
    parse_duration,
)

if TYPE_CHECKING:
    from router_core.providers.base import Completion

PACIFIC = ZoneInfo("America/Los_Angeles")
# OpenAI 429 codes for billing, not pace: retrying never helps (provider-apis.md 1.6).
OPENAI_QUOTA_CODES = frozenset({
    "insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded", "organization_usage_limit_exceeded",
})
# gemini-cli treats a retry delay above this as terminal (provider-apis.md 3.6).
GEMINI_TERMINAL_DELAY_SECONDS = 300.0
_REGAIN_ACCESS = re.compile(r"regain access on (\d{4}-\d{2}-\d{2}) at (\d{1,2}):(\d{2}) UTC")
# A request over the model's context window or the request size limit, in the providers' and CLIs' words:
# OpenAI "maximum context length is …" / "Your input exceeds the context window of this model", Anthropic
# "prompt is too long: 208310 tokens > 200000 maximum" / "… exceed context limit", Gemini "The input token count
# (1200000) exceeds the maximum number of tokens allowed", codex "ran out of room in the model's context window".
_CONTEXT_OVERFLOW = re.compile(
    r"context_length_exceeded|maximum context length|context window|exceeds? (?:the )?context limit|"
    r"prompt is too long|input token count.{0,40}exceeds|request too large|request_too_large", re.I)
# An unknown model: OpenAI "The model `gpt-9` does not exist" (code model_not_found), Anthropic 404
# "model: claude-x", Gemini 404 "models/gemini-9 is not found", codex "Model not found" / "The 'x' model is
# not supported when using Codex with a ChatGPT account".
_UNKNOWN_MODEL = re.compile(
    r"model_not_found|model not found|models/\S+ is not found|model [`'\"]?[^\s`'\"]*[`'\"]? does not exist|"
    r"model is not supported|^model: \S|unknown model|invalid model", re.I)
# A 400 from a content filter, which another provider's policy may pass: Anthropic "Output blocked by content
# filtering policy", OpenAI code invalid_prompt "your prompt was flagged as potentially violating our usage
# policy", an OpenAI-compatible Azure deployment's code content_filter "... content management policy".
FILTER_CODES = frozenset({"invalid_prompt", "content_filter", "content_policy_violation"})
_CONTENT_FILTERED = re.compile(r"content filtering policy|content management policy|flagged as potentially "
                               r"violating|violat\w* our usage polic", re.I)
_NO_QUOTA = re.compile(r"\blimit: 0(?!\.?\d)")  # has_no_quota
# The keys of an answer in each wire format (1.2, 1.4, 2.2, 3.3): a body with one of them is not an error body.
_ANSWER_KEYS = ("output", "choices", "content", "candidates")
# Anthropic error.type (2.5) -> the status it comes with, for an error relayed in a 200.
_STATUS_OF_TYPE = {"rate_limit_error": 429, "overloaded_error": 529, "api_error": 500, "timeout_error": 504,
                   "authentication_error": 401, "permission_error": 403, "billing_error": 402,
                   "invalid_request_error": 400, "not_found_error": 404, "request_too_large": 413}
_ENTITY_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "content-type"})

logger = logging.getLogger(__name__)


def timed_out(provider: str, timeout: float | None, why: str, *, maybe_billed: bool = False) -> ProviderUnavailable:
    """``maybe_billed``: the request was sent and only the answer was not waited for (it may be billed)."""
    after = f" after {format_seconds(timeout)}" if timeout else ""
    return ProviderUnavailable(f"{provider} timed out{after} ({why})", provider=provider, maybe_billed=maybe_billed)


def transport_error(provider: str, exc: httpx.HTTPError, timeout: float | None = None, *,
                    answering: bool | None = None) -> RouterError:
    """``answering``: None before a response began, else whether it was a 2xx answer being read. Only a read
    timeout before the response (the provider was working on the answer) or a failure while reading an answer
    may be billed: a connection refused, dropped or closed before any response (a proxy, a stale pooled
    connection) never reached the model, and an error response is not billed."""
    if isinstance(exc, httpx.TimeoutException):  # a read timeout: sent, not answered; connect, write, pool: not sent
        billed = isinstance(exc, httpx.ReadTimeout) and answering is not False
        return timed_out(provider, timeout, type(exc).__name__, maybe_billed=billed)
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return NotConfigured(f"{provider} base URL is not usable: {exc}")
    if isinstance(exc, httpx.DecodingError):  # the bytes arrived; their content-encoding is broken
        return ProviderUnavailable(f"{provider} returned a malformed response: the body could not be decoded "
                                   f"({excerpt(str(exc))})", provider=provider, maybe_billed=answering is True)
    return ProviderUnavailable(f"{provider} unreachable: {type(exc).__name__}: {exc}", provider=provider,
                               maybe_billed=answering is True)


def malformed_response(provider: str, detail: str, status_code: int = 200) -> ProviderUnavailable:
    """An answer we cannot read: the provider answered (and billed) it, without counts we can read."""
    return ProviderUnavailable(
        f"{provider} returned a malformed response ({status_code}): {detail}", provider=provider,
        status_code=status_code, maybe_billed=200 <= status_code < 300,
    )


def error_in_answer(data: dict[str, Any], response: httpx.Response) -> httpx.Response | None:
    """A 200 whose body is an error and no answer (a proxy or compatible server relaying an upstream failure:
    ``{"error": {"code": 429, "message": …}}``), as the error response it stands for: the status its ``code``
    names, else the one its Anthropic-style ``type`` implies, else 502. None for an answer (a Responses body
    with ``status: failed`` carries ``output`` and is read by its adapter)."""
    error = data.get("error")
    if not error or any(key in data for key in _ANSWER_KEYS):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    kind = str(error.get("type") or "") if isinstance(error, dict) else ""
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
        status = code
    else:
        status = _STATUS_OF_TYPE.get(kind, 502)
    headers = _headers_of(response)
    with contextlib.suppress(RuntimeError):  # a bare response in a test has no request
        return httpx.Response(status, json=data, headers=headers, request=response.request)
    return httpx.Response(status, json=data, headers=headers)


def without_body(response: httpx.Response) -> httpx.Response:
    """An error response whose body was lost (cut, or an encoding that does not decode), as its status and
    headers alone: they still say what happened (a 429's Retry-After, a 503's)."""
    return httpx.Response(response.status_code, headers=_headers_of(response), content=b"", request=response.request)


def _headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    """The response's headers but those describing its body (a rebuilt response has another)."""
    return [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _ENTITY_HEADERS]


def error_from_response(provider: str, response: httpx.Response, now: float, *,
                        base_url_setting: str = "", model: str = "", base_url_example: str = "") -> RouterError:
    """Map a non-2xx response to the error class a caller can act on. ``base_url_setting`` names where the
    provider's base URL is set, for the message of a redirect or a missing endpoint, and ``base_url_example``
    is a right one for its wire format (the provider's own); ``model`` is the model asked for, for the
    message of an unknown model.

    Never raises: an error body that breaks the mapping (a field of an unexpected type) becomes a
    RateLimited for a 429, else a ProviderUnavailable, with the status and an excerpt of the body."""
    try:
        if 300 <= response.status_code < 400:
            return _redirected(provider, response, base_url_setting)
        return _mapped(provider, response, now, model, base_url_setting, base_url_example)
    except Exception as exc:  # noqa: BLE001 - a bug in reading one odd body must not escape as a non-RouterError
        logger.warning("%s: could not map HTTP %s error response", provider, response.status_code, exc_info=True)
        status = response.status_code
        said = f": {excerpt(body_text(response))}" if body_text(response).strip() else ""
        if status == 429:
            return RateLimited(f"{provider} rate limited ({status}): no retry time given{said}", provider=provider,
                               retry_after=None, status_code=status)
        return ProviderUnavailable(f"{provider} returned an unreadable error response ({status}, "
                                   f"{type(exc).__name__}){said}", provider=provider, status_code=status)


def _redirected(provider: str, response: httpx.Response, setting: str) -> NotConfigured:
    """httpx does not follow redirects (a POST must not silently change host): say where to point instead."""
    status = response.status_code
    where = setting or f"providers.{provider}.base_url (or the provider's *_BASE_URL variable)"
    location = response.headers.get("location", "").strip()
    if not location:
        return NotConfigured(f"{provider} base URL answered {status}, a redirect without a Location; check {where}")
    # A relative Location is relative to the URL we called (a bare response in a test has no request).
    with contextlib.suppress(RuntimeError, httpx.InvalidURL):
        location = str(response.request.url.join(location))
    return NotConfigured(f"{provider} base URL redirects ({status}) to {excerpt(location)}; redirects are not "
                         f"followed: set {where} to that address (without the endpoint path)")


def _not_found(provider: str, response: httpx.Response, setting: str, detail: str, example: str) -> EndpointNotFound:
    """A 404 that names no model: the endpoint is not where the base URL points (a proxy's path, a missing
    or doubled ``/v1``); every task would fail the same, so say which setting to fix (and fall back)."""
    where = setting or f"providers.{provider}.base_url (or the provider's *_BASE_URL variable)"
    called = ""
    with contextlib.suppress(RuntimeError):
        called = f" {response.request.url.copy_with(query=None)}"
    status = response.status_code
    example = example or "https://api.openai.com/v1"
    return EndpointNotFound(f"{provider} has no such endpoint at{called or ' the base URL'} ({status}{detail}); check "
                            f"{where}: the base URL without the endpoint path, e.g. {example}",
                            provider=provider, status_code=status)


def _mapped(provider: str, response: httpx.Response, now: float, model: str = "", setting: str = "",
            example: str = "") -> ProviderError:
    status = response.status_code
    body = read_body(response)
    said = quoted(body)
    if status == 429 or body.kind == "RESOURCE_EXHAUSTED" or _slow_down(status, body):
        return _too_many(provider, status, body, response.headers, now)
    if status == 402 or "credit balance is too low" in body.message.lower():
        return QuotaExhausted(f"{provider} billing limit reached ({status}), retrying will not help{said}",
                              provider=provider, status_code=status)
    if body.kind == "FAILED_PRECONDITION" and "location is not supported" in body.message.lower():
        # Gemini's 400 for a country it does not serve: the same next time, another provider may serve it
        return AuthFailed(f"{provider} does not serve this machine's location ({status}){said}", provider=provider,
                          status_code=status)
    if status in (401, 403) or body.kind in ("UNAUTHENTICATED", "PERMISSION_DENIED") or _google_reason(
        body, "API_KEY_INVALID"
    ):
        return AuthFailed(f"{provider} rejected the credentials ({status}){said}", provider=provider,
                          status_code=status)
    if status >= 500 or status in (408, 409, 499):
        return ProviderUnavailable(f"{provider} unavailable ({status}){said}", provider=provider,
                                   status_code=status, retry_after=header_retry_after(response.headers, now))
    if body.code == "model_not_found" or (status in (400, 404) and is_unknown_model(body.message)):
        return model_not_found(provider, model, f"{status}{said}", status)
    if (body.code == "context_length_exceeded" or status == 413 or body.kind == "request_too_large"
            or (status == 400 and is_context_overflow(body.message))):
        return request_too_large(provider, f"{status}{said}", status)
    if status == 400 and (body.code in FILTER_CODES or is_content_filtered(body.message)):
        return content_filtered(provider, f"{status}{said}", status)
    if status == 404:  # naming no model: nothing answers at the base URL
        return _not_found(provider, response, setting, said, example)
    return ProviderRejected(f"{provider} rejected the request ({status}){said}", provider=provider,
                            status_code=status)


def is_context_overflow(text: str) -> bool:
    """Whether a provider's or CLI's message says the request is over the model's context or size limit."""
    return _CONTEXT_OVERFLOW.search(text) is not None


def is_content_filtered(text: str) -> bool:
    """Whether a provider's or CLI's message says a content filter blocked the prompt or the answer."""
    return _CONTENT_FILTERED.search(text) is not None


def content_filtered(provider: str, said: str, status: int | None = None) -> ProviderRefused:
    """``said``: the status and the provider's words. No retry (the same filter answers the same), but another
    provider's policy may pass it: fall back."""
    return ProviderRefused(f"{provider} refused the request: a content filter blocked it ({said}); asking again "
                           "will not help, another provider may answer", provider=provider, status_code=status)


def has_no_quota(text: str) -> bool:
    """Google's "limit: 0" ("Quota exceeded for metric: …, limit: 0, model: …"): the account's tier has no quota for
    the model at all, so no wait brings one (gemini-cli: terminal). Not "limit: 05", "limit: 0.5" or "ratelimit: 0"."""
    return _NO_QUOTA.search(text) is not None


def is_unknown_model(text: str) -> bool:
    """Whether a provider's or CLI's message says the model asked for does not exist (for this key)."""
    return _UNKNOWN_MODEL.search(text.strip()) is not None


def model_not_found(provider: str, model: str, said: str, status: int | None = None) -> ModelNotFound:
    """``said``: the status and the provider's words, e.g. ``"404: The model `gpt-9` does not exist"``."""
    which = f"the model {model!r}" if model else "its default model"
    return ModelNotFound(
        f"{provider} does not serve {which} ({said}): set providers.{provider}.default_model to a model your "
        f"account can use (or fix providers.{provider}.task_type_models or the agent's model, if one of them "
        "named it); retrying will not help", provider=provider, status_code=status)


def request_too_large(provider: str, said: str, status: int | None = None, *,
                      billed: Completion | None = None) -> RequestTooLarge:
    return RequestTooLarge(
        f"{provider}: the request is too large for the model or endpoint ({said}); retrying will not help: shorten the "
        "context or the prompt, or use a provider whose model has a larger context window",
        provider=provider, status_code=status, billed=billed)


def _too_many(provider: str, status: int, body: ErrorBody, headers: httpx.Headers, now: float) -> ProviderError:
    said = quoted(body)
    if body.message.lower().startswith("request too large"):  # OpenAI: over the whole TPM limit of the tier
        return RequestTooLarge(
            f"{provider}: the request is larger than the whole per-minute token limit of this account tier "
            f"({status}{said}); retrying will not help: shorten it, or use a provider (or tier) with a higher "
            "limit", provider=provider, status_code=status)
    if body.code in OPENAI_QUOTA_CODES or body.kind == "insufficient_quota":
        return _quota(provider, status, said, None)
    if "spend_limit" in body.code or "API usage limits" in body.message:
        return _quota(provider, status, said, _regain_access(body.message))
    retry_after = retry_hint(headers, body.message, now)
    if body.google_details or body.kind == "RESOURCE_EXHAUSTED":
        quota_ids = [str(v.get("quotaId") or "") for d in body.google_details
                     for v in as_list(d.get("violations")) if isinstance(v, dict)]
        if has_no_quota(body.message):
            return _quota(provider, status, said, None)
        if any("PerDay" in q or "Daily" in q for q in quota_ids):
            return _quota(provider, status, said, next_midnight(now, PACIFIC))
        delay = _google_retry_delay(body)
        retry_after = retry_after if delay is None else delay
        if retry_after is not None and retry_after > GEMINI_TERMINAL_DELAY_SECONDS:
            return _quota(provider, status, said, now + retry_after)
    wait = f"retry after {format_seconds(retry_after)}" if retry_after is not None else "no retry time given"
    return RateLimited(f"{provider} rate limited ({status}): {wait}{said}", provider=provider,
                       retry_after=retry_after, status_code=status)


def _slow_down(status: int, body: ErrorBody) -> bool:
    """OpenAI's 503 "Slow Down" (code ``slow_down``): the key's request rate rose too fast, so the provider is up
    and asks for a lower rate, as a 429 does; counted as a failure it opened a circuit on a healthy provider."""
    return status == 503 and (body.code == "slow_down" or body.message.lower().startswith("slow down"))


def _quota(provider: str, status: int, said: str, resets_at: float | None) -> QuotaExhausted:
    when = f"resets at {format_epoch(resets_at)}" if resets_at else "no reset time given; retrying will not help"
    return QuotaExhausted(f"{provider} quota exhausted ({status}), {when}{said}", provider=provider,
                          resets_at=resets_at, status_code=status)


def _google_retry_delay(body: ErrorBody) -> float | None:
    for detail in body.google_details:
        if str(detail.get("@type") or "").endswith("google.rpc.RetryInfo"):
            return parse_duration(str(detail.get("retryDelay", "")))
    return None


def _google_reason(body: ErrorBody, reason: str) -> bool:
    return any(d.get("reason") == reason for d in body.google_details)


def _regain_access(message: str) -> float | None:
    match = _REGAIN_ACCESS.search(message)
    if not match:
        return None
    day, hour, minute = (match.group(1), int(match.group(2)), int(match.group(3)))
    if minute > 59 or hour * 60 + minute > 24 * 60:
        return None
    try:  # "at 24:00" is the end of that day; "2026-02-30" is no day at all
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        return (start + timedelta(hours=hour, minutes=minute)).timestamp()
    except (ValueError, OverflowError):
        return None
