"""What a budget alert advises (design 8.3): switching to the budget-tier providers, named with what they have left."""

from __future__ import annotations


def test_an_alert_advises_only_the_budget_tier_providers(keyword_core) -> None:
    # Design 8.3: "Switch to budget-tier providers (CodeX, Gemini)". Claude is premium (its cost_tier), yet the
    # warning listed it first among the "budget-tier providers with allocation left".
    ledger = keyword_core.ledger
    ledger.record_spend("gemini", 39.0)
    ledger.record_spend("codex", 11.0)  # $50 of $100
    (info,) = (a.message for a in ledger.claim_alerts())
    ledger.record_spend("codex", 15.0)
    ledger.record_spend("claude", 11.0)  # $76 of $100
    (warning,) = (a.message for a in ledger.claim_alerts())
    assert warning.endswith("Switch to budget-tier providers with allocation left (codex $4.00, gemini $1.00)")
    assert info.endswith("Prefer budget-tier providers for routine tasks (allocation left: codex $19.00, gemini $1.00)")


def test_the_budget_tier_outlives_a_budget_edit(keyword_core, settings) -> None:
    from dataclasses import replace

    keyword_core.ledger.configure(replace(settings.budget, daily_total=80.0))
    keyword_core.ledger.record_spend("claude", 21.0)
    keyword_core.ledger.record_spend("codex", 20.0)  # $41 of $80
    (info,) = (a.message for a in keyword_core.ledger.claim_alerts())
    assert info.endswith("(allocation left: gemini $40.00, codex $10.00)")  # still no claude
