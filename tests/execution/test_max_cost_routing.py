"""Routing reads a task's max_cost: the budget checks, alerts and exceeds_budget use the estimate within the output
cap max_cost sets (the input, charged whatever the cap, plus the capped output), as the task's try is planned and
reserved. Before, dispatch_agent with max_cost 0.001 kept gemini off: its uncapped estimate ($0.0018) exceeded the
$0.0014 its allocation had left, though its try, capped, fitted."""

from __future__ import annotations

import pytest

from router_core.cost import max_output_tokens_for_budget, request_cost
from router_core.execution.dispatch import dispatch
from router_core.execution.plan import plan_request
from tests.execution.test_dispatch import with_budget

EXPLAIN_TASK = "Explain how the OAuth2 flow works"  # gemini first
MAX_COST = 0.001


def test_the_capped_estimate_is_the_input_plus_the_output_max_cost_leaves(settings, clock):
    from tests.execution.conftest import make_core

    core = make_core(settings, clock)
    task_type = core.classifier.classify(EXPLAIN_TASK).task_type
    uncapped = core.costs.estimate_all(EXPLAIN_TASK, task_type)["gemini"]
    capped = core.costs.estimate_all(EXPLAIN_TASK, task_type, max_cost=MAX_COST)["gemini"]
    assert uncapped.usd > MAX_COST >= capped.usd
    p = settings.provider("gemini")
    cap = max_output_tokens_for_budget(p, capped.model, capped.input_tokens, MAX_COST)
    assert capped.input_tokens == uncapped.input_tokens and capped.output_tokens == cap < uncapped.output_tokens
    assert capped.usd == request_cost(p, p.model(capped.model), capped.input_tokens, cap)
    # as the executor plans the try (with the same system prompt allowance)
    plan = plan_request(settings, core.costs, "gemini", EXPLAIN_TASK, task_type, max_cost=MAX_COST)
    assert plan.max_output_tokens == cap and plan.cap_usd <= MAX_COST
    # a max_cost that pays for no try leaves the estimate as it is (the try is refused, saying so)
    least = request_cost(p, p.model(capped.model), capped.input_tokens, 0)
    assert core.costs.estimate_all(EXPLAIN_TASK, task_type, max_cost=least / 2)["gemini"] == uncapped
    assert core.costs.estimate_all(EXPLAIN_TASK, task_type, max_cost=None)["gemini"] == uncapped


async def test_max_cost_lets_a_provider_whose_uncapped_estimate_is_over_its_budget_run(settings, build_executor, fake):
    core, ex = build_executor(with_budget(settings, 1.0, codex=0.4, gemini=0.3, claude=0.3))
    task_type = core.classifier.classify(EXPLAIN_TASK).task_type
    uncapped = core.costs.estimate_all(EXPLAIN_TASK, task_type)["gemini"].usd
    left = round((uncapped + MAX_COST) / 2, 6)  # below the uncapped estimate, above max_cost
    core.ledger.record_spend("gemini", round(0.3 - left, 6))
    r = await dispatch(core, ex, EXPLAIN_TASK, max_cost=MAX_COST)
    rec = r.decision.recommendation
    assert rec.provider == "gemini" and not rec.exceeds_budget, rec  # before: routed past gemini
    assert not any("exceed" in a for a in rec.budget_alerts), rec.budget_alerts
    assert rec.cost.usd <= MAX_COST
    o = r.outcome
    assert (o.status, o.provider) == ("success", "gemini"), o
    assert o.cost_usd <= MAX_COST and fake.stats("gemini").requests == 1
    assert core.budget().spent == pytest.approx(0.3 - left + o.cost_usd, abs=1e-6) and core.budget().reserved == 0


async def test_without_max_cost_that_provider_stays_off(settings, build_executor, fake):
    core, ex = build_executor(with_budget(settings, 1.0, codex=0.4, gemini=0.3, claude=0.3))
    task_type = core.classifier.classify(EXPLAIN_TASK).task_type
    uncapped = core.costs.estimate_all(EXPLAIN_TASK, task_type)["gemini"].usd
    core.ledger.record_spend("gemini", round(0.3 - (uncapped + MAX_COST) / 2, 6))
    r = await dispatch(core, ex, EXPLAIN_TASK)
    assert r.decision.recommendation.provider != "gemini"
