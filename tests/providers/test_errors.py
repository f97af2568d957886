"""The error mapping, on literal provider responses (bodies quoted in provider-apis.md where it has them)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from router_core.errors import (
    AuthFailed,
    EndpointNotFound,
    ModelNotFound,
    NotConfigured,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
)
from router_core.providers.cli import CliRun, ParseContext
from router_core.providers.cli_gemini import parse as parse_gemini
from router_core.providers.errors import error_from_response, malformed_response, transport_error

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z

GEMINI_PER_DAY = {"error": {
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details. For more information "
               "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current "
               "usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: generativelanguage."
               "googleapis.com/generate_content_free_tier_requests, limit: 20, model: gemini-3.6-flash\nPlease "
               "retry in 36.429760048s.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                         "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                         "quotaDimensions": {"location": "global", "model": "gemini-3.6-flash"},
                         "quotaValue": "20"}]},
        {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36s"},
    ],
}}


def gemini_429(quota_id: str | None, retry_delay: str | None, message: str = "Quota exceeded.") -> dict:
    details = []
    if quota_id:
        details.append({"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaId": quota_id}]})
    if retry_delay:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay})
    return {"error": {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED", "details": details}}


def mapped(status: int, body=None, headers=None, text: str | None = None, provider: str = "p"):
    if text is not None:
        response = httpx.Response(status, text=text, headers=headers)
    else:
        response = httpx.Response(status, json=body, headers=headers)
    return error_from_response(provider, response, NOW)


def test_gemini_per_day_quota_is_exhausted_until_midnight_pacific():
    error = mapped(429, GEMINI_PER_DAY, provider="gemini")
    assert isinstance(error, QuotaExhausted)
    assert error.resets_at == NOW + 8 * 3600  # 00:00 UTC is 16:00 PST; midnight Pacific is 8 hours on
    assert str(error).startswith("gemini quota exhausted (429), resets at 2026-01-01 08:00 UTC: You exceeded")


def test_gemini_per_minute_quota_is_rate_limited_with_retry_delay():
    error = mapped(429, gemini_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "17s"))
    assert type(error) is RateLimited
    assert error.retry_after == 17.0


def test_gemini_retry_from_message_when_no_retry_info():
    error = mapped(429, gemini_429(None, None, "Quota exceeded for metric x.\nPlease retry in 36.429760048s."))
    assert type(error) is RateLimited
    assert error.retry_after == pytest.approx(36.429760048)


@pytest.mark.parametrize(
    ("body", "resets_at"),
    [
        (gemini_429(None, None, "Quota exceeded for metric: x, limit: 0, model: gemini-3-pro"), None),
        (gemini_429("GenerateRequestsPerMinutePerProjectPerModel", "900s"), NOW + 900),
    ],
)
def test_gemini_terminal_cases_are_quota_exhausted(body, resets_at):
    error = mapped(429, body)
    assert type(error) is QuotaExhausted
    assert error.resets_at == resets_at


def test_gemini_api_key_invalid_is_auth_failed():
    body = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                      "status": "INVALID_ARGUMENT",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                                   "domain": "googleapis.com"}]}}
    assert type(mapped(400, body)) is AuthFailed


def test_openai_rate_limit_message_gives_retry_when_no_header():
    body = {"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-XXXX on tokens per min "
                                 "(TPM): Limit 200000, Used 195869, Requested 4412. Please try again in 84ms. Visit "
                                 "https://platform.openai.com/account/rate-limits to learn more.",
                      "type": "tokens", "param": None, "code": "rate_limit_exceeded"}}
    error = mapped(429, body, provider="codex")
    assert type(error) is RateLimited
    assert error.retry_after == pytest.approx(0.084)
    assert str(error).startswith("codex rate limited (429): retry after 84ms: Rate limit reached")


def test_openai_exhausted_dimension_reset_header_gives_retry():
    headers = {"x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests": "1s",
               "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"}
    error = mapped(429, {"error": {"message": "Rate limit", "type": "tokens", "code": "rate_limit_exceeded"}},
                   headers)
    assert error.retry_after == 360.0


@pytest.mark.parametrize(("dimension", "unit", "said", "reset", "wait"), [
    ("requests", "requests per min (RPM): Limit 500, Used 500, Requested 1", "120ms", "1m0s", 0.12),
    ("tokens", "tokens per min (TPM): Limit 30000, Used 30000, Requested 1500", "1.5s", "6m0s", 1.5),
    ("tokens", "tokens per min (TPM): Limit 30000, Used 30000, Requested 800", "1m30.5s", "6m0s", 90.5),
])
def test_openai_try_again_in_decides_over_the_whole_window_reset(dimension, unit, said, reset, wait):
    """With no Retry-After, the reset header of the limit with none left (the time until its whole window is
    full again) decided the wait over the message's own: a 429 saying "try again in 120ms" waited 60 s, and
    one saying "1.5s" waited 6 minutes, over outage_probe_interval_seconds, so codex was held as a quota."""
    headers = {f"x-ratelimit-remaining-{dimension}": "0", f"x-ratelimit-reset-{dimension}": reset}
    body = {"error": {"message": f"Rate limit reached for gpt-4o in organization org-XXXX on {unit}. Please try "
                                 f"again in {said}. Visit https://platform.openai.com/account/rate-limits to learn "
                                 "more.", "type": dimension, "param": None, "code": "rate_limit_exceeded"}}
    error = mapped(429, body, headers, provider="codex")
    assert type(error) is RateLimited and error.retry_after == pytest.approx(wait)
    # A Retry-After is the least wait: the message's shorter one does not undercut it.
    assert mapped(429, body, {**headers, "retry-after": "100"}).retry_after == 100.0


@pytest.mark.parametrize(
    "code", ["insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
             "project_spend_limit_exceeded", "organization_usage_limit_exceeded"],
)
def test_openai_billing_codes_are_quota_exhausted(code):
    body = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                      "type": "insufficient_quota", "param": None, "code": code}}
    error = mapped(429, body, provider="codex")
    assert type(error) is QuotaExhausted
    assert error.resets_at is None
    assert "retrying will not help" in str(error)


def test_retry_after_ms_wins_over_retry_after():
    error = mapped(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "1500", "retry-after": "9"})
    assert error.retry_after == 1.5


def test_a_503_or_529_keeps_its_retry_after_and_none_without_one():
    overloaded = mapped(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                        {"retry-after": "8"})
    assert type(overloaded) is ProviderUnavailable and overloaded.retry_after == 8.0
    assert mapped(503, {"error": {"message": "down"}}, {}).retry_after is None


def test_retry_after_as_http_date():
    error = mapped(429, {"error": {"message": "slow down"}}, {"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"})
    assert error.retry_after == 30.0


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("skew", [-2 * 3600.0, 3 * 3600.0])  # this machine's clock 2 h behind the provider's, 3 h ahead
def test_a_retry_after_date_counts_from_the_responses_date_not_this_machines_clock(status, skew):
    # The provider's clock says 00:00:00 and asks for 30 s; before, read against a clock 2 h behind it the wait was
    # 2h00m30s (a 429 held the provider as a quota for two hours), against one 3 h ahead it was none.
    headers = {"date": "Thu, 01 Jan 2026 00:00:00 GMT", "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"}
    response = httpx.Response(status, json={"error": {"message": "slow down"}}, headers=headers)
    assert error_from_response("p", response, NOW + skew).retry_after == 30.0


def test_a_retry_after_sent_twice_keeps_the_longest_wait():
    """A proxy in front of the provider adds its own Retry-After: httpx joins the two into "5, 20"."""
    headers = httpx.Headers([("retry-after", "5"), ("retry-after", "20")])
    error = mapped(429, {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
                   headers)
    assert type(error) is RateLimited and error.retry_after == 20.0
    assert "retry after 20s" in str(error)


def test_anthropic_rate_limit_without_retry_after_uses_the_exhausted_reset():
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has "
                                       "exceeded your per-minute rate limit"}, "request_id": "req_1"}
    headers = {"anthropic-ratelimit-input-tokens-remaining": "0",
               "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:00:42Z",
               "anthropic-ratelimit-requests-remaining": "10",
               "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:05Z"}
    error = mapped(429, body, headers, provider="claude")
    assert type(error) is RateLimited
    assert error.retry_after == 42.0


def test_an_anthropic_reset_counts_from_the_responses_date_not_this_machines_clock():
    # before: this machine's clock 2 h behind Anthropic's made a 42 s wait 2h00m42s, held as a quota
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "rate limited"}}
    headers = {"date": "Thu, 01 Jan 2026 00:00:00 GMT", "anthropic-ratelimit-input-tokens-remaining": "0",
               "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:00:42Z"}
    response = httpx.Response(429, json=body, headers=headers)
    assert error_from_response("claude", response, NOW - 7200).retry_after == 42.0
    # a Date decades off is no clock (a misconfigured proxy): counted from this machine's, not 36 years
    response = httpx.Response(429, json=body, headers={**headers, "date": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert error_from_response("claude", response, NOW).retry_after == 42.0


def test_anthropic_spend_cap_is_quota_exhausted_until_named_date():
    body = {"type": "error", "error": {
        "type": "rate_limit_error",
        "message": "You have reached your API usage limits: your organization has crossed its monthly API usage "
                   "threshold, set based on your organization's API tier. You will regain access on 2026-09-01 at "
                   "00:00 UTC.",
        "details": {"error_code": "enforced_spend_limit_reached"}}, "request_id": "req_018EeWyXxfu5pfWkrYcMdjWG"}
    error = mapped(429, body, provider="claude")
    assert type(error) is QuotaExhausted
    assert error.resets_at == datetime(2026, 9, 1, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("status", "body", "error_type"),
    [
        (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, ProviderUnavailable),
        (402, {"type": "error", "error": {"type": "billing_error", "message": "Credit balance"}}, QuotaExhausted),
        (403, {"type": "error", "error": {"type": "permission_error", "message": "no"}}, AuthFailed),
        (408, {"error": {"message": "timeout"}}, ProviderUnavailable),
        (404, {"error": {"message": "The model `gpt-9` does not exist", "type": "invalid_request_error"}},
         ModelNotFound),
        (404, {"error": {"message": "Invalid URL (POST /v1/respons)", "type": "invalid_request_error"}},
         EndpointNotFound),  # no such endpoint: the base URL is wrong for every task, so say so and fall back
        (413, {"type": "error", "error": {"type": "request_too_large", "message": "too big"}}, RequestTooLarge),
        (503, {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
         ProviderUnavailable),
    ],
)
def test_status_classes(status, body, error_type):
    error = mapped(status, body)
    assert type(error) is error_type
    assert error.status_code == status


def test_non_json_error_body_keeps_a_short_message():
    error = mapped(502, text="<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>", provider="codex")
    assert type(error) is ProviderUnavailable
    assert str(error) == "codex unavailable (502): 502 Bad Gateway"  # the page's text, not its markup


def test_long_provider_messages_are_clipped():
    error = mapped(400, {"error": {"message": "x" * 1000}})
    assert len(str(error)) < 400


@pytest.mark.parametrize(
    ("exc", "error_type", "text"),
    [
        (httpx.ReadTimeout("read timed out"), ProviderUnavailable, "p timed out after 2s (ReadTimeout)"),
        (httpx.ConnectError("refused"), ProviderUnavailable, "p unreachable: ConnectError: refused"),
        (httpx.RemoteProtocolError("peer closed"), ProviderUnavailable, "p unreachable: RemoteProtocolError"),
        (httpx.UnsupportedProtocol("no scheme"), NotConfigured, "p base URL is not usable: no scheme"),
    ],
)
def test_transport_errors(exc, error_type, text):
    error = transport_error("p", exc, timeout=2.0)
    assert type(error) is error_type
    assert str(error).startswith(text)


def test_only_an_error_after_the_request_reached_the_model_may_be_billed():
    # Before any response, only a read timeout (the provider is working on the answer) may be billed: a connection
    # refused, dropped or closed (a proxy, a stale pooled connection) never reached the model.
    assert transport_error("p", httpx.ReadTimeout("read"), 2.0).maybe_billed
    for exc in (httpx.ConnectTimeout("connect"), httpx.WriteTimeout("write"), httpx.PoolTimeout("pool"),
                httpx.ConnectError("refused"), httpx.WriteError("broken pipe"), httpx.ReadError("reset by peer"),
                httpx.RemoteProtocolError("Server disconnected without sending a response.")):
        assert not transport_error("p", exc, 2.0).maybe_billed, exc
    # While a 2xx answer was being read it is billed; while an error response was, it is not.
    for exc in (httpx.ReadTimeout("read"), httpx.ReadError("reset by peer"), httpx.RemoteProtocolError("peer closed"),
                httpx.DecodingError("bad gzip")):
        assert transport_error("p", exc, 2.0, answering=True).maybe_billed, exc
        assert not transport_error("p", exc, 2.0, answering=False).maybe_billed, exc


def test_an_answer_that_cannot_be_read_may_be_billed_an_error_response_not():
    assert malformed_response("p", "body is not JSON").maybe_billed
    assert not malformed_response("p", "body is not JSON", 502).maybe_billed


def test_a_404_naming_no_model_says_which_base_url_setting_to_fix():
    # A proxy's base URL without /v1 answered 404 on every task, reported as "rejected the request (404)":
    # the task stopped, with nothing said about the URL.
    error = mapped(404, {"error": {"message": "Not Found"}}, provider="codex")
    assert type(error) is EndpointNotFound and error.fallback_helps and error.status_code == 404
    assert "no such endpoint" in str(error) and "base_url" in str(error)


def test_a_location_gemini_does_not_serve_falls_back_instead_of_stopping():
    body = {"error": {"code": 400, "message": "User location is not supported for the API use.",
                      "status": "FAILED_PRECONDITION"}}
    error = mapped(400, body, provider="gemini")
    assert type(error) is AuthFailed and error.fallback_helps and not error.retryable
    assert str(error).startswith("gemini does not serve this machine's location (400)")


@pytest.mark.parametrize(("said", "none_at_all"), [
    ("limit: 0, model: gemini-2.5-pro", True),
    ("limit: 0. Please retry", True),
    ("limit: 05, model: gemini-2.5-pro", False),
    ("limit: 0.5, model: gemini-2.5-pro", False),
    ("ratelimit: 0, model: gemini-2.5-pro", False),
])
def test_only_a_quota_of_limit_0_is_no_quota_at_all_over_http_and_from_the_cli(said, none_at_all):
    # The HTTP mapping read any "limit: 0…" as none at all ("limit: 05" a quota with no reset, never retried), the
    # gemini CLI backend only "limit: 0" itself: both now read it the CLI's way.
    message = f"You exceeded your current quota.\n* Quota exceeded for metric: x, {said}\nPlease retry in 36s."
    error = mapped(429, gemini_429("GenerateRequestsPerMinutePerProjectPerModel", "36s", message), provider="gemini")
    with pytest.raises(ProviderError) as caught:
        parse_gemini(CliRun(1, "", f"[API Error: {message} (Status: RESOURCE_EXHAUSTED)]"),
                     ParseContext("gemini", "", NOW, UTC))
    for mapped_error in (error, caught.value):
        if none_at_all:
            assert type(mapped_error) is QuotaExhausted and mapped_error.resets_at is None
        else:
            assert type(mapped_error) is RateLimited and mapped_error.retry_after == 36.0
