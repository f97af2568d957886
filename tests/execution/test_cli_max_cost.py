"""A task's max_cost on the claude CLI (the fake one in tests/fakes/bin): each try is given what remains of it as
--max-budget-usd, and a run the CLI stopped there is settled at the cost it reported."""

from __future__ import annotations

import json

from router_core.execution.dispatch import dispatch
from router_core.execution.plan import plan_request
from tests.execution.conftest import make_core
from tests.execution.test_cli_backends import DESIGN_TASK, cli_executor

LONG_ANSWER = "x" * 8000  # 2,000 output tokens: $0.03 at the fake claude's prices, past a $0.02 max_cost


def runs(record) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()]


async def test_claude_stops_at_max_cost_and_what_it_said_is_a_truncated_answer(settings, clock, client, tmp_path):
    # claude ran unbounded: a $0.02 task's agent went on for as many turns as it liked, and max_cost only
    # showed in the cost it reported afterwards; a run claude itself stopped was "CLI gave up", its text lost.
    record = tmp_path / "runs.jsonl"
    core, ex = cli_executor(settings, clock, client, FAKE_CLI_RECORD=str(record), FAKE_CLAUDE_TEXT=LONG_ANSWER,
                            FAKE_CLAUDE_BUDGET_TURN="tool_use")
    o = (await dispatch(core, ex, DESIGN_TASK, max_cost=0.02)).outcome
    (run,) = runs(record)
    argv = run["argv"]
    assert argv[argv.index("--max-budget-usd") + 1] == "0.02" and "--verbose" in argv
    assert (o.status, o.provider, o.text, o.truncated) == ("success", "claude", LONG_ANSWER, True), o.error
    reported = json.loads(run["stdout"])[-1]["total_cost_usd"]
    assert o.cost_usd == reported and core.budget().spent == reported


async def test_claude_stopped_at_max_cost_before_any_text_is_charged_and_not_run_elsewhere(settings, clock, client):
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_TEXT=LONG_ANSWER, FAKE_CLAUDE_BUDGET_TURN="tool_only")
    o = (await dispatch(core, ex, DESIGN_TASK, max_cost=0.02)).outcome
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "rejected")]
    assert "stopped at max_cost before any answer text" in o.error and "raise max_cost" in o.error
    assert o.attempts[0].cost_usd > 0.02 and core.budget().spent == o.attempts[0].cost_usd


def test_each_try_is_planned_with_what_remains_of_max_cost(settings, clock):
    core = make_core(settings, clock)
    plan = plan_request(settings, core.costs, "claude", DESIGN_TASK, "architecture", max_cost=0.05, spent=0.0175)
    assert plan.budget_usd == 0.0325
    assert plan.within(plan.estimate.usd, settings.provider("claude")).budget_usd == 0.0325
    assert plan_request(settings, core.costs, "claude", DESIGN_TASK, "architecture").budget_usd is None
