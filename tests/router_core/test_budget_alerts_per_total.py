"""A budget alert fires once a day per threshold and daily total (design 8.3): a total raised during the day
announces a threshold again when spend crosses it under the new total, and processes on one state dir with
different totals (a project file may lower it) each fire each threshold once, never over and over.

Before, the claim was keyed on (day, threshold) alone: 80% of $10 fired, the total was raised to $20, and spend
reaching $16 (80% again) was announced by no decision, in no process."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from router_core.budget import BudgetLedger
from router_core.classifier.keywords import KeywordClassifier
from router_core.clock import FakeClock
from router_core.core import RouterCore
from router_core.settings import BudgetSettings
from router_core.store import db as db_module
from router_core.store.db import Database
from router_core.store.schema import MIGRATIONS
from tests.router_core.test_budget import ME, T0

TEN = BudgetSettings(daily_total=10.0, allocations=(("codex", 10.0),), alert_thresholds=(50, 80),
                     timezone="UTC", reservation_ttl_seconds=900.0)
TWENTY = replace(TEN, daily_total=20.0, allocations=(("codex", 20.0),))


def fired(alerts) -> list[tuple[int, float, float]]:
    return [(a.threshold, a.spent, a.total) for a in alerts]


def test_a_threshold_fires_again_when_spend_crosses_it_under_a_raised_total(db: Database) -> None:
    clock = FakeClock(T0)
    mine, other = BudgetLedger(db, clock, TEN, ME), BudgetLedger(Database(db.path), clock, TEN, "other-process")
    mine.record_spend("codex", 8.0)
    assert fired(mine.claim_alerts()) == [(50, 8.0, 10.0), (80, 8.0, 10.0)]
    for ledger in (mine, other):  # the user raises the total: both servers apply the edit
        ledger.configure(TWENTY)
    assert mine.snapshot().alerts == ()  # 40% of $20
    mine.record_spend("codex", 8.0)
    assert fired(other.claim_alerts()) == [(50, 16.0, 20.0), (80, 16.0, 20.0)]
    assert mine.claim_alerts() == [] and other.claim_alerts() == []  # once for this total, in any process
    warning = mine.snapshot().alerts[1]
    assert warning.message.startswith(
        "WARNING: Daily budget at 80% ($16.00 / $20.00), past the 50% and 80% thresholds at once\n"
        "    Remaining budget: $4.00"
    )
    assert mine.snapshot().alerts == other.snapshot().alerts  # as worded when it fired under this total


def test_processes_with_different_totals_each_fire_once_and_never_again(db: Database) -> None:
    clock = FakeClock(T0)
    full = BudgetLedger(db, clock, TWENTY, ME)
    lowered = BudgetLedger(Database(db.path), clock, TEN, "project-process")  # a project file lowered its total
    also_full = BudgetLedger(Database(db.path), clock, TWENTY, "third-process")
    full.record_spend("codex", 8.0)
    assert fired(lowered.claim_alerts()) == [(50, 8.0, 10.0), (80, 8.0, 10.0)]
    assert full.claim_alerts() == []  # 40% of its $20
    full.record_spend("codex", 8.0)
    assert fired(full.claim_alerts()) == [(50, 16.0, 20.0), (80, 16.0, 20.0)]
    for _ in range(3):  # no flapping: each total's alerts are claimed, whichever process asks next
        assert [ledger.claim_alerts() for ledger in (full, lowered, also_full)] == [[], [], []]
    assert fired(full.snapshot().alerts) == [(50, 16.0, 20.0), (80, 16.0, 20.0)]  # each sees its own figures
    assert [a.total for a in lowered.snapshot().alerts] == [10.0, 10.0]


def test_a_total_edited_back_does_not_fire_its_thresholds_again(db: Database) -> None:
    ledger = BudgetLedger(db, FakeClock(T0), TEN, ME)
    ledger.record_spend("codex", 9.0)
    assert len(ledger.claim_alerts()) == 2
    ledger.configure(TWENTY)
    ledger.configure(TEN)
    assert ledger.claim_alerts() == []


def test_alerts_fired_before_the_upgrade_are_kept_and_still_bind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:14])
        old = Database(path)
        old_ledger = BudgetLedger(old, clock, TEN, ME)
        old_ledger.record_spend("codex", 8.0)
        before = old_ledger.claim_alerts()
        old.close()
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 15
    ledger = BudgetLedger(new, clock, TEN, ME)
    assert ledger.snapshot().alerts == tuple(before)
    assert ledger.claim_alerts() == []
    ledger.configure(TWENTY)
    ledger.record_spend("codex", 8.0)
    assert fired(ledger.claim_alerts()) == [(50, 16.0, 20.0), (80, 16.0, 20.0)]


def test_a_raised_total_is_announced_by_a_decision_and_audited_once(settings, clock) -> None:
    edits: list = []

    def core():
        return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                                settings_updates=lambda: edits.pop() if edits else None)

    first, second = core(), core()  # two servers on one state dir
    task = "Design distributed system architecture"
    for provider, usd in (("codex", 26.0), ("gemini", 40.0), ("claude", 10.0)):  # $76 of $100
        first.ledger.record_spend(provider, usd)
    assert [a.threshold for a in first.decide(task).new_alerts] == [50, 75]
    raised = replace(settings, budget=replace(settings.budget, daily_total=200.0))
    for _ in (first, second):
        edits.append(raised)
    assert second.decide(task).new_alerts == () and first.decide(task).new_alerts == ()  # 38% of $200
    first.ledger.record_spend("codex", 76.0)  # $152 of $200: 76% again
    d = first.decide(task)
    assert [(a.threshold, a.total) for a in d.new_alerts] == [(50, 200.0), (75, 200.0)]
    assert first.audit.tail(1)[0]["budget_alerts"][0].startswith(  # one announcement of both
        "WARNING: Daily budget at 76% ($152.00 / $200.00), past the 50% and 75% thresholds at once"
    )
    assert second.decide(task).new_alerts == () and first.decide(task).new_alerts == ()
    assert [(a.threshold, a.spent, a.total) for a in second.budget().alerts] == [(50, 152.0, 200.0), (75, 152.0, 200.0)]
