"""Odd values, slow bodies and redirects: each comes back as a typed error with the provider's words,
never as a plain Python exception (and never as a call that does not end)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from router_core.errors import NotConfigured, ProviderUnavailable, QuotaExhausted, RateLimited
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter
from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.errors import error_from_response, transport_error
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.ratelimit_headers import anthropic_rate_limits, openai_rate_limits
from router_core.providers.timeparse import (
    format_epoch,
    format_seconds,
    parse_duration,
    parse_int,
    parse_retry_after,
)

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
OK_RESPONSES = {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 2},
                "output": [{"type": "message", "content": [{"type": "output_text", "text": "hi"}]}]}
ANTHROPIC_429 = {"type": "error", "error": {"type": "rate_limit_error",
                                            "message": "This request would exceed your account's rate limit."}}


def adapter(handler, clock, kind="responses", timeout=None):
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    cls, provider, base = {
        "responses": (OpenAIResponsesAdapter, "codex", "http://proxy.test/v1"),
        "anthropic": (AnthropicAdapter, "claude", "http://proxy.test"),
        "gemini": (GeminiAdapter, "gemini", "http://proxy.test"),
    }[kind]
    return cls(client=client, base_url=base, api_key="k", provider=provider, clock=clock, default_model="m",
               timeout=timeout)


def answering(status, body=None, headers=None, content=None):
    def handle(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        return httpx.Response(status, json=body, headers=headers)
    return handle


async def raised(a, request=None):
    with anyio.fail_after(5):  # the old code never ended some of these
        with pytest.raises(Exception) as info:
            await a.complete(request or CompletionRequest(prompt="x"))
    return info.value


def mapped(status, body=None, headers=None, text=None, provider="p"):
    response = (httpx.Response(status, text=text, headers=headers) if text is not None
                else httpx.Response(status, json=body, headers=headers))
    return error_from_response(provider, response, NOW)


# -- 1. the timeout bounds the whole call ----------------------------------------------------------


class Trickle(httpx.AsyncByteStream):
    """A body that sends a byte every 50 ms and never ends: no single read is slow."""

    async def __aiter__(self):
        while True:
            await anyio.sleep(0.05)
            yield b" "


async def test_a_body_trickled_forever_times_out_after_the_whole_call_timeout(clock):
    a = adapter(lambda request: httpx.Response(200, stream=Trickle()), clock)
    started = anyio.current_time()
    error = await raised(a, CompletionRequest(prompt="x", timeout=0.3))
    assert type(error) is ProviderUnavailable
    assert str(error) == "codex timed out after 300ms (the whole call)"
    assert error.provider == "codex"
    assert anyio.current_time() - started < 2


async def test_the_adapter_timeout_bounds_the_whole_call_when_the_request_sets_none(clock):
    a = adapter(lambda request: httpx.Response(200, stream=Trickle()), clock, timeout=0.3)
    error = await raised(a)
    assert type(error) is ProviderUnavailable and "timed out after 300ms" in str(error)


# -- 2. odd values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf", "nan"])
async def test_a_non_finite_retry_after_is_a_rate_limit_with_no_retry_time(clock, value):
    error = await raised(adapter(answering(429, ANTHROPIC_429, {"retry-after": value}), clock, "anthropic"))
    assert type(error) is RateLimited and error.retry_after is None
    assert "no retry time given: This request would exceed" in str(error)


async def test_a_non_finite_retry_after_ms_falls_back_to_retry_after(clock):
    error = await raised(adapter(answering(429, ANTHROPIC_429, {"retry-after-ms": "1e400", "retry-after": "7"}),
                                 clock, "anthropic"))
    assert type(error) is RateLimited and error.retry_after == 7.0


@pytest.mark.parametrize("headers", [
    {"x-ratelimit-remaining-requests": "inf", "x-ratelimit-limit-requests": "100"},
    {"x-ratelimit-limit-tokens": "1e400"},
    {"x-ratelimit-limit-requests": "100", "x-ratelimit-reset-requests": "1" * 400 + "s"},
])
async def test_odd_rate_limit_headers_on_a_success_are_ignored(clock, headers):
    completion = await adapter(answering(200, OK_RESPONSES, headers), clock).complete(CompletionRequest(prompt="x"))
    assert completion.text == "hi"
    observed = completion.rate_limit
    assert observed is None or (observed.requests_remaining is None and observed.tokens_limit is None
                                and observed.requests_reset_at is None)


class CountingAdapter(OpenAIResponsesAdapter):
    """A parser that takes a count as int() takes it, as a wire parser may."""

    def _parse(self, data, headers, model, request):
        return int(data["usage"]["input_tokens"])


async def test_an_infinite_count_in_the_json_is_a_malformed_response(clock):
    body = b'{"status":"completed","output":[],"usage":{"input_tokens":Infinity,"output_tokens":2}}'
    client = httpx.AsyncClient(transport=httpx.MockTransport(answering(200, content=body)))
    a = CountingAdapter(client=client, base_url="http://proxy.test/v1", api_key="k", provider="codex", clock=clock,
                        default_model="m")
    error = await raised(a)
    assert type(error) is ProviderUnavailable
    assert "malformed response (200)" in str(error) and "OverflowError" in str(error)


@pytest.mark.parametrize(("message", "resets_at"), [
    ("You have reached your API usage limits. You will regain access on 2026-02-30 at 00:00 UTC.", None),
    ("You have reached your API usage limits. You will regain access on 2026-09-01 at 24:00 UTC.",
     1_788_307_200.0),  # the end of 1 September is 2026-09-02T00:00:00Z
    ("You have reached your API usage limits. You will regain access on 2026-09-01 at 25:00 UTC.", None),
])
def test_an_odd_spend_cap_date_is_a_quota_with_the_providers_message(message, resets_at):
    error = mapped(429, {"type": "error", "error": {"type": "rate_limit_error", "message": message}}, provider="claude")
    assert type(error) is QuotaExhausted and error.resets_at == resets_at
    assert "You have reached your API usage limits" in str(error)


@pytest.mark.parametrize("details", [
    [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": None}]}],
    [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": None}],
    [{"@type": None}],
    [{"@type": 7, "retryDelay": None}],
])
async def test_gemini_429_with_null_fields_is_a_rate_limit(clock, details):
    body = {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED", "details": details}}
    error = await raised(adapter(answering(429, body), clock, "gemini"))
    assert type(error) is RateLimited and error.retry_after is None
    assert str(error) == "gemini rate limited (429): no retry time given: Quota exceeded."


def test_a_gemini_retry_delay_too_long_for_a_date_is_a_quota_with_a_message():
    body = {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "100000000000000000000s"}]}}
    error = mapped(429, body, provider="gemini")
    assert type(error) is QuotaExhausted and error.resets_at == NOW + 1e20
    assert str(error) == "gemini quota exhausted (429), resets at 9999-12-31 23:59 UTC or later: Quota exceeded."


def test_an_error_body_that_breaks_the_mapping_is_still_a_typed_error(monkeypatch):
    import router_core.providers.errors as errors

    def broken(*args):
        raise TypeError("a field of an unexpected type")

    monkeypatch.setattr(errors, "_too_many", broken)
    monkeypatch.setattr(errors, "quoted", broken)
    limited = mapped(429, {"error": {"message": "slow down"}})
    assert type(limited) is RateLimited and limited.retry_after is None
    assert str(limited) == 'p rate limited (429): no retry time given: {"error":{"message":"slow down"}}'
    failed = mapped(503, text="<html><body><h1>Service  Unavailable</h1></body></html>")
    assert type(failed) is ProviderUnavailable and failed.status_code == 503
    assert str(failed) == "p returned an unreadable error response (503, TypeError): Service Unavailable"


@pytest.mark.parametrize("text", ["inf", "1e400", "nan", "-inf"])
def test_parse_retry_after_refuses_non_finite_values(text):
    assert parse_retry_after(text, None, NOW) is None
    assert parse_retry_after(None, text, NOW) is None


def test_parse_int_and_duration_refuse_non_finite_values():
    assert parse_int("inf") is None and parse_int("1e400") is None and parse_int("-inf") is None
    assert parse_duration("9" * 400 + "s") is None


@pytest.mark.parametrize(("seconds", "text"), [(float("inf"), "an unknown time"), (float("nan"), "an unknown time"),
                                               (1e20, "over a year"), (999_999_999, "over a year")])
def test_format_seconds_never_raises(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.parametrize(("epoch", "text"), [
    (1e20, "9999-12-31 23:59 UTC or later"), (float("inf"), "9999-12-31 23:59 UTC or later"),
    (float("nan"), "an unknown time"), (-1e20, "0001-01-01 00:00 UTC or earlier")])
def test_format_epoch_never_raises(epoch, text):
    assert format_epoch(epoch) == text


def test_rate_limit_header_parsers_never_raise():
    assert openai_rate_limits({"x-ratelimit-limit-requests": "inf", "x-ratelimit-remaining-requests": "1e400"},
                              NOW) is None
    assert anthropic_rate_limits({"anthropic-ratelimit-requests-limit": "1e400",
                                  "anthropic-ratelimit-requests-remaining": "inf"}, NOW) is None


# -- 4. redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_names_the_location_and_the_setting_to_change(clock, status):
    a = adapter(answering(status, content=b"", headers={"location": "https://api.openai.com/v1/responses"}), clock)
    error = await raised(a)
    assert type(error) is NotConfigured and error.fallback_helps
    text = str(error)
    assert text.startswith(f"codex base URL redirects ({status}) to https://api.openai.com/v1/responses;")
    assert "OPENAI_BASE_URL" in text and "providers.codex.base_url" in text


async def test_a_relative_redirect_is_resolved_against_the_called_url(clock):
    a = adapter(answering(307, content=b"<html>moved</html>", headers={"location": "/v2/messages"}), clock,
                "anthropic")
    error = await raised(a)
    assert type(error) is NotConfigured
    assert "redirects (307) to http://proxy.test/v2/messages" in str(error) and "ANTHROPIC_BASE_URL" in str(error)


def test_a_redirect_without_location_is_a_configuration_problem():
    error = mapped(304, text="", provider="codex")
    assert type(error) is NotConfigured and "304" in str(error) and "providers.codex.base_url" in str(error)


# -- 5. minor ---------------------------------------------------------------------------------------


def test_retry_in_with_hours_minutes_and_seconds_reads_all_three():
    error = mapped(429, {"error": {"message": "Please try again in 1h2m3s.", "type": "tokens",
                                   "code": "rate_limit_exceeded"}})
    assert type(error) is RateLimited and error.retry_after == 3723.0


def test_an_html_error_page_is_reduced_to_its_text():
    page = ("<html><head><title>502 Bad Gateway</title><style>body { color: red }</style>"
            "<script>var x = '<b>';</script></head><body><center><h1>502 Bad&nbsp;Gateway</h1></center><hr>"
            "<center>nginx</center>" + "<p>filler text</p>" * 100 + "</body></html>")
    error = mapped(502, text=page, headers={"content-type": "text/html"}, provider="codex")
    assert type(error) is ProviderUnavailable
    text = str(error)
    assert text.startswith("codex unavailable (502): 502 Bad Gateway 502 Bad Gateway nginx filler text")
    assert "<" not in text and "color" not in text and "var x" not in text
    assert len(text) <= len("codex unavailable (502): ") + 200


async def test_a_corrupt_gzip_body_is_a_malformed_response_not_unreachable(clock):
    a = adapter(answering(200, content=b"not gzip", headers={"content-encoding": "gzip"}), clock)
    error = await raised(a)
    assert type(error) is ProviderUnavailable
    assert str(error).startswith("codex returned a malformed response: the body could not be decoded")
    assert "unreachable" not in str(error)


def test_transport_error_for_a_decoding_error():
    error = transport_error("p", httpx.DecodingError("Error -3 while decompressing data"))
    assert type(error) is ProviderUnavailable and "malformed response" in str(error)


# -- a 200 whose body is an error -------------------------------------------------------------------


async def test_a_200_relaying_a_429_is_a_rate_limit_not_an_outage(clock):
    """A proxy (or OpenAI-compatible server) relays the upstream's 429 inside a 200: it was read as a malformed
    answer ("KeyError: 'output'"), retried as an outage, counted towards the outage circuit, and the host never
    saw the provider's words."""
    body = {"error": {"code": 429, "message": "Rate limit exceeded: free-models-per-min. Please try again in 7s."}}
    error = await raised(adapter(answering(200, body, {"retry-after": "7"}), clock))
    assert type(error) is RateLimited and error.retry_after == 7.0
    assert "free-models-per-min" in str(error)


async def test_a_200_relaying_an_anthropic_overload_is_unavailable_with_the_message(clock):
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    error = await raised(adapter(answering(200, body), clock, kind="anthropic"))
    assert type(error) is ProviderUnavailable and error.status_code == 529
    assert str(error) == "claude unavailable (529): Overloaded"


async def test_a_200_relaying_an_error_with_no_status_is_unavailable_with_the_message(clock):
    body = {"error": {"message": "upstream connect error", "type": "upstream_error", "code": "bad_gateway"}}
    error = await raised(adapter(answering(200, body), clock, kind="gemini"))
    assert type(error) is ProviderUnavailable and "upstream connect error" in str(error)


async def test_a_failed_response_is_still_read_by_its_adapter(clock):
    body = {"status": "failed", "output": [], "error": {"code": "server_error", "message": "The model failed"}}
    error = await raised(adapter(answering(200, body), clock))
    assert type(error) is ProviderUnavailable and "response status failed, server_error" in str(error)
