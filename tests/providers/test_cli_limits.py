"""Subscription limits in the phrasings the CLIs really print, read as holds until their reset.

Each message is quoted from a real report (the issue named beside it), not made up from the formats."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from router_core.errors import AuthFailed, ProviderUnavailable, QuotaExhausted, RateLimited
from router_core.providers.cli import CliRun, ParseContext
from router_core.providers.cli_claude import parse as parse_claude
from router_core.providers.cli_codex import parse as parse_codex
from router_core.providers.cli_gemini import parse as parse_gemini

UTC = ZoneInfo("UTC")
SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()


def ctx(provider: str) -> ParseContext:
    return ParseContext(provider, "", NOW, UTC)


def claude_failure(message: str, status: int | None) -> CliRun:
    body = {"type": "result", "subtype": "success", "is_error": True, "result": message}
    if status is not None:
        body |= {"api_error_status": status, "terminal_reason": "api_error"}
    return CliRun(1, json.dumps(body), "")


@pytest.mark.parametrize("status", [429, None])
@pytest.mark.parametrize(("message", "expected"), [
    # Claude Code 2.0.55 (anthropics/claude-code#12789)
    ("Weekly limit reached · resets 10am (Asia/Seoul) · /upgrade to Max or turn on /extra-usage",
     datetime(2026, 3, 3, 10, 0, tzinfo=SEOUL)),
    # Claude Code 2.0.x's 5-hour window, without a zone (this machine's: UTC here)
    ("5-hour limit reached ∙ resets 2pm", datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
    ("Session limit reached ∙ resets 2pm", datetime(2026, 3, 2, 14, 0, tzinfo=UTC)),
    ("Opus weekly limit reached ∙ resets Mar 6, 2pm", datetime(2026, 3, 6, 14, 0, tzinfo=UTC)),
    # Claude Code 1.0.x's text for "Claude AI usage limit reached|<epoch>" (anthropics/claude-code#2490)
    ("Claude usage limit reached. Your limit will reset at 3pm (America/Bogota).",
     datetime(2026, 3, 2, 15, 0, tzinfo=ZoneInfo("America/Bogota"))),
])
def test_a_claude_limit_in_each_phrasing_is_a_quota_until_its_reset(message, expected, status):
    # Before, "… limit reached · resets …" was a 429 rate limit (retried with backoff, held for seconds) or,
    # without a status, an outage; "will reset at" lost its time (held for the probe interval only).
    with pytest.raises(QuotaExhausted) as caught:
        parse_claude(claude_failure(message, status), ctx("claude"))
    assert caught.value.resets_at == expected.timestamp()


@pytest.mark.parametrize("stderr", [
    # gemini's JSON error (0.2x-0.3x with a Google login: ai-supervisor-foundry/foundry's captured stub)
    json.dumps({"error": {"type": "TerminalQuotaError", "message": "You have exhausted your capacity on this model. "
                          "Your quota will reset after 2h36m24s.", "code": 1}}),
    # the same as text, without the error's type
    "Loaded cached credentials.\n[API Error: You have exhausted your capacity on this model. Your quota will reset "
    "after 2h36m24s.]\nAn unexpected critical error occurred:[object Object]",
])
def test_a_gemini_allowance_is_held_until_the_reset_it_names(stderr):
    # Before: with its type, held until midnight Pacific (22 hours here, not 2.6); without, a rate limit with no
    # wait, retried with backoff.
    with pytest.raises(QuotaExhausted) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.resets_at == NOW + 2 * 3600 + 36 * 60 + 24


def test_a_short_gemini_reset_is_a_rate_limit_with_that_wait():
    stderr = "[API Error: You have exhausted your capacity on this model. Your quota will reset after 40s.]"
    with pytest.raises(RateLimited) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.retry_after == 40


def test_a_gemini_quota_per_day_is_held_until_midnight_pacific():
    # A Google login's daily quota (google-gemini/gemini-cli#2047): before, a rate limit retried with backoff.
    stderr = ("Quota exceeded for quota metric 'Gemini 2.5 Pro Requests' and limit 'Gemini 2.5 Pro Requests per day "
              "per user per tier' of service 'cloudcode-pa.googleapis.com' for consumer 'project_number:681255809395'.")
    with pytest.raises(QuotaExhausted) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.resets_at == datetime(2026, 3, 3, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()


@pytest.mark.parametrize(("message", "seconds"), [
    # codex 0.39.0 (openai/codex#3899, #3124)
    ("You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 5 days 22 "
     "hours 11 minutes.", 5 * 86400 + 22 * 3600 + 11 * 60),
    ("You've hit your usage limit. Try again in 3 hours 20 minutes.", 3 * 3600 + 20 * 60),
    ("You've hit your usage limit. Try again in 1 hour.", 3600),
    ("You've hit your usage limit. Try again in less than a minute.", 60),
])
def test_a_codex_limit_that_says_how_long_is_held_that_long(message, seconds):
    # Before: a quota with no reset time, held for the probe interval (5 minutes) and then tried again.
    line = json.dumps({"type": "turn.failed", "error": {"message": message}})
    with pytest.raises(QuotaExhausted) as caught:
        parse_codex(CliRun(1, line, ""), ctx("codex"))
    assert caught.value.resets_at == NOW + seconds


def test_a_claude_weekly_reset_in_the_new_year_keeps_its_time():
    # Claude Code 2.1.x names the year of a reset in another year (toLocaleString("en-US") with year):
    # before, "Jan 2, 2027, 5pm" did not read as a time at all and the quota was held for the probe interval.
    read_at = datetime(2026, 12, 28, 9, 0, tzinfo=UTC).timestamp()
    message = "You've hit your weekly limit · resets Jan 2, 2027, 5pm (UTC)"
    with pytest.raises(QuotaExhausted) as caught:
        parse_claude(claude_failure(message, 429), ParseContext("claude", "", read_at, UTC))
    assert caught.value.resets_at == datetime(2027, 1, 2, 17, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("message", "expected"), [
    # Claude Code 2.1.197's own list of limit messages (read from its binary)
    ("You're out of usage credits · resets 3pm (UTC)", datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()),
    ("Your org is out of usage · add funds to continue", None),
    ("You're out of extra usage · resets 3pm (UTC)", datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()),
    ("Your seat type doesn't include usage credits", None),
    ("Your group's usage limit is set to $0 · run /usage-credits to ask your admin for a higher limit", None),
    ("Your usage allocation has been disabled by your admin · run /usage-credits to ask your admin for a higher "
     "limit", None),
])
def test_a_claude_subscription_out_of_usage_is_a_quota_not_a_rate_limit(message, expected):
    # Before: with the 429 they come with, a rate limit retried with backoff three times and held for seconds.
    with pytest.raises(QuotaExhausted) as caught:
        parse_claude(claude_failure(message, 429), ctx("claude"))
    assert caught.value.resets_at == expected


def test_a_gemini_model_at_capacity_is_an_overload_not_a_days_quota():
    # gemini-cli raises the server's MODEL_CAPACITY_EXHAUSTED 429 as a TerminalQuotaError (googleQuotaErrors.ts):
    # before, gemini was held until midnight Pacific (22 hours here) for a moment's overload.
    stderr = json.dumps({"error": {"type": "TerminalQuotaError", "message": "No capacity available for model "
                                   "gemini-3-flash-preview on the server", "code": 1}})
    with pytest.raises(ProviderUnavailable):
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))


@pytest.mark.parametrize("request_id", ["8c4013be-77aa-4f1e-9d2e-0e5a1c2b3d4f", "3f0429aa-0b1c-4d2e-8f90-1a2b3c4d5e6f"])
def test_a_codex_server_error_whose_request_id_holds_a_status_is_still_a_server_error(request_id):
    # Before: "401" inside the request id made a 500 "not authorised" (no retry, no outage count, a misleading
    # message), and "429" a rate limit.
    message = f"unexpected status 500 Internal Server Error: upstream error, request id: {request_id}"
    with pytest.raises(ProviderUnavailable):
        parse_codex(CliRun(1, json.dumps({"type": "turn.failed", "error": {"message": message}}), ""), ctx("codex"))


@pytest.mark.parametrize("trace_line", [
    "    at processTicksAndRejections (file:///usr/lib/node_modules/@google/gemini-cli/bundle/chunk-JDPZ4CE3.js:429:12)",
    "    at Object.run (file:///usr/lib/node_modules/@google/gemini-cli/bundle/oauth/login.js:88:3)",
])
def test_a_gemini_crash_whose_stack_trace_holds_429_or_login_is_an_outage(trace_line):
    # Before: '429' in a line number read as a rate limit, 'login' in a path as 'not authorised' (no retry, the
    # user told to sign in again) when gemini crashed with no JSON error.
    stderr = f"Error: socket hang up\n{trace_line}\n    at node:internal/process/task_queues:95:5\n"
    with pytest.raises(ProviderUnavailable) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert type(caught.value) is ProviderUnavailable


@pytest.mark.parametrize(("stderr", "expected"), [
    ("[API Error: got status: 429 Too Many Requests]", RateLimited),
    ("Please log in again: run `gemini` and choose Login with Google.", AuthFailed),
])
def test_a_gemini_status_or_sign_in_in_the_text_still_counts(stderr, expected):
    with pytest.raises(expected):
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))


def _google_429_quoted(message: str, retry_delay: str) -> str:
    """gemini's JSON error for an API key's 429: the Google error quoted whole, as JSON inside the message."""
    google = {"error": {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]}}
    quoted = json.dumps({"error": {"message": json.dumps(google, indent=2), "code": 429,
                                   "status": "Too Many Requests"}})
    return json.dumps({"error": {"type": "Error", "message": f"[API Error: {quoted}]", "code": 1}})


@pytest.mark.parametrize(("stderr", "wait"), [
    # the retry delay only in the quoted RetryInfo
    (_google_429_quoted("You exceeded your current quota, please check your plan and billing details.", "37s"), 37.0),
    # a wait in minutes and seconds, as a Go duration
    ("[API Error: Quota exceeded for quota metric 'Generate Content API requests per minute'. Please retry in "
     "1m2.5s. (Status: RESOURCE_EXHAUSTED)]", 62.5),
])
def test_a_gemini_per_minute_quota_waits_as_long_as_it_says(stderr, wait):
    # Before: "retry in" was read in seconds or milliseconds only, and a RetryInfo not at all: a rate limit with no
    # retry time, retried after the task's backoff (half a second to start) into the same quota.
    with pytest.raises(RateLimited) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.retry_after == wait
    assert "no retry time given" not in str(caught.value)


@pytest.mark.parametrize(("parse", "run"), [
    (parse_codex, CliRun(1, json.dumps({"type": "turn.failed", "error": {
        "message": "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more "
                   "credits or try again later."}}), "")),
    (parse_claude, claude_failure("Claude AI usage limit reached", 429)),
])
def test_a_subscription_limit_that_names_no_reset_says_so_and_how_long_it_is_held(parse, run):
    # Before: "codex subscription limit reached: …", the same as one with a reset, and silent on the hold
    # (one outage probe interval) that followed.
    with pytest.raises(QuotaExhausted) as caught:
        parse(run, ctx("claude" if parse is parse_claude else "codex"))
    assert caught.value.resets_at is None
    assert "no reset time given (held for execution.outage_probe_interval_seconds" in str(caught.value)


@pytest.mark.parametrize("stderr", [
    # an API key's 429 for a model its tier has no quota for at all, the Google error quoted whole
    _google_429_quoted("Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_"
                       "requests, limit: 0, model: gemini-2.5-pro\nPlease retry in 36.4s.", "36s"),
    # the same as text
    "[API Error: You exceeded your current quota. Quota exceeded for metric: generate_content_free_tier_requests, "
    "limit: 0, model: gemini-2.5-pro. Please retry in 36.4s. (Status: RESOURCE_EXHAUSTED)]",
])
def test_a_gemini_quota_of_limit_0_is_exhausted_not_a_wait(stderr):
    # Before: a rate limit, retried after the 36 s it named into a quota the account does not have (as the HTTP
    # mapping and gemini-cli itself treat it: terminal, no reset).
    with pytest.raises(QuotaExhausted) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.resets_at is None
    assert "limit: 0" in str(caught.value) and "retrying will not help" in str(caught.value)

