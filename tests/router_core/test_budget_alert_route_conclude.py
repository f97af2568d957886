"""A decision made in two phases (RouterCore.route's reads, then conclude's writes, as decide_on_loop makes it) with
spend moving in between announces each threshold once among every decision of every process: the claim is an
insert-or-ignore under the write lock on the spend read then, route's snapshot only says whether to try."""

from __future__ import annotations

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore

TASK = "Design distributed system architecture"


def build(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers))


def announced(decisions) -> list[int]:
    return sorted(a.threshold for d in decisions for a in d.new_alerts)


def test_spend_that_moves_between_route_and_conclude_announces_each_threshold_once(settings, clock) -> None:
    mine, other = build(settings, clock), build(settings, clock)  # two processes on the state dir
    mine.ledger.record_spend("codex", 55.0)  # 50% passed
    routed = mine.route(TASK)  # sees 50%...
    other_routed = other.route(TASK)
    other.ledger.record_spend("gemini", 37.0)  # ...then $92: 75% and 90% passed before either concludes
    first, _ = mine.conclude(routed)
    second, _ = other.conclude(other_routed)
    later = [mine.decide(TASK), other.decide(TASK)]
    assert announced([first, second, *later]) == [50, 75, 90]  # each once, in one process or the other
    assert announced([first]) == [50, 75, 90]  # claimed on the spend at conclude, not the routed snapshot's
