"""RouterCore end to end over a real state dir, the keyword classifier and a fake clock."""

from __future__ import annotations

import pytest

from router_core.errors import InvalidRequest

TASK = "Design distributed system architecture"  # claude; fallbacks codex, gemini


def block(core, provider: str, *, requests: int = 0, tokens: int = 0) -> None:
    for _ in range(requests):
        core.usage_tracker.record(provider, requests=1, tokens=0)
    if tokens:
        core.usage_tracker.record(provider, requests=0, tokens=tokens)


def test_primary_available(keyword_core):
    d = keyword_core.decide(TASK)
    assert d.provider == "claude"
    assert d.recommendation.route == "primary"
    assert d.recommendation.reason == "primary available"
    assert d.agent.agent.id == "system-architect"


def test_primary_blocked_by_tokens_uses_fallback_with_reason_and_lift_time(keyword_core, clock):
    block(keyword_core, "claude", tokens=240_000)  # 80% of 300K: claude blocks at >= 80%
    d = keyword_core.decide(TASK)
    claude = d.availability["claude"]
    assert not claude.available
    assert [b.reason for b in claude.blocks] == ["tokens_percent >= 80%"]
    assert claude.blocks[0].lifts_at == clock.now() + 60  # the event leaves the 60 s window
    assert d.recommendation.route == "fallback_1"
    assert d.provider == d.classification.fallback_chain[0]
    assert d.recommendation.reason.startswith("primary blocked")


def test_window_slides_and_the_block_lifts(keyword_core, clock):
    block(keyword_core, "claude", tokens=240_000)
    clock.advance(61)
    assert keyword_core.decide(TASK).provider == "claude"


def test_all_blocked_is_an_emergency_with_wait(keyword_core, clock):
    block(keyword_core, "claude", tokens=240_000)
    clock.advance(10)
    block(keyword_core, "codex", tokens=450_000)
    clock.advance(10)
    block(keyword_core, "gemini", requests=80)
    d = keyword_core.decide(TASK)
    rec = d.recommendation
    assert rec.all_blocked and rec.route == "emergency"
    assert rec.resets_at == clock.now() + 40  # claude's tokens leave the window first
    assert rec.wait_seconds == pytest.approx(40)
    assert rec.provider == min(d.costs, key=lambda p: d.costs[p].usd)
    line = keyword_core.audit.tail(1)[0]
    assert line["recommendation"]["route"] == "emergency"
    assert line["recommendation"]["wait_seconds"] == pytest.approx(40)
    assert line["provider_state_at_recommendation"]["codex"]["block_reason"] == "tokens_percent >= 90%"


def test_exhausted_allocation_blocks_until_reset(keyword_core):
    keyword_core.ledger.record_spend("claude", 30.0)
    d = keyword_core.decide(TASK)
    claude = d.availability["claude"]
    assert not claude.available
    assert claude.blocks[0].reason.startswith("budget: claude allocation exhausted")
    assert claude.blocks[0].lifts_at == d.budget.next_reset_at


def test_allocation_short_of_the_task_says_the_task_estimate_not_the_cheapest_request(keyword_core):
    estimate = keyword_core.decide(TASK).costs["claude"].usd
    keyword_core.ledger.record_spend("claude", 30.0 - estimate / 2)  # half the estimate left
    d = keyword_core.decide(TASK)
    assert d.provider != "claude"
    reason = d.availability["claude"].blocks[0].reason
    assert reason.endswith(f"less than this task's estimate (${estimate:.4f})")
    assert "primary blocked (budget: claude allocation has $" in d.recommendation.reason


def test_budget_alert_fires_once_per_day_in_result_and_audit(keyword_core, clock):
    keyword_core.ledger.record_spend("gemini", 39.0)
    keyword_core.ledger.record_spend("codex", 12.0)  # 51% of $100
    first = keyword_core.decide(TASK)
    assert [a.threshold for a in first.new_alerts] == [50]
    assert keyword_core.audit.tail(1)[0]["budget_alerts"][0].startswith(first.new_alerts[0].message[:10])
    second = keyword_core.decide(TASK)
    assert second.new_alerts == ()
    clock.advance(24 * 3600)  # the next day: spend resets, nothing to alert
    assert keyword_core.decide(TASK).new_alerts == ()


