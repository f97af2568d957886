"""recommendation_record: the plain-data record the tool sends must be exactly what the model dumps without
its defaults (as tools.registry.as_result sends every other tool's model)."""

from __future__ import annotations

import json

import pytest

from router_core.classifier.trained import TrainedClassifier
from router_core.core import RouterCore
from tools.registry import as_result, output_schemas
from tools.schemas import RecommendationRecordOut, recommendation_record

TASK = "Design distributed system architecture"


def same_as_model(d) -> dict:
    record = recommendation_record(d)
    dumped = RecommendationRecordOut.model_validate(record).model_dump(mode="json", exclude_defaults=True)
    # Compare as JSON text: catches key order and int-vs-float differences that == would not.
    assert json.dumps(record) == json.dumps(dumped)
    return record


def fill(core, provider: str, tokens: int) -> None:
    core.usage_tracker.record(provider, requests=0, tokens=tokens)


def test_an_available_primary_renders_like_the_model(keyword_core):
    record = same_as_model(keyword_core.decide(TASK, repo="hub"))
    assert record["recommendation"]["route"] == "primary"
    assert record["agent_assigned"]["agent_id"] == "system-architect"
    assert "reason" not in record["provider_availability"]["claude"]  # no block: nothing to say
    assert "alerts" not in record and "wait_seconds" not in record["recommendation"]
    assert "lease_id" not in record["agent_assigned"]


def test_a_blocked_primary_renders_its_block_and_lift_time(keyword_core):
    fill(keyword_core, "claude", 240_000)
    record = same_as_model(keyword_core.decide(TASK))
    claude = record["provider_availability"]["claude"]
    assert claude["available"] is False
    assert claude["reason"] == "tokens_percent >= 80%"
    assert claude["blocked_until"].endswith("Z")


def test_an_emergency_renders_its_wait(keyword_core, clock):
    fill(keyword_core, "claude", 240_000)
    fill(keyword_core, "codex", 450_000)
    for _ in range(80):
        keyword_core.usage_tracker.record("gemini", requests=1, tokens=0)
    record = same_as_model(keyword_core.decide(TASK))
    assert record["recommendation"]["route"] == "emergency"
    assert record["recommendation"]["wait_seconds"] == pytest.approx(60)
    assert record["recommendation"]["resets_at"].endswith("Z")


def test_alerts_a_forced_provider_and_a_lease_render_like_the_model(keyword_core):
    keyword_core.ledger.record_spend("gemini", 39.0)
    keyword_core.ledger.record_spend("codex", 12.0)  # 51% of the day's $100
    record = same_as_model(keyword_core.decide(TASK, provider="gemini", lease_agent=True))
    assert record["recommendation"]["route"] == "requested"
    assert record["alerts"] and record["budget_status"]["percent"] == 51.0
    assert record["agent_assigned"]["lease_id"]


def test_the_trained_classifier_renders_like_the_model(settings, clock):
    core = RouterCore.build(settings, clock=clock, classifier=TrainedClassifier.load())
    record = same_as_model(core.decide("Write unit tests for the parser module"))
    assert record["task_classification"]["classifier"] == "trained"


def test_the_result_carries_the_record_as_structured_content_and_as_json_text(keyword_core):
    record = recommendation_record(keyword_core.decide(TASK))
    result = as_result(record)
    assert result.structured_content is record
    assert json.loads(result.content[0].text) == record


def test_the_published_output_schema_is_the_models(keyword_core):
    assert output_schemas()["recommend_provider"] == RecommendationRecordOut.model_json_schema()


def test_a_threshold_passed_just_now_is_alerted_once_not_twice(keyword_core):
    # The alert this decision claims (new_alerts) is also among today's passed thresholds (budget.alerts):
    # the model saw "INFO: Daily budget at 51% ..." twice, and the audit line held it twice.
    keyword_core.ledger.record_spend("gemini", 39.0)
    keyword_core.ledger.record_spend("codex", 12.0)  # 51% of the day's $100
    record = same_as_model(keyword_core.decide(TASK))
    assert len(record["alerts"]) == len(set(record["alerts"])) == 1
    audited = keyword_core.audit.tail(1)[0]["budget_alerts"]
    assert audited == record["alerts"]


def test_the_budget_status_shows_the_share_spent_as_get_budget_does(keyword_core):
    # $89.96 of $100: get_budget says 89.9% (the 90% alert has not fired); recommend_provider said 90.0%.
    from tools.schemas import BudgetOut

    keyword_core.ledger.record_spend("gemini", 39.96)
    keyword_core.ledger.record_spend("codex", 20.0)
    keyword_core.ledger.record_spend("claude", 30.0)
    record = same_as_model(keyword_core.decide(TASK))
    assert record["budget_status"]["percent"] == BudgetOut.of(keyword_core.budget()).percent_used == 89.9
    assert not any(a.startswith("CRITICAL") for a in record.get("alerts", []))
    from server.display import render_recommendation

    assert "Daily Budget: $89.96 / $100.00 (89.9%)" in render_recommendation(keyword_core.decide(TASK))
