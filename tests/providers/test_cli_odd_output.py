"""CLI output of an unexpected shape: a typed ProviderError or an answer with sane counts, never a crash."""

from __future__ import annotations

import json

import pytest

from router_core.errors import ProviderError, ProviderUnavailable, QuotaExhausted
from router_core.providers.cli import CliRun
from router_core.providers.cli_claude import parse as parse_claude
from router_core.providers.cli_codex import parse as parse_codex
from router_core.providers.cli_gemini import parse as parse_gemini
from tests.providers.test_cli_parsing import CLAUDE_RESULT, GEMINI_JSON, ctx


def codex_output(usage: object, text: object = "hi") -> str:
    return "\n".join(json.dumps(event) for event in [
        {"type": "item.completed", "item": {"type": "agent_message", "text": text}},
        {"type": "turn.completed", "usage": usage},
    ])


# Each raised AttributeError, ValueError or IndexError out of the dispatch ("internal error", no fallback).
@pytest.mark.parametrize("usage", [{"input_tokens": "x"}, [1], {"cache_read_input_tokens": None}],
                         ids=["str", "list", "null"])
def test_claude_usage_of_the_wrong_shape_counts_nothing(usage):
    done = parse_claude(CliRun(0, json.dumps({**CLAUDE_RESULT, "usage": usage}), ""), ctx("claude"))
    assert done.text == CLAUDE_RESULT["result"]
    assert done.input_tokens == 0 and done.cost_usd == CLAUDE_RESULT["total_cost_usd"]


@pytest.mark.parametrize("model_usage", [[1], {"m": {"costUSD": "x"}}, {"m": "x"}], ids=["list", "str", "entry"])
def test_claude_model_usage_of_the_wrong_shape_is_no_crash(model_usage):
    done = parse_claude(CliRun(0, json.dumps({**CLAUDE_RESULT, "modelUsage": model_usage}), ""), ctx("claude", "m0"))
    assert done.text == CLAUDE_RESULT["result"]


@pytest.mark.parametrize("cost", ["x", -5, float("nan"), True], ids=["str", "negative", "nan", "bool"])
def test_a_claude_cost_that_is_no_cost_is_none(cost):
    done = parse_claude(CliRun(0, json.dumps({**CLAUDE_RESULT, "total_cost_usd": cost}), ""), ctx("claude"))
    assert done.cost_usd is None  # priced from the tokens instead


@pytest.mark.parametrize("stats", [[1], {"models": [1]}, {"models": {"g": "x"}}, {"models": {"g": {"tokens": [1]}}},
                                   {"models": {"g": {"tokens": {"prompt": "x", "candidates": -7}}}}],
                         ids=["stats", "models", "model", "tokens", "counts"])
def test_gemini_stats_of_the_wrong_shape_count_nothing(stats):
    done = parse_gemini(CliRun(0, json.dumps({**GEMINI_JSON, "stats": stats}), ""), ctx("gemini"))
    assert done.text == GEMINI_JSON["response"]
    assert done.input_tokens == done.output_tokens == 0


@pytest.mark.parametrize("usage", [{"input_tokens": "x"}, {"input_tokens": -1_000_000, "output_tokens": -5}],
                         ids=["str", "negative"])
def test_codex_usage_that_is_no_count_counts_nothing(usage):
    # A negative count priced as a negative cost gave money back to the budget.
    done = parse_codex(CliRun(0, codex_output(usage), ""), ctx("codex"))
    assert done.text == "hi"
    assert done.input_tokens == done.output_tokens == 0


@pytest.mark.parametrize("text", [None, {"a": 1}], ids=["null", "object"])
def test_a_codex_answer_that_is_no_text_is_no_answer(text):
    with pytest.raises(ProviderUnavailable, match="codex CLI"):
        parse_codex(CliRun(0, codex_output({"input_tokens": 1}, text), ""), ctx("codex"))


@pytest.mark.parametrize("parse", [parse_claude, parse_gemini, parse_codex], ids=["claude", "gemini", "codex"])
def test_output_nested_too_deeply_is_unreadable_not_a_recursion_error(parse):
    with pytest.raises(ProviderUnavailable):
        parse(CliRun(0, '{"a":' + "[" * 100_000 + "]" * 100_000 + "}", ""), ctx("x"))


