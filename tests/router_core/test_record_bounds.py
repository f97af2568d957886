"""Bounds on usage entered from outside, and the ledger's defence against amounts it cannot store."""

from __future__ import annotations

import pytest

from router_core.budget import BudgetLedger
from router_core.budget_amounts import MAX_RECORDED_USD
from router_core.errors import InvalidRequest
from router_core.store import ledger as sql
from router_core.store.ledger import MAX_MICRO, to_micro
from router_core.usage import MAX_RECORDED_COUNT, check_usage_record


@pytest.mark.parametrize(
    ("requests", "tokens", "cost", "named"),
    [
        (2**63, 0, 0.0, "requests"),
        (0, 2**63, 0.0, "tokens"),
        (MAX_RECORDED_COUNT + 1, 0, 0.0, "requests"),
        (-1, 0, 0.0, "requests"),
        (0, 0, 1e308, "cost_usd"),
        (0, 0, MAX_RECORDED_USD * 1.5, "cost_usd"),
        (0, 0, float("inf"), "cost_usd"),
        (0, 0, float("nan"), "cost_usd"),
    ],
)
def test_out_of_range_usage_is_refused_naming_the_field(requests, tokens, cost, named):
    with pytest.raises(InvalidRequest, match=named):
        check_usage_record(requests, tokens, cost)


def test_the_message_gives_the_limit_and_uses_the_callers_names():
    with pytest.raises(InvalidRequest, match=r"--tokens must be a whole number from 0 to 1,000,000,000,000"):
        check_usage_record(0, 2**63, 0.0, names=("--requests", "--tokens", "--cost"))
    with pytest.raises(InvalidRequest, match=r"--cost must be at most 1,000,000 USD per record"):
        check_usage_record(0, 0, 1e300, names=("--requests", "--tokens", "--cost"))


@pytest.mark.parametrize("cost", [0.0, 0])
def test_a_record_of_nothing_is_refused_in_the_callers_words(cost):
    # The record_usage tool and `switchboard usage set` each had this check, worded twice.
    with pytest.raises(InvalidRequest) as refused:
        check_usage_record(None, None, cost, names=("--requests", "--tokens", "--cost"), provider="codex", hint="e.g.")
    assert str(refused.value) == "nothing to record: give --requests, --tokens and/or --cost, as codex's console shows them (e.g.)"
    with pytest.raises(InvalidRequest, match=r"^nothing to record: give requests, tokens and/or cost_usd, as the provider's console shows them$"):
        check_usage_record(None, None, cost)
    check_usage_record(0, None, cost)  # a figure, if zero, is something to record


def test_the_maximums_are_accepted():
    check_usage_record(MAX_RECORDED_COUNT, MAX_RECORDED_COUNT, MAX_RECORDED_USD)


def test_to_micro_saturates_at_what_sqlite_stores():
    assert to_micro(1.5) == 1_500_000
    assert to_micro(1.8e13) == to_micro(float("inf")) == MAX_MICRO
    assert to_micro(-float("inf")) == -MAX_MICRO


def test_record_spend_refuses_more_than_a_record_may_add(keyword_core):
    with pytest.raises(InvalidRequest, match="at most 1,000,000 USD"):
        keyword_core.ledger.record_spend("claude", 9e12)
    assert keyword_core.budget().spent == 0


def test_a_provider_figure_beyond_the_bound_is_capped_not_an_overflow(keyword_core):
    keyword_core.usage_tracker.observe("codex", requests_used=2**63, tokens_used=0, source="headers",
                                       valid_until=keyword_core.clock.now() + 60)
    assert keyword_core.usage_tracker.window("codex").requests == MAX_RECORDED_COUNT


def test_an_absurd_stored_spend_does_not_block_routing(keyword_core):
    """Spend written before the bounds existed sums past SQLite's INTEGER range (the total turns REAL);
    claiming the day's alerts must still store them, and routing must go on."""
    ledger: BudgetLedger = keyword_core.ledger
    now = keyword_core.clock.now()
    with keyword_core.db.transaction() as conn:
        for _ in range(2):
            sql.insert_spend(conn, ledger.day(now), "claude", 9 * 10**18, now, reservation_id=None, note="old")
    decision = keyword_core.decide("design the architecture of the billing system", audit=False)
    assert decision.recommendation.provider in {"codex", "gemini", "claude"}
    assert {a.threshold for a in decision.new_alerts} == {50, 75, 90}
    assert keyword_core.budget().spent > 1e13
    keyword_core.decide("design the architecture of the billing system", audit=False)  # alerts already claimed
