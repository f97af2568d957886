"""The kinds of block reasons the audit report groups fallbacks by, from the texts Switchboard's producers write:
a wording changed in one of them must fail here, not quietly become "other" in the report."""

from __future__ import annotations

import pytest

from router_core.capacity import budget_blocks, capacity_blocks
from router_core.errors import ProviderUnavailable
from router_core.execution.circuit import CircuitState
from router_core.execution.holds import ProviderHolds
from router_core.fallback_kinds import block_kind, block_kinds, fallback_kind, normalised
from router_core.models import BudgetSnapshot, ProviderBudget, WindowCounts
from tests.router_core.test_capacity import codex


def _budget(spent: float, allocation: float = 30.0, total: float = 100.0) -> BudgetSnapshot:
    return BudgetSnapshot(day="2026-01-01", timezone="UTC", total=total,
                          providers=(ProviderBudget("codex", allocation, spent, 0.0),), next_reset_at=2e9)


def test_capacity_and_budget_blocks_are_their_kinds() -> None:
    full = capacity_blocks(codex(), WindowCounts(requests=3000, tokens=500_000), capacity_lifts_at=1.0)
    assert [block_kind(b.reason) for b in full] == ["window full", "window full"]
    for snapshot in (_budget(30.0), _budget(29.995), _budget(0.0, allocation=0.0), _budget(0.0, total=0.0),
                     _budget(0.0, allocation=0.001)):
        blocks = budget_blocks("codex", snapshot, min_cost=0.01, task_estimate=True)
        assert blocks and {block_kind(b.reason) for b in blocks} == {"budget"}, blocks


def test_outage_and_hold_blocks_are_their_kinds(db, clock) -> None:
    circuit = CircuitState("codex", 3, True, 1.0, 2.0, "HTTP 500")
    assert block_kind(circuit.block.reason) == "outage"
    holds = ProviderHolds(db, clock)
    holds.hold_unavailable("codex", ProviderUnavailable("busy", provider="codex", status_code=503, retry_after=30))
    assert block_kind(holds.active()["codex"].block.reason) == "unavailable"


@pytest.mark.parametrize(("reason", "kind"), [
    # execution/failures.py's and execution/outages.py's hold reasons
    ("rate limited: retry after 12s", "rate limited"),
    ("rate limited (no retry time given): backing off 4.2s", "rate limited"),
    ("rate limited for longer than a rate limit lasts, held as a quota: 429 slow down", "quota"),
    ("quota exhausted: daily quota reached; resets at 10:00", "quota"),
    ("something new", "other"),
])
def test_hold_reasons_are_their_kinds(reason: str, kind: str) -> None:
    assert block_kinds(reason) == kind  # (a "; " inside a quoted error is no block of its own)


def test_several_blocks_are_each_kind_once_sorted() -> None:
    assert block_kinds("tokens_percent >= 90%; budget: daily total exhausted ($5 of $5 used); "
                       "requests_percent >= 85%") == "budget + window full"


def test_normalised_makes_amounts_and_times_alike() -> None:
    assert normalised("capacity returns in 36m05s, $1,200.50 left") == "capacity returns in N, $N left"
    assert normalised("back in 1h02m or 12s, 3 failures") == "back in N or N, N failures"


def test_the_route_and_the_primarys_state_name_the_kind() -> None:
    states = {"gemini": {"available": True}, "codex": {"available": False, "block_reason": "outage: 3 consecutive"}}
    line = {"task_classification": {"primary_provider": "claude"}, "provider_state_at_recommendation": states}
    unconfigured = {"provider_reason": "primary blocked (not configured), using fallback 1", "route": "fallback_1"}
    assert fallback_kind(line, unconfigured) == "primary not configured"
    line["task_classification"] = {"primary_provider": "codex"}
    cheaper = {"provider_reason": "cost-aware: gemini scores within 10 of claude and is $0.01 cheaper; primary "
               "blocked (outage: 3 consecutive failures), using fallback 1", "route": "cost_aware"}
    assert fallback_kind(line, cheaper) == "cost-aware, primary blocked: outage"
    asked = {"provider_reason": "provider gemini requested by the caller (available); the router recommended claude",
             "route": "requested"}
    assert fallback_kind(line, asked) == "requested by the caller"
