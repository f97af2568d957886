"""RouterCore reads its state in one snapshot per decision; what a read finds stale is written after it."""

from __future__ import annotations

import pytest

from router_core.budget import BudgetLedger
from router_core.leases import AgentLeases
from tests.router_core.sql_trace import traced

TASK = "Design distributed system architecture"  # claude, agent system-architect
DEAD = "elsewhere.example:1:1"  # a holder on another host: alive, so only its TTL ends it


def test_a_decision_reads_capacity_budget_and_leases_in_one_read_transaction(keyword_core):
    keyword_core.usage_tracker.record("claude", tokens=10)
    keyword_core.ledger.record_spend("codex", 1.0)
    decision, statements = traced(keyword_core, lambda: keyword_core.decide(TASK, audit=False))
    assert decision.provider == "claude"
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN"]  # one snapshot, no write transaction
    body = statements[statements.index("BEGIN") + 1 : statements.index("COMMIT")]
    assert len(body) == len(statements) - 2  # every statement inside it
    # No re-summing of rows (but our events since the latest rate-limit headers: the newest few, by index).
    assert not any("SUM(" in s and "usage_totals" not in s and "e.at > o.observed_at" not in s for s in body)


def test_leasing_adds_one_write_transaction(keyword_core):
    decision, statements = traced(keyword_core, lambda: keyword_core.decide(TASK, audit=False, lease_agent=True))
    assert decision.lease_id is not None
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN", "BEGIN IMMEDIATE"]


def test_reservations_and_leases_found_stale_in_the_snapshot_are_cleared_after_it(keyword_core, clock):
    ttl = keyword_core.settings.budget.reservation_ttl_seconds
    other_ledger = BudgetLedger(keyword_core.db, clock, keyword_core.settings.budget, DEAD)
    stale = other_ledger.reserve("claude", 2.0)
    other_leases = AgentLeases(keyword_core.db, clock, DEAD, ttl_seconds=60)
    other_leases.acquire("system-architect", 1)
    clock.advance(ttl + 1)  # past both TTLs

    decision = keyword_core.decide(TASK, audit=False)
    assert decision.budget.provider("claude").reserved == 0.0
    assert decision.agent.agent.id == "system-architect"  # the expired lease no longer counts
    status = keyword_core.db.query("SELECT status FROM budget_reservations WHERE id = ?", (stale.id,))[0][0]
    assert status == "expired"
    assert keyword_core.db.query("SELECT COUNT(*) FROM agent_leases")[0][0] == 0


def test_capacity_inside_a_callers_read_defers_its_writes(keyword_core, clock):
    BudgetLedger(keyword_core.db, clock, keyword_core.settings.budget, DEAD).reserve("codex", 1.0)
    clock.advance(keyword_core.settings.budget.reservation_ttl_seconds + 1)
    with keyword_core.db.read():
        view = keyword_core.capacity()  # must not open a write transaction inside the read
        assert view.budget.provider("codex").reserved == 0.0
    live = keyword_core.db.query("SELECT COUNT(*) FROM budget_reservations WHERE status = 'live'")[0][0]
    assert live == 1
    keyword_core.capacity()
    live = keyword_core.db.query("SELECT COUNT(*) FROM budget_reservations WHERE status = 'live'")[0][0]
    assert live == 0


@pytest.mark.parametrize("provider", ["claude", "codex"])
def test_a_blocked_window_still_reports_when_it_lifts(keyword_core, clock, provider):
    limit = keyword_core.settings.provider(provider).tokens_per_minute
    keyword_core.usage_tracker.record(provider, requests=0, tokens=limit)
    clock.advance(5)
    view = keyword_core.capacity()
    assert not view.availability[provider].available
    assert view.availability[provider].lifts_at == clock.now() + 55
