"""A batch plan (run_batch's dry run, design 6) names the agent each task would be assigned, as a decision would
name it on the same snapshot of agents in use, without leasing one."""

from __future__ import annotations

from tools.batch_schemas import BatchPlanOut

TASKS = [("a", "Implement the CSV export endpoint"), ("b", "Explain the OAuth2 flow"),
         ("c", "Design the architecture for a distributed ingest pipeline")]


def test_each_planned_task_names_the_agent_a_decision_would_assign(keyword_core):
    # The dry run named no agent per task (a real run's results do); its audit lines had none either.
    plan = keyword_core.plan_batch(TASKS)
    decided = [keyword_core.decide(text).agent.agent.id for _, text in TASKS]
    assert [it.agent for it in plan.items] == decided
    assert [i["agent"] for i in BatchPlanOut.of(plan).model_dump(mode="json")["items"]] == decided
    lines = [r for r in keyword_core.audit.tail(10) if r.get("event") == "batch_plan"]
    assert [r["recommendation"]["agent_assigned"] for r in lines] == decided
    assert keyword_core.leases.in_use() == {}  # advice: nothing leased


def test_a_planned_task_whose_best_agent_is_busy_names_the_next(keyword_core):
    first = keyword_core.plan_batch(TASKS[:1]).items[0].agent
    spec = keyword_core.pool.by_id(first)
    for _ in range(spec.max_concurrency):  # another process's tasks fill it
        assert keyword_core.leases.acquire(first, spec.max_concurrency) is not None
    item = keyword_core.plan_batch(TASKS[:1]).items[0]
    assert item.agent not in (None, first)
    assert item.agent == keyword_core.decide(TASKS[0][1]).agent.agent.id
