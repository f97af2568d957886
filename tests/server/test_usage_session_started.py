"""Design 3.1: each provider's usage tracking is independent, its session_started included: usage://{provider}
(and usage://summary, `switchboard usage --json`) says when that provider's use began today."""

from __future__ import annotations

from resources.views import usage_summary
from router_core.records import iso
from tests.conftest import T0


def test_each_provider_says_when_its_own_use_began_today(keyword_core, clock) -> None:
    clock.advance(100)
    keyword_core.usage_tracker.record("codex")
    clock.advance(100)
    keyword_core.usage_tracker.record("gemini")
    providers = usage_summary(keyword_core)["providers"]
    # Before, all three said codex's time (the day's first use of any provider), though gemini began 100 s later
    # and claude had not been used: the per-provider marks were written and never read.
    assert providers["codex"]["session_started"] == iso(T0 + 100)
    assert providers["gemini"]["session_started"] == iso(T0 + 200)
    assert providers["claude"]["session_started"] == iso(T0)  # not used today: since the process started
