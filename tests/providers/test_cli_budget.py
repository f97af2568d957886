"""A task's max_cost on the claude CLI: passed as --max-budget-usd, and the run it stops read as an answer cut at
the output cap (the fake claude in tests/fakes/bin stops as claude 2.1.197 does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router_core.budget_text import money
from router_core.errors import ProviderRejected
from router_core.providers import CompletionRequest
from tests.providers.test_cli import cli, runs

pytestmark = pytest.mark.slow

LONG_ANSWER = "x" * 4000  # 1,000 output tokens: $0.015 at the fake's $15 per million, past a $0.01 budget
PRINT = ["-p", "--output-format", "json"]


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "runs.jsonl"


async def test_claude_is_given_what_remains_of_max_cost_as_its_budget(record):
    # The CLI ran without any bound: a task's max_cost held only as far as the cost claude reported afterwards.
    result = await cli("claude", record).complete(CompletionRequest(prompt="plan the migration", max_cost_usd=0.05))
    (run,) = runs(record)
    assert run["argv"] == [*PRINT, "--max-budget-usd", "0.05", "--verbose"]
    assert result.text == "claude fake answer to: plan the migration" and not result.truncated
    assert result.cost_usd == json.loads(run["stdout"])[-1]["total_cost_usd"]


@pytest.mark.parametrize(("usd", "given"), [(0.0123456789, "0.012346"), (2.0, "2"), (1e-9, "0.000001")])
async def test_the_budget_is_a_number_claude_takes(record, usd, given):
    # claude refuses 0 ("--max-budget-usd must be a positive number greater than 0").
    await cli("claude", record).complete(CompletionRequest(prompt="hi", max_cost_usd=usd))
    argv = runs(record)[0]["argv"]
    assert argv[argv.index("--max-budget-usd") + 1] == given


async def test_a_run_stopped_at_the_budget_after_its_answer_keeps_the_answer(record):
    # claude printed error_max_budget_usd (exit 1, no result text): the answer it had paid for was dropped as
    # "CLI gave up", and its tokens, reported in modelUsage only, counted as 0.
    adapter = cli("claude", record, FAKE_CLAUDE_TEXT=LONG_ANSWER)
    result = await adapter.complete(CompletionRequest(prompt="plan the migration", max_cost_usd=0.01))
    printed = json.loads(runs(record)[0]["stdout"])[-1]
    assert (printed["subtype"], runs(record)[0]["exit"]) == ("error_max_budget_usd", 1)
    assert (result.text, result.truncated, result.stop_reason) == (LONG_ANSWER, False, "end_turn")
    assert result.cost_usd == printed["total_cost_usd"] > 0.01
    assert (result.input_tokens, result.output_tokens) == (5, 1000)


async def test_a_run_stopped_at_the_budget_mid_task_is_a_truncated_answer(record):
    # An agent's turn that said something and then asked for a tool: what it said, marked cut short.
    adapter = cli("claude", record, FAKE_CLAUDE_TEXT=LONG_ANSWER, FAKE_CLAUDE_BUDGET_TURN="tool_use")
    result = await adapter.complete(CompletionRequest(prompt="plan the migration", max_cost_usd=0.01))
    assert (result.text, result.truncated, result.stop_reason) == (LONG_ANSWER, True, "tool_use")


async def test_a_run_stopped_at_the_budget_before_any_text_is_rejected_and_billed(record):
    adapter = cli("claude", record, FAKE_CLAUDE_TEXT=LONG_ANSWER, FAKE_CLAUDE_BUDGET_TURN="tool_only")
    with pytest.raises(ProviderRejected) as caught:
        await adapter.complete(CompletionRequest(prompt="plan the migration", max_cost_usd=0.01))
    error = caught.value
    assert type(error) is ProviderRejected  # no fallback: another provider under the same max_cost pays again
    assert "stopped at max_cost before any answer text (Reached maximum budget ($0.01)" in str(error)
    assert "raise max_cost" in str(error)
    # as every message says an amount (it had six significant digits)
    assert f"; {money(error.billed.cost_usd)} by Claude Code's own accounting" in str(error)
    assert error.billed is not None and error.billed.cost_usd == json.loads(runs(record)[0]["stdout"])[-1][
        "total_cost_usd"]
    assert error.billed.output_tokens == 1000
