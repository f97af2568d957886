"""A task the daily total refuses on every provider says the cause once, each provider's estimate with it.

`switchboard run` said "The daily budget has $0.0001 of $1.00 left across all providers; this task is estimated at
$0.0038. Wait for the reset ..." once per provider (codex's and claude's both as "$0.02", though $0.0153 and $0.0232).
"""

from __future__ import annotations

from router_core.budget_text import said_once, says, usd
from router_core.execution.dispatch import dispatch
from tests.execution.test_dispatch import CODE_TASK, with_budget
from tools.batch_schemas import DispatchOut, dispatch_record
from tools.schemas import RecommendationRecordOut

PROVIDERS = ("gemini", "codex", "claude")


async def test_the_daily_totals_refusal_is_said_once_with_each_providers_estimate(settings, build_executor, fake):
    core, ex = build_executor(with_budget(settings, 1.0, codex=0.4, gemini=0.3, claude=0.3))
    core.ledger.record_spend("codex", 0.9999)
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "budget_exceeded"
    assert o.error == ("The daily budget has $0.0001 of $1.00 left across all providers; this task is estimated at "
                       "$0.0038 on gemini, $0.0153 on codex and $0.0232 on claude. Wait for the reset at 00:00 UTC "
                       "(in 14h 00m), raise budget.daily_total, or defer the task.")
    # The audit line keeps each provider's refusal in full, as the attempts have it
    attempts = r.audit["execution_metrics"]["attempts"]
    assert [(a["provider"], a["outcome"]) for a in attempts] == [(p, "budget_exceeded") for p in PROVIDERS]
    assert [a["error"].split("estimated at ")[1][:7] for a in attempts] == ["$0.0038", "$0.0153", "$0.0232"]
    assert r.audit["execution_metrics"]["error"] == o.error
    # The JSON result says it once: the attempts' words are in the error, each estimate named for its provider
    record = dispatch_record(r.decision, o)
    assert record["error"] == o.error and all("error" not in a for a in record["attempts"])
    model = DispatchOut.build(RecommendationRecordOut.of(r.decision), o).model_dump(mode="json", exclude_defaults=True)
    assert model["error"] == o.error and all("error" not in a for a in model["attempts"])
    assert sum(fake.stats(p).requests for p in PROVIDERS) == 0


def test_refusals_that_differ_in_more_than_the_estimate_are_each_said():
    total = ("The daily budget has $0.0001 of $1.00 left across all providers; this task is estimated at {}. Wait for "
             "the reset, raise budget.daily_total, or defer the task.")
    own = "codex has $0.0001 of its $0.40 daily allocation left; this task is estimated at $0.0153. Raise it."
    said = said_once([("codex", own), ("gemini", total.format("$0.0038")), ("claude", total.format("$0.0232")),
                      ("claude", total.format("$0.0232"))])
    assert said == own + " " + total.format("$0.0038 on gemini and $0.0232 on claude")
    assert says(said, "codex", own) and says(said, "gemini", total.format("$0.0038"))
    assert not says(said, "codex", total.format("$0.0038"))  # not codex's estimate
    assert said_once([("gemini", total.format("$0.0038"))]) == total.format("$0.0038")  # one provider: as it was
    assert said_once([("a", "No budget."), ("b", "No budget.")]) == "No budget."


def test_amounts_under_a_dollar_keep_their_digits_whole_cents_and_dollars_read_as_money():
    # "$0.0038" beside "$0.02" (for $0.0153): an amount from a cent up had two decimals
    assert [usd(m) for m in (3_833, 15_300, 23_200, 20_000, 500_000, 1_000_000, 1_234_567, 0, 40, 100)] == [
        "$0.0038", "$0.0153", "$0.0232", "$0.02", "$0.50", "$1.00", "$1.23", "$0.00", "$0.000040", "$0.0001"]
    assert usd(1_234_500_000) == "$1,234.50"


async def test_a_zero_daily_total_is_said_once_not_once_per_provider(settings, build_executor, fake):
    # `switchboard run` with budget.daily_total = 0 said "The daily budget is $0 ... give gemini a share of it in
    # budget.allocation.gemini." and the same again for codex and for claude: three sentences for one cause.
    core, ex = build_executor(with_budget(settings, 0.0, codex=0.0, gemini=0.0, claude=0.0))
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "budget_exceeded"
    assert o.error.count("The daily budget is $0") == 1
    assert "budget.allocation.<provider>" in o.error
    assert sum(fake.stats(p).requests for p in PROVIDERS) == 0