def test_a_threshold_met_exactly_fires_though_the_float_sum_falls_short(keyword_core):
    # $1.91 + $32.33 + $15.76 is exactly $50.00 in the ledger (micro-dollars), but 49.99999999999999 summed as
    # floats: the decision judged 50% not passed and claimed nothing, while the budget listed it as passed.
    for provider, usd in (("codex", 1.91), ("gemini", 32.33), ("claude", 15.76)):
        keyword_core.ledger.record_spend(provider, usd)
    assert [a.threshold for a in keyword_core.budget().alerts] == [50]
    assert [a.threshold for a in keyword_core.decide(TASK).new_alerts] == [50]
    assert keyword_core.decide(TASK).new_alerts == ()


def test_forced_provider_says_what_the_router_would_have_done(keyword_core):
    d = keyword_core.decide(TASK, provider="gemini")
    assert d.provider == "gemini"
    assert d.recommendation.route == "requested"
    assert "the router recommended claude" in d.recommendation.reason
    with pytest.raises(InvalidRequest, match="unknown provider"):
        keyword_core.decide(TASK, provider="mistral")


def test_forced_provider_gets_its_own_alternatives_and_budget_alerts(keyword_core):
    keyword_core.ledger.record_spend("gemini", 40.0)  # gemini's allocation is spent
    d = keyword_core.decide(TASK, provider="gemini")
    rec = d.recommendation
    assert [a.provider for a in rec.alternatives] == ["claude", "codex"]  # the router's choice, not gemini itself
    dearer = d.costs["codex"].usd - d.costs["gemini"].usd
    assert rec.alternatives[1].reason == f"fallback 1, available, ${dearer:.4f} more"
    assert rec.exceeds_budget
    assert rec.budget_alerts == ("task would exceed the gemini allocation: "
                                 f"${d.costs['gemini'].usd:.4f} needed, $0.00 of $40.00 left",)


def test_leases_count_against_agent_limits(keyword_core):
    limit = next(a.max_concurrency for a in keyword_core.agents if a.id == "system-architect")
    chosen = [keyword_core.decide(TASK, lease_agent=True).agent.agent.id for _ in range(limit + 1)]
    assert chosen[:limit] == ["system-architect"] * limit
    assert chosen[limit] != "system-architect"  # the limit is reached: another agent serves
    assert keyword_core.leases.in_use()["system-architect"] == limit


def test_batch_plan_sub_batches_within_the_limit(keyword_core, settings):
    # gemini allows 100 requests/min and blocks at 80%: at most 79 per window below the threshold.
    tasks = [(f"t{i}", f"Explain OAuth2 flow step {i}") for i in range(100)]
    plan = keyword_core.plan_batch(tasks, concurrency=10)
    gemini = next(p for p in plan.providers if p.provider == "gemini")
    assert [len(s) for s in gemini.sub_batches] == [79, 21]
    assert {it.starts_after_seconds for it in plan.items if it.sub_batch == 1} == {60.0}
    # ~15 s a task, 10 at a time: the second sub-batch waits for the workers, not only for the window.
    assert {keyword_core.costs.seconds(it.cost) for it in plan.items} == {(10, 20)}
    assert gemini.estimated_seconds == plan.estimated_seconds == 100 * 15 / 10
    assert keyword_core.audit.tail(1)[0]["batch"]["index"] == 99


def test_batch_plan_time_respects_the_cap_shared_by_all_providers(keyword_core):
    # parallel caps the requests in flight across the whole batch (one gate for every provider), but the
    # estimate gave each provider the whole cap: 24 tasks at parallel 1 were said to take 324 s of 588 s
    # sequential, though one request at a time takes all 588.
    texts = ["Implement a JWT login endpoint", "Explain how the OAuth2 flow works", "Design the ingest architecture"]
    tasks = [(f"t{i}", f"{texts[i % 3]} (part {i})") for i in range(24)]
    one = keyword_core.plan_batch(tasks, concurrency=1)
    assert len(one.providers) == 3
    assert one.estimated_seconds == one.sequential_seconds
    two = keyword_core.plan_batch(tasks, concurrency=2)
    assert one.sequential_seconds / 2 <= two.estimated_seconds < one.sequential_seconds
    wide = keyword_core.plan_batch(tasks, concurrency=64)  # the cap binds no more: each provider's own time
    assert wide.estimated_seconds == max(p.estimated_seconds for p in wide.providers)


