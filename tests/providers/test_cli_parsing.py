"""CLI output parsing on the literal formats quoted in provider-apis.md section 5, and reset-time reading."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from router_core.errors import (
    PromptTooLongForCli,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers.cli import CliRun, ParseContext
from router_core.providers.cli_claude import parse as parse_claude
from router_core.providers.cli_codex import parse as parse_codex
from router_core.providers.cli_gemini import parse as parse_gemini
from router_core.providers.cli_text import claude_reset_at, codex_reset_at, load_json_object
from tests.providers.conftest import machine_in_zone

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).timestamp()


def ctx(provider: str, model: str = "") -> ParseContext:
    return ParseContext(provider, model, NOW, UTC)


CODEX_JSONL = "\n".join([
    '{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}',
    '{"type":"turn.started"}',
    '{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Searching for README files**"}}',
    '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls",'
    '"aggregated_output":"","status":"in_progress"}}',
    '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls",'
    '"aggregated_output":"…","exit_code":0,"status":"completed"}}',
    '{"type":"item.completed","item":{"id":"item_3","type":"agent_message",'
    '"text":"Yep — there\'s a `README.md` in the repository root."}}',
    '{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}',
])

CLAUDE_RESULT = {
    "type": "result", "subtype": "success", "is_error": False, "duration_ms": 74096, "duration_api_ms": 71152,
    "num_turns": 15, "result": "Done. Added `logRoot: …`. Build compiles cleanly.", "stop_reason": "end_turn",
    "session_id": "22795ca6-8222-4620-91dd-3001deaf3378", "total_cost_usd": 0.2416735,
    "usage": {"input_tokens": 18, "cache_creation_input_tokens": 14760, "cache_read_input_tokens": 169817,
              "output_tokens": 2577, "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
              "service_tier": "standard"},
    "modelUsage": {"us.anthropic.claude-opus-4-6-v1": {"inputTokens": 18, "outputTokens": 2577,
                                                       "costUSD": 0.2416735}},
    "permission_denials": [],
}

GEMINI_JSON = {
    "response": "The capital of France is Paris.",
    "stats": {"models": {"gemini-2.5-pro": {
        "api": {"totalRequests": 2, "totalErrors": 0, "totalLatencyMs": 5053},
        "tokens": {"prompt": 24939, "candidates": 20, "total": 25113, "cached": 21263, "thoughts": 154, "tool": 0}}}},
}


def test_codex_real_jsonl():
    result = parse_codex(CliRun(0, CODEX_JSONL, ""), ctx("codex", "gpt-5.1-codex"))
    assert result.text == "Yep — there's a `README.md` in the repository root."
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (24763, 24448, 122)
    assert (result.model, result.cost_usd) == ("gpt-5.1-codex", None)


def test_codex_reasoning_tokens_are_inside_output_tokens_not_added():
    # codex copies the Responses API's usage: reasoning_output_tokens is output_tokens_details.reasoning_tokens,
    # a part of output_tokens. Adding them billed the reasoning twice.
    usage = {"input_tokens": 1000, "cached_input_tokens": 800, "output_tokens": 500, "reasoning_output_tokens": 384}
    lines = CODEX_JSONL.rsplit("\n", 1)[0] + "\n" + json.dumps({"type": "turn.completed", "usage": usage})
    result = parse_codex(CliRun(0, lines, ""), ctx("codex", "gpt-5.1-codex"))
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (1000, 800, 500)
    only_reasoning = {"input_tokens": 1000, "reasoning_output_tokens": 384}
    lines = CODEX_JSONL.rsplit("\n", 1)[0] + "\n" + json.dumps({"type": "turn.completed", "usage": only_reasoning})
    assert parse_codex(CliRun(0, lines, ""), ctx("codex")).output_tokens == 384


def test_claude_real_result():
    result = parse_claude(CliRun(0, json.dumps(CLAUDE_RESULT), ""), ctx("claude"))
    assert result.text == "Done. Added `logRoot: …`. Build compiles cleanly."
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (184595, 169817, 2577)
    assert (result.cost_usd, result.model) == (0.2416735, "us.anthropic.claude-opus-4-6-v1")


def test_claude_stream_json_uses_the_last_result_line():
    lines = [json.dumps({"type": "system", "subtype": "init"}), json.dumps(CLAUDE_RESULT)]
    assert parse_claude(CliRun(0, "\n".join(lines), ""), ctx("claude")).cost_usd == 0.2416735


def test_claude_older_cost_field():
    older = {k: v for k, v in CLAUDE_RESULT.items() if k != "total_cost_usd"} | {"cost_usd": 0.5}
    assert parse_claude(CliRun(0, json.dumps(older), ""), ctx("claude")).cost_usd == 0.5


@pytest.mark.parametrize(
    ("result", "status", "subtype", "error"),
    [
        ("API Error: Request rejected (429) · This request would exceed your organization rate limit. Please try "
         "again later.", 429, "success", RateLimited),
        ("API Error: 529 Overloaded. This is a server-side issue, usually temporary…", 529, "success",
         ProviderUnavailable),
        ("Credit balance is too low", 400, "success", QuotaExhausted),
        ("Reached max turns (10)", None, "error_max_turns", ProviderRejected),
    ],
)
def test_claude_errors(result, status, subtype, error):
    body = {"type": "result", "subtype": subtype, "is_error": True, "result": result, "api_error_status": status}
    with pytest.raises(error):
        parse_claude(CliRun(1, json.dumps(body), ""), ctx("claude"))


def test_gemini_real_json_counts_thoughts_as_output():
    result = parse_gemini(CliRun(0, json.dumps(GEMINI_JSON, indent=2), ""), ctx("gemini"))
    assert result.text == "The capital of France is Paris."
    assert (result.input_tokens, result.cached_input_tokens, result.output_tokens) == (24939, 21263, 174)
    assert result.model == "gemini-2.5-pro"


def test_gemini_error_on_stderr_after_banner():
    stderr = ("Loaded cached credentials.\n" + json.dumps({"session_id": "s", "error": {
        "type": "Error", "message": "[API Error: You exceeded your current quota, please check your plan and billing "
        "details.\n* Quota exceeded for metric: x\nPlease retry in 36.429760048s. (Status: RESOURCE_EXHAUSTED)]\n"
        "Please wait and try again later.", "code": 1}}, indent=2))
    with pytest.raises(RateLimited) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.retry_after == pytest.approx(36.429760048)


def test_gemini_input_error_exit_42_is_rejected():
    with pytest.raises(ProviderRejected):
        parse_gemini(CliRun(42, "", "Error: bad flag"), ctx("gemini"))


def test_gemini_sandbox_relaunch_over_the_argument_limit_is_prompt_too_long_not_an_outage():
    # gemini 0.61.0 with GEMINI_SANDBOX set and a 200 KB prompt on stdin (what review ran): exit 1.
    stderr = "Error: spawn E2BIG\n    at ChildProcess.spawn (node:internal/child_process:429:11)\n    at start_sandbox"
    with pytest.raises(PromptTooLongForCli) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    assert caught.value.fallback_helps and not caught.value.retryable


def test_gemini_terminal_quota_error():
    stderr = json.dumps({"error": {"type": "TerminalQuotaError",
                                   "message": "You have exhausted your daily quota on this model.", "code": 1}})
    with pytest.raises(QuotaExhausted) as caught:
        parse_gemini(CliRun(1, "", stderr), ctx("gemini"))
    # 10:00 UTC on 2026-03-02 is 02:00 PST; the next midnight in Los Angeles is 22 hours on.
    assert caught.value.resets_at == NOW + 22 * 3600


def test_codex_quota_exceeded_without_reset():
    line = json.dumps({"type": "turn.failed", "error": {"message": "Quota exceeded. Check your plan and billing details."}})
    with pytest.raises(QuotaExhausted) as caught:
        parse_codex(CliRun(1, line, ""), ctx("codex"))
    assert caught.value.resets_at is None


def test_codex_nonzero_exit_without_json_uses_stderr():
    with pytest.raises(ProviderUnavailable, match="stream disconnected"):
        parse_codex(CliRun(1, "", "Error: stream disconnected before completion: eof"), ctx("codex"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("You've hit your usage limit. Try again at 3:05 PM.", datetime(2026, 3, 2, 15, 5, tzinfo=UTC)),
        # a dateless time is the CLI's today: one already past means the window has reset
        ("You've hit your usage limit. Try again at 9:30 AM.", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
        ("You've hit your usage limit. Try again at 11:50 PM.", datetime(2026, 3, 2, 23, 50, tzinfo=UTC)),
        ("… or try again at Mar 3rd, 2026 1:15 AM.", datetime(2026, 3, 3, 1, 15, tzinfo=UTC)),
        ("… or try again at Dec 11th, 2026 12:00 PM.", datetime(2026, 12, 11, 12, 0, tzinfo=UTC)),
        ('unexpected status 429: {"error":{"type":"usage_limit_reached","resets_at":1772467200}}',
         datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),
        ('{"error":{"type":"usage_limit_reached","resets_in_seconds":600}}', datetime(2026, 3, 2, 10, 10, tzinfo=UTC)),
    ],
)
def test_codex_reset_times(message, expected):
    assert codex_reset_at(message, NOW, UTC) == expected.timestamp()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("You've hit your limit · resets 3pm (UTC)", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("You've hit your session limit · resets 9am (Europe/Berlin)", datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)),
        ("You've hit your limit · resets 11:30am (Europe/Berlin)", datetime(2026, 3, 2, 11, 30, tzinfo=BERLIN)),
        ("You've hit your weekly limit · resets Mar 9, 5pm (UTC)", datetime(2026, 3, 9, 17, 0, tzinfo=UTC)),
        ("You've hit your weekly limit · resets Jan 9, 5pm (UTC)", datetime(2027, 1, 9, 17, 0, tzinfo=UTC)),
        ("Claude AI usage limit reached|1772467200", datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),
        ("Claude AI usage limit reached|1772467200000", datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),
    ],
)
def test_claude_reset_times(message, expected):
    assert claude_reset_at(message, NOW, UTC) == expected.timestamp()


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2028, 2, 29, 18, 0, tzinfo=UTC), datetime(2032, 2, 29, 17, 0, tzinfo=UTC)),  # passed: next leap day
    (datetime(2027, 3, 1, 0, 0, tzinfo=UTC), datetime(2028, 2, 29, 17, 0, tzinfo=UTC)),  # read in a common year
])
def test_a_claude_reset_on_feb_29_is_the_next_leap_day(now, expected):
    # Moving to the next year gave Feb 29 of a common year: ValueError, and the dispatch failed.
    message = "You've hit your weekly limit · resets Feb 29, 5pm (UTC)"
    assert claude_reset_at(message, now.timestamp(), UTC) == expected.timestamp()
    assert claude_reset_at("You've hit your weekly limit · resets Feb 31, 5pm (UTC)", now.timestamp(), UTC) is None


def test_codex_dateless_time_read_just_after_midnight_was_yesterdays():
    just_after_midnight = datetime(2026, 3, 3, 0, 2, tzinfo=UTC).timestamp()
    message = "You've hit your usage limit. Try again at 11:58 PM."
    assert codex_reset_at(message, just_after_midnight, UTC) == datetime(2026, 3, 2, 23, 58, tzinfo=UTC).timestamp()


def test_no_reset_time_in_message():
    assert codex_reset_at("You've hit your usage limit. Try again later.", NOW, UTC) is None
    assert claude_reset_at("You've hit your limit", NOW, UTC) is None


def test_load_json_object_skips_banners():
    assert load_json_object('Loaded cached credentials.\n{\n  "response": "ok"\n}\n') == {"response": "ok"}
    assert load_json_object("no json here") is None
    assert load_json_object("[1, 2]") is None


@pytest.mark.parametrize(("message", "read_at", "expected"), [
    # the CLI was refused just before 3pm and the run ended just after: the window has reset (before: tomorrow
    # 3pm, so a hold of a day on a provider whose 5-hour window had just reset)
    ("You've hit your limit · resets 3pm (UTC)", datetime(2026, 3, 2, 15, 0, 20, tzinfo=UTC),
     datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
    ("You've hit your limit · resets 12am (UTC)", datetime(2026, 3, 3, 0, 1, tzinfo=UTC),
     datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
    ("You've hit your weekly limit · resets Mar 2, 5pm (UTC)", datetime(2026, 3, 2, 17, 3, tzinfo=UTC),
     datetime(2026, 3, 2, 17, 0, tzinfo=UTC)),  # before: next year's
    # long past: the next one, as before
    ("You've hit your limit · resets 3pm (UTC)", datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
     datetime(2026, 3, 3, 15, 0, tzinfo=UTC)),
])
def test_a_claude_reset_read_just_after_it_passed_is_the_one_that_passed(message, read_at, expected):
    assert claude_reset_at(message, read_at.timestamp(), UTC) == expected.timestamp()


@pytest.fixture
def berlin_machine(monkeypatch):
    """This process's local time zone set to Europe/Berlin, as a CLI on a machine there prints times."""
    yield from machine_in_zone(monkeypatch, "Europe/Berlin")


@pytest.mark.parametrize(("message", "read_at", "expected"), [
    # read in summer (+02:00), a date in winter (+01:00): before, an hour early (the offset of the day it was read)
    ("You've hit your usage limit. … try again at Dec 3rd, 2026 3:05 PM.", datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN),
     datetime(2026, 12, 3, 15, 5, tzinfo=BERLIN)),
    # read on the night the clocks go forward, before they do: before, an hour late
    ("You've hit your usage limit. Try again at 4:00 AM.", datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN),
     datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)),
])
def test_a_local_reset_time_follows_the_machine_zones_daylight_saving(berlin_machine, message, read_at, expected):
    assert codex_reset_at(message, read_at.timestamp(), None) == expected.timestamp()


def test_a_claude_reset_without_a_zone_follows_the_machine_zones_daylight_saving(berlin_machine):
    read_at = datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN)  # the clocks go back tonight
    expected = datetime(2026, 10, 25, 9, 0, tzinfo=BERLIN)  # +01:00; before, 09:00+02:00
    assert claude_reset_at("You've hit your limit · resets 9am", read_at.timestamp(), None) == expected.timestamp()
