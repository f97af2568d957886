"""Money in words: every amount a user or a host model reads is said by one rule, budget_text.money (JSON keeps
the number beside it, in a ``*_usd`` field). Before, routing blocks, budget alerts, the audit's and the tools'
strings and the audit report each rounded their own way: "$0.00 spent" was $0.004, and $0.0153 read "$0.02"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from router_core.audit_report import build_report
from router_core.audit_report_table import format_report_table
from router_core.budget_text import money, usd
from router_core.capacity import budget_blocks
from router_core.execution.outages import Outages
from router_core.models import BudgetSnapshot, CostEstimate, ProviderBudget
from router_core.recommender import budget_alerts
from router_core.records import estimate_vs_actual

RESET = 1_767_312_000.0


@pytest.mark.parametrize(("amount", "text"), [
    (0, "$0.00"),
    (0.5, "$0.50"),
    (0.02, "$0.02"),
    (0.1 + 0.2, "$0.30"),  # float noise is not a fraction of a cent
    (0.0153, "$0.0153"),
    (0.153, "$0.1530"),
    (0.004, "$0.0040"),
    (0.00004, "$0.000040"),
    (1, "$1.00"),
    (1234.5, "$1,234.50"),
    (-0.004, "-$0.0040"),
])
def test_one_rule_for_dollars_and_micro_dollars(amount, text):
    assert money(amount) == text
    assert usd(round(amount * 1_000_000)) == text


def snapshot(allocation: float, spent: float, reserved: float = 0.0, total: float = 100.0) -> BudgetSnapshot:
    return BudgetSnapshot(day="2026-01-01", timezone="UTC", total=total,
                          providers=(ProviderBudget("codex", allocation, spent, reserved),), next_reset_at=RESET)


def test_a_routing_block_says_a_fraction_of_a_cent_spent_and_held():
    # Before: "has $0.0307 left ($0.00 spent + $0.02 reserved of $0.05), less than ... ($0.0400)".
    (block,) = budget_blocks("codex", snapshot(0.05, 0.004, 0.0153), min_cost=0.04)
    assert block.reason == ("budget: codex allocation has $0.0307 left ($0.0040 spent + $0.0153 reserved of $0.05), "
                            "less than the cheapest request costs ($0.04)")


def test_a_budget_alert_says_what_is_left_to_the_fraction_of_a_cent():
    # Before: "$0.0153 needed, $0.00 of $0.02 left", as if nothing were left.
    alerts = budget_alerts(CostEstimate("codex", "m", 10, 10, 0.0153), snapshot(0.02, 0.016))
    assert alerts == ("task would exceed the codex allocation: $0.0153 needed, $0.0040 of $0.02 left",)


def test_the_audit_and_tool_strings_keep_a_fraction_of_a_cent_from_ten_cents_up():
    # Before: "$0.15 over estimate" for $0.153 (four decimals only under $0.10).
    assert estimate_vs_actual(0.0153, 0.1683) == "$0.1530 over estimate"


def test_the_audit_report_says_a_day_of_cheap_tasks_as_spent():
    # Before: "$0.02*" for a day whose one estimate was $0.0153.
    line = {"timestamp": "2025-01-11T10:00:00Z", "task_classification": {"primary_provider": "codex"},
            "recommendation": {"provider": "codex", "provider_reason": "primary available", "cost_estimate": "$0.0153"}}
    assert "  2025-01-11  $0.0153*  $0.0153*\n" in format_report_table(build_report([line]))


def test_an_outage_probe_the_budget_cannot_pay_says_what_is_left(settings):
    # Before: "its budget has $0.00 left, less than the probe that would end it ($0.0001)" with $0.00004 left.
    snap = snapshot(30.0, 29.99996)
    ledger = SimpleNamespace(left_for=lambda provider: (snap.provider(provider).remaining, snap))
    core = SimpleNamespace(clock=SimpleNamespace(now=lambda: RESET - 60), settings=settings, ledger=ledger,
                           execution_state=SimpleNamespace(circuits=None))
    circuit = SimpleNamespace(provider="codex", next_probe_at=RESET - 120, block=SimpleNamespace(reason="HTTP 503"))
    said = Outages(core, {}, pacer=None).budget_refusal(circuit)
    assert "its budget has $0.000040 left, less than the probe that would end it ($0." in said