def test_host_agents_join_the_pool_and_say_so(settings, clock, tmp_path):
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    agents = tmp_path / "project/.claude/agents"
    agents.mkdir(parents=True)
    (agents / "schema-architect.md").write_text(
        "---\nname: schema-architect\ndescription: Designs database schemas and system architecture\n"
        "tools: Read, Grep\nmodel: opus\n---\nYou design schemas and architecture for this codebase.\n"
    )
    (agents / "broken.md").write_text("no front matter here\n")
    core = RouterCore.build(
        settings, clock=clock, classifier=KeywordClassifier(settings.providers), host_agent_dirs=[agents]
    )
    assert "schema-architect" in {a.id for a in core.agents}
    assert len(core.agents) == len(settings.agents) + 1
    assert any("broken.md" in p for p in core.agent_problems)
    d = core.decide("Design database schemas for billing")
    assert d.classification.task_type == "design"
    assert d.agent.agent.id == "schema-architect"
    assert d.agent.reason.endswith(f"your host agent from {agents / 'schema-architect.md'}")
    assert core.audit.tail(1)[0]["recommendation"]["agent_assigned"] == "schema-architect"


def test_half_an_emoji_in_a_task_is_replaced_and_stored(keyword_core):
    cut = "Fix the crash when a title ends in \ud83d"  # a host cut the text inside a UTF-16 pair
    d = keyword_core.decide(cut)
    assert d.task == "Fix the crash when a title ends in \ufffd"
    assert keyword_core.audit.tail(1)[0]["task_description"] == d.task
    keyword_core.record_feedback(cut, routed_provider="codex", correct_provider="codex")  # stored in SQLite
    assert keyword_core.decide("Fix the 😀 rendering").task == "Fix the 😀 rendering"  # whole emoji kept


def test_feedback_a_keyword_core_stores_is_validated_as_the_trained_one_would(keyword_core):
    # With classifier = "keywords", a task_type belonging to another provider was stored without a word
    # ("stored; ... does not learn"), to be rejected as invalid once the trained classifier replayed it.
    with pytest.raises(InvalidRequest, match="task_type for claude must be one of"):
        keyword_core.record_feedback("Fix the flaky login test", routed_provider="codex", correct_provider="claude",
                                     task_type="debugging")
    conn = keyword_core.db.connection()
    assert conn.execute("SELECT COUNT(*) FROM classifier_corrections").fetchone()[0] == 0


def test_feedback_a_keyword_core_stores_says_the_trained_processes_will_learn_it(keyword_core):
    # It said only "the keywords classifier does not learn from feedback", while every process on the state dir
    # that runs the trained classifier (the default) learns it.
    learned, reason = keyword_core.record_feedback("Design the billing service's event schema",
                                                   routed_provider="claude", correct_provider="gemini")
    assert learned is False
    assert "every process on this state dir that runs the trained classifier" in reason


def test_batch_plan_routes_a_task_the_primary_cannot_pay_for_as_a_recommendation_does(keyword_core):
    estimate = keyword_core.decide(TASK).costs["claude"].usd
    keyword_core.ledger.record_spend("claude", 30.0 - estimate / 2)  # claude can't cover this task
    single = keyword_core.decide(TASK)
    item = keyword_core.plan_batch([("a", TASK)]).items[0]
    assert (item.provider, item.route, item.reason) == (
        single.provider, "fallback_1", single.recommendation.reason)
    assert not item.exceeds_budget
    assert "less than this task's estimate" in item.reason


def test_batch_plan_time_counts_the_parallel_cap_shared_by_every_provider(keyword_core):
    tasks = [(f"c{i}", f"Implement feature number {i}") for i in range(10)]
    tasks += [(f"g{i}", f"Explain OAuth2 flow step {i}") for i in range(10)]
    plan = keyword_core.plan_batch(tasks, concurrency=5)
    seconds = {p.provider: p.estimated_seconds for p in plan.providers}
    assert seconds == {"codex": 2 * 30.0, "gemini": 2 * 15.0}  # each group alone: two rounds of five
    assert plan.sequential_seconds == 10 * 30 + 10 * 15
    assert plan.estimated_seconds == plan.sequential_seconds / 5  # together they share five slots


