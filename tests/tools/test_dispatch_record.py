"""dispatch_record: the plain data dispatch_agent sends must be exactly what DispatchOut dumps without its defaults
(as tools.registry.as_result sent the model), for every kind of outcome."""

from __future__ import annotations

import json

import pytest

from router_core.execution.results import Attempt, TaskOutcome
from tools.batch_schemas import DispatchOut, dispatch_record
from tools.registry import as_result, output_schemas
from tools.schemas import RecommendationRecordOut

TASK = "Implement a JWT login endpoint in Flask"
T = 1_800_000_000.0
DOWN = "codex unavailable (500): the server had an error"

OUTCOMES = {
    "success": TaskOutcome("t", "success", T, T + 1.23456, provider="codex", model="gpt-5", text="done",
                           backend="api", input_tokens=120, output_tokens=45, cost_usd=0.0123,
                           cost_estimate_usd=0.02, attempts=(Attempt("codex", "success", model="gpt-5",
                                                                     duration_seconds=1.2, cost_usd=0.0123),)),
    "after_retries_and_a_fallback": TaskOutcome(
        "t", "success", T, T + 9.0, provider="claude", model="sonnet", text="", backend="api", input_tokens=1,
        output_tokens=2, cost_usd=0.5, cost_estimate_usd=0.5, truncated=True, warning="its cost is not recorded",
        attempts=(Attempt("codex", "server_error", error=DOWN, status_code=500, duration_seconds=0.1),
                  Attempt("codex", "rate_limited", error="slow down", status_code=429, retry=1, lifts_at=T + 30),
                  Attempt("claude", "success", model="sonnet", retry=0, duration_seconds=2.0))),
    "failed_each_error_said_once": TaskOutcome(
        "t", "failed", T, T + 0.5, provider="codex", cost_usd=0, error=f"every provider failed ({DOWN}; quota)",
        attempts=(Attempt("codex", "server_error", error=DOWN, status_code=500, duration_seconds=0.1),
                  Attempt("gemini", "quota", error="", status_code=429, duration_seconds=0.1),
                  Attempt("claude", "on_hold", error="held until noon", lifts_at=T + 3600))),
    "cut_inside_an_emoji": TaskOutcome("t", "success", T, T + 0.2, provider="gemini", model="flash",
                                       text="half an emoji \ud83d, then «more»", backend="cli", input_tokens=3,
                                       output_tokens=4, cost_usd=0.001, cost_estimate_usd=0.001,
                                       attempts=(Attempt("gemini", "success", model="flash", duration_seconds=0.2),)),
    "parked": TaskOutcome("t", "parked", T, T, provider="codex", model="gpt-5", cost_estimate_usd=0.02,
                          error="every provider is blocked", resumes_at=T + 42.5),
    "routed": TaskOutcome("t", "routed", T, T, provider="codex", model="gpt-5", cost_estimate_usd=0.02),
    "not_configured": TaskOutcome("t", "not_configured", T, T, provider="codex", error="set OPENAI_API_KEY",
                                  attempts=(Attempt("codex", "not_configured", error="set OPENAI_API_KEY"),)),
}


@pytest.mark.parametrize("kind", OUTCOMES)
def test_the_record_is_the_models_dump_without_defaults(keyword_core, kind):
    decision = keyword_core.decide(TASK, lease_agent=True)
    outcome = OUTCOMES[kind]
    record = dispatch_record(decision, outcome)
    model = DispatchOut.build(RecommendationRecordOut.of(decision), outcome)
    # As JSON text: catches key order and int-vs-float differences that == would not; and as the tool sends it.
    assert json.dumps(record) == json.dumps(model.model_dump(mode="json", exclude_defaults=True))
    assert as_result(record).content[0].text == as_result(model).content[0].text


def test_an_attempts_error_the_tasks_error_quotes_is_left_out(keyword_core):
    record = dispatch_record(keyword_core.decide(TASK), OUTCOMES["failed_each_error_said_once"])
    assert [a.get("error") for a in record["attempts"]] == [None, "", "held until noon"]


def test_the_published_output_schema_is_the_models():
    assert output_schemas()["dispatch_agent"] == DispatchOut.model_json_schema()
