"""Spend that jumps past two alert thresholds in one settlement is announced once (design 8.3), at the highest one's
level, naming both; each threshold is still claimed on its own, so no process announces the lower one later.

Before, 70% -> 92% announced "WARNING: Daily budget at 92% ..." and "CRITICAL: Daily budget at 92% ...": two levels
for one figure, with two different recommended actions."""

from __future__ import annotations

from router_core.budget import BudgetLedger
from router_core.classifier.keywords import KeywordClassifier
from router_core.clock import FakeClock
from router_core.core import RouterCore
from router_core.settings import BudgetSettings
from router_core.store.db import Database
from tests.router_core.test_budget import ME, T0

HUNDRED = BudgetSettings(daily_total=100.0, allocations=(("codex", 100.0),), alert_thresholds=(80, 90),
                         timezone="UTC", reservation_ttl_seconds=900.0)
AT_ONCE = "CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 80% and 90% thresholds at once\n"


def test_a_jump_past_two_thresholds_is_one_announcement_claimed_per_threshold(db: Database) -> None:
    clock = FakeClock(T0)
    mine, other = BudgetLedger(db, clock, HUNDRED, ME), BudgetLedger(Database(db.path), clock, HUNDRED, "other")
    mine.record_spend("codex", 70.0)
    assert mine.claim_alerts() == []
    mine.record_spend("codex", 22.0)  # 92% in one settlement
    alerts = mine.claim_alerts()
    assert [(a.threshold, a.level) for a in alerts] == [(80, "warning"), (90, "critical")]  # each its own
    assert len({a.message for a in alerts}) == 1 and alerts[0].message.startswith(AT_ONCE)
    assert "Defer non-critical tasks" in alerts[0].message  # the highest level's advice, said once
    assert other.claim_alerts() == []  # the lower one too: claimed, not announced again elsewhere
    assert [a.message for a in other.snapshot().alerts] == [a.message for a in alerts]


def test_a_threshold_another_process_announced_is_not_named_again(db: Database) -> None:
    clock = FakeClock(T0)
    mine, other = BudgetLedger(db, clock, HUNDRED, ME), BudgetLedger(Database(db.path), clock, HUNDRED, "other")
    mine.record_spend("codex", 85.0)
    (eighty,) = other.claim_alerts()
    assert eighty.message.startswith("WARNING: Daily budget at 85% ($85.00 / $100.00)\n")
    mine.record_spend("codex", 7.0)
    (ninety,) = mine.claim_alerts()  # 80% already fired: 90% alone, not "past the 80% and 90% thresholds"
    assert (ninety.threshold, ninety.level) == (90, "critical")
    assert ninety.message.startswith("CRITICAL: Daily budget at 92% ($92.00 / $100.00)\n")
    assert [a.message for a in mine.snapshot().alerts] == [eighty.message, ninety.message]


def test_a_decision_after_a_jump_says_one_level(settings, clock) -> None:
    core = RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers))
    task = "Design distributed system architecture"
    for provider, usd in (("codex", 20.0), ("gemini", 40.0)):  # $60 of $100: 50% passed
        core.ledger.record_spend(provider, usd)
    assert [a.threshold for a in core.decide(task).new_alerts] == [50]
    for provider, usd in (("codex", 10.0), ("claude", 22.0)):  # $92: past 75% and 90% at once
        core.ledger.record_spend(provider, usd)
    d = core.decide(task)
    assert [a.threshold for a in d.new_alerts] == [75, 90]
    headlines = [message.splitlines()[0] for message in d.alerts if "Daily budget at" in message]
    # The 50% announced before, with its figures of the time ("at 60%"), is behind the 90%: not said again.
    assert headlines == ["CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 75% and 90% thresholds at once"]
    assert core.audit.tail(1)[0]["budget_alerts"][0] == d.alerts[0]
    later = core.decide(task)  # nothing new claimed: the highest threshold passed is still said, once
    assert later.new_alerts == () and [m.splitlines()[0] for m in later.alerts if "Daily budget at" in m] == headlines