def test_batch_plan_counts_the_tasks_planned_before_against_the_allocation(keyword_core):
    estimate = keyword_core.decide(TASK).costs["claude"].usd
    keyword_core.ledger.record_spend("claude", 30.0 - 2.5 * estimate)  # room for two of these tasks
    plan = keyword_core.plan_batch([(f"t{i}", TASK) for i in range(4)])
    assert [(it.provider, it.route) for it in plan.items] == [
        ("claude", "primary"), ("claude", "primary"), ("codex", "fallback_1"), ("codex", "fallback_1")]
    assert "less than this task's estimate" in plan.items[2].reason
    assert not plan.exceeds_budget and not plan.warnings


def test_batch_plan_sub_batches_follow_the_configured_rate_window(settings, clock):
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    short = replace(settings, execution=replace(settings.execution, rate_window_seconds=10.0))
    core = RouterCore.build(short, clock=clock, classifier=KeywordClassifier(short.providers))
    plan = core.plan_batch([(f"t{i}", f"Explain OAuth2 flow step {i}") for i in range(100)], concurrency=10)
    assert {it.starts_after_seconds for it in plan.items if it.sub_batch == 1} == {10.0}  # pacing's window


def test_usage_entered_by_hand_holds_one_configured_rate_window(settings, clock):
    # It held a fixed 60 s whatever execution.rate_window_seconds said (the window its figures are counted in).
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    short = replace(settings, execution=replace(settings.execution, rate_window_seconds=10.0))
    core = RouterCore.build(short, clock=clock, classifier=KeywordClassifier(short.providers))
    core.record_usage("gemini", requests=90, tokens=0, manual=True)
    assert not core.capacity().availability["gemini"].available
    clock.advance(10.5)
    assert core.capacity().availability["gemini"].available


def test_a_fractional_threshold_block_has_a_lift_time(settings, clock):
    # 9,889 of 11,000 tokens is 89.9%, at the threshold, so claude is blocked; the lift time was asked for "below
    # ceil(11000 * 89.9 / 100)" = 9,890 tokens, which the window already was: the block had no lift time.
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore
    from router_core.settings import BlockThresholds

    providers = tuple(replace(p, tokens_per_minute=11_000, block=BlockThresholds(80, 89.9)) if p.name == "claude"
                      else p for p in settings.providers)
    narrow = replace(settings, providers=providers)
    core = RouterCore.build(narrow, clock=clock, classifier=KeywordClassifier(narrow.providers))
    block(core, "claude", tokens=9_889)
    claude = core.decide(TASK).availability["claude"]
    assert [b.reason for b in claude.blocks] == ["tokens_percent >= 89.9%"]
    assert claude.lifts_at == clock.now() + 60


def test_batch_room_stops_below_the_count_routing_blocks_at():
    # At 89.9% of 11,000 tokens routing blocks from 9,889 (the float product rounds up to 9,890): the plan gave
    # a window room up to 9,889, so a batch could fill it to the block.
    from router_core.batch_plan import window_room
    from router_core.capacity import blocked_from, percent

    assert blocked_from(11_000, 89.9) == 9_889 and percent(9_889, 11_000) >= 89.9
    assert window_room(11_000, 89.9, 0) == (9_888, 9_888)
    assert window_room(100, 90.0, 0) == (89, 89)


def test_every_audit_line_is_stamped_to_the_millisecond(keyword_core, clock):
    # A recommendation's (and a dispatch's) line was stamped to the second, a batch task's to the millisecond:
    # concurrent tasks' lines could not be put in order. Every line now has ISO 8601 UTC with milliseconds.
    clock.advance(0.25)
    keyword_core.decide(TASK)
    keyword_core.plan_batch([("t1", TASK)])
    stamps = [line["timestamp"] for line in keyword_core.audit.tail(2)]
    assert [line["event"] for line in keyword_core.audit.tail(2)] == ["recommendation", "batch_plan"]
    assert stamps == ["2026-03-02T10:00:00.250Z"] * 2
