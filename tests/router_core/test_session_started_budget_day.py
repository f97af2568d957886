"""A provider's session_started is its first use of the budget's day (budget.timezone), the day its cost_today
counts, not of the UTC day: the budget, the usage view and the alerts say one "today"."""

from __future__ import annotations

import dataclasses

from resources.views import usage_summary
from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.records import iso
from tests.conftest import T0  # 2026-03-02 10:00 UTC: 05:00 in New York


def test_a_use_after_utc_midnight_is_the_same_budget_day(settings, clock) -> None:
    ny = dataclasses.replace(settings, budget=dataclasses.replace(settings.budget, timezone="America/New_York"))
    core = RouterCore.build(ny, clock=clock, classifier=KeywordClassifier(ny.providers))
    core.record_usage("codex", requests=1, tokens=None, cost_usd=1.0, manual=False)
    clock.advance(15 * 3600)  # 01:00 UTC, a new UTC day; 20:00 in New York, the same budget day
    core.record_usage("codex", requests=1, tokens=None, cost_usd=1.0, manual=False)
    codex = usage_summary(core)["providers"]["codex"]
    assert core.budget().day == "2026-03-02" and codex["cost_today"] == 2.0
    # Before, 2026-03-03T01:00:00Z: the UTC day's first use, though today's spend counted the morning's too.
    assert codex["session_started"] == iso(T0)
    clock.advance(5 * 3600)  # 01:00 in New York: the budget's next day, nothing used yet
    assert usage_summary(core)["providers"]["codex"]["session_started"] == iso(T0)  # the process start
    core.record_usage("codex", requests=1, tokens=None, manual=False)
    assert usage_summary(core)["providers"]["codex"]["session_started"] == iso(T0 + 20 * 3600)


def test_each_provider_has_its_own(keyword_core, clock) -> None:
    # The usage tracker gives each provider's own (the usage views read it there; routing needs none).
    clock.advance(100)
    keyword_core.usage_tracker.record("gemini")
    started = keyword_core.usage_tracker.sessions_started(("codex", "gemini", "claude"))
    assert started == {"codex": T0, "gemini": T0 + 100, "claude": T0}