# Each raised ValueError out of the dispatch instead of the quota error the message is.
@pytest.mark.parametrize("when", ["Feb 30th, 2026 3:05 PM", "Jan 3rd, 0000 3:05 PM", "Foo 3rd, 2026 3:05 PM",
                                  "3:99 PM"])
def test_a_codex_limit_with_an_impossible_reset_time_is_a_quota_without_one(when):
    event = {"type": "turn.failed", "error": {"message": f"You've hit your usage limit. Try again at {when}."}}
    with pytest.raises(QuotaExhausted) as caught:
        parse_codex(CliRun(1, json.dumps(event), ""), ctx("codex"))
    assert caught.value.resets_at is None


@pytest.mark.parametrize("when", ["Foo 9, 5pm (UTC)", "3:99pm (UTC)"])
def test_a_claude_limit_with_an_impossible_reset_time_is_a_quota_without_one(when):
    result = {**CLAUDE_RESULT, "is_error": True, "result": f"You've hit your limit · resets {when}"}
    with pytest.raises(QuotaExhausted) as caught:
        parse_claude(CliRun(1, json.dumps(result), ""), ctx("claude"))
    assert caught.value.resets_at is None


def test_a_claude_failure_carries_what_was_paid_and_a_free_one_nothing():
    paid = parse_error(CliRun(1, json.dumps(CLAUDE_RESULT), ""))  # a good result, but a non-zero exit
    assert paid.billed is not None and paid.billed.cost_usd == CLAUDE_RESULT["total_cost_usd"]
    free = {**CLAUDE_RESULT, "is_error": True, "result": "API Error: 529 Overloaded", "total_cost_usd": 0,
            "usage": {"input_tokens": 0, "output_tokens": 0}}
    assert parse_error(CliRun(1, json.dumps(free), "")).billed is None


def parse_error(run: CliRun) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        parse_claude(run, ctx("claude"))
    return caught.value


def test_a_gemini_answer_stands_whatever_json_its_tools_logged_on_stderr():
    # A log line with an "error" field on stderr turned a good answer into a failure.
    log = '{"level":"error","error":"MCP server github: connection refused"}\n'
    done = parse_gemini(CliRun(0, json.dumps(GEMINI_JSON), log), ctx("gemini"))
    assert done.text == GEMINI_JSON["response"]


def test_a_codex_failure_after_a_completed_turn_carries_its_tokens():
    # A non-zero exit after turn.completed dropped the turn's tokens: paid for, never counted.
    with pytest.raises(ProviderError) as caught:
        parse_codex(CliRun(1, codex_output({"input_tokens": 50, "output_tokens": 7}), ""), ctx("codex"))
    assert (caught.value.billed.input_tokens, caught.value.billed.output_tokens) == (50, 7)
    with pytest.raises(ProviderError) as caught:
        parse_codex(CliRun(1, '{"type":"turn.failed","error":{"message":"stream disconnected"}}', ""), ctx("codex"))
    assert caught.value.billed is None


def test_a_codex_answer_without_a_completed_turn_stands_and_a_failed_one_may_be_billed():
    # Retried before, so a codex that writes no turn.completed paid three times and then fell back.
    answer = json.dumps({"type": "item.completed", "item": {"type": "agent_message", "text": "done"}})
    done = parse_codex(CliRun(0, answer, ""), ctx("codex"))
    assert done.text == "done" and done.input_tokens == done.output_tokens == 0  # estimated by the backend
    with pytest.raises(ProviderUnavailable) as caught:  # the model answered, then the run failed
        parse_codex(CliRun(1, answer, "stream closed"), ctx("codex"))
    assert caught.value.maybe_billed and caught.value.billed is None
    failed = answer + "\n" + json.dumps({"type": "turn.failed", "error": {"message": "stream disconnected"}})
    with pytest.raises(ProviderUnavailable, match="stream disconnected"):
        parse_codex(CliRun(0, failed, ""), ctx("codex"))
