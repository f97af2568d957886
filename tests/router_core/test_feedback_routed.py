"""Feedback's routed_provider is where Switchboard routes the task: another is refused and nothing is learned.

A "confirmation" that codex was right about a text Switchboard routes to gemini (a host that mixed up which
provider it used) was accepted as "confirmation learned" and moved the text and its paraphrases to codex.
"""

from __future__ import annotations

import pytest

from router_core.core import RouterCore
from router_core.errors import InvalidRequest
from router_core.feedback_routed import RoutedElsewhere

TASK = "explain the auth flow"
NEAR = "explain the login flow"


@pytest.fixture
def core(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock)  # the default (trained, learning) classifier


def stored(core: RouterCore) -> int:
    return core.db.connection().execute("SELECT COUNT(*) FROM classifier_corrections").fetchone()[0]


def routes(core: RouterCore, text: str) -> tuple[str, str]:
    c = core.classify(text)
    return c.primary_provider, c.task_type


def test_a_confirmation_of_a_provider_switchboard_did_not_route_to_is_refused_and_changes_nothing(core):
    assert routes(core, TASK) == routes(core, NEAR) == ("gemini", "explanation")
    with pytest.raises(RoutedElsewhere) as refused:
        core.record_feedback(TASK, routed_provider="codex", correct_provider="codex")
    message = str(refused.value)
    assert "Switchboard routes this task to gemini/explanation, not to codex" in message
    assert "record a correction: routed_provider='gemini', correct_provider='codex'" in message
    assert message.endswith("Nothing was recorded.")
    assert isinstance(refused.value, InvalidRequest)  # the tools and the CLI report it as a bad request
    assert stored(core) == 0
    assert routes(core, NEAR) == routes(core, TASK) == ("gemini", "explanation")


def test_a_correction_from_a_provider_switchboard_did_not_route_to_is_refused(core):
    with pytest.raises(RoutedElsewhere, match="record a correction: routed_provider='gemini', correct_provider='claude'"):
        core.record_feedback(TASK, routed_provider="codex", correct_provider="claude")
    assert stored(core) == 0 and routes(core, TASK)[0] == "gemini"


def test_feedback_that_the_provider_switchboard_routes_to_is_right_but_from_another_says_nothing_to_correct(core):
    with pytest.raises(RoutedElsewhere, match="it already routes it to gemini, so there is nothing to correct"):
        core.record_feedback(TASK, routed_provider="claude", correct_provider="gemini")
    assert stored(core) == 0


def test_a_genuine_correction_and_a_genuine_confirmation_are_learned_as_before(core):
    learned, reason = core.record_feedback(TASK, routed_provider="gemini", correct_provider="codex")
    assert learned and reason.startswith("accepted: correction learned"), reason
    assert routes(core, NEAR)[0] == "codex"
    learned, reason = core.record_feedback("summarize the quarterly board deck for the sales team",
                                           routed_provider="gemini", correct_provider="gemini")
    assert learned and reason.startswith("accepted: confirmation learned"), reason


def test_the_routing_checked_is_the_one_with_the_corrections_learned(core):
    core.record_feedback(TASK, routed_provider="gemini", correct_provider="codex")
    with pytest.raises(RoutedElsewhere) as refused:  # Switchboard now routes it to codex, by correction #1
        core.record_feedback(TASK, routed_provider="gemini", correct_provider="claude")
    assert "routes this task to codex/code_generation (by correction #1), not to gemini" in str(refused.value)
    assert "routed_provider='codex', correct_provider='claude'" in str(refused.value)
    learned, reason = core.record_feedback(TASK, routed_provider="codex", correct_provider="gemini")  # undone
    assert learned, reason
    assert routes(core, NEAR)[0] == "gemini" and stored(core) == 2


def test_a_correction_another_process_learned_counts_at_once(settings, clock, core):
    other = RouterCore.build(settings, clock=clock)  # a second server on the state dir
    assert routes(core, TASK)[0] == "gemini"  # read before the other learns: this one's refresh is not due yet
    other.record_feedback(TASK, routed_provider="gemini", correct_provider="codex")
    with pytest.raises(RoutedElsewhere, match="routes this task to codex/code_generation"):
        core.record_feedback(TASK, routed_provider="gemini", correct_provider="claude")
    assert stored(core) == 1


def test_a_confirmation_whose_task_type_belongs_to_another_provider_is_refused(core):
    with pytest.raises(InvalidRequest, match="task_type for gemini must be one of"):
        core.record_feedback(TASK, routed_provider="gemini", correct_provider="gemini", task_type="code_generation")
    with pytest.raises(RoutedElsewhere):  # the false confirmation with a type matching it: refused as well
        core.record_feedback(TASK, routed_provider="codex", correct_provider="codex", task_type="code_generation")
    assert stored(core) == 0 and routes(core, NEAR) == ("gemini", "explanation")
    learned, reason = core.record_feedback(TASK, routed_provider="gemini", correct_provider="gemini",
                                           task_type="documentation")  # the right provider, another of its types
    assert learned, reason
    assert routes(core, TASK) == ("gemini", "documentation")


def test_a_keyword_core_checks_against_the_keywords_routing(keyword_core):
    text = "Design the billing service's event schema"
    assert keyword_core.classify(text).primary_provider == "claude"
    with pytest.raises(RoutedElsewhere, match="routes this task to claude/"):
        keyword_core.record_feedback(text, routed_provider="codex", correct_provider="codex")
    learned, reason = keyword_core.record_feedback(text, routed_provider="claude", correct_provider="gemini")
    assert not learned and reason.startswith("stored;")
    assert stored(keyword_core) == 1
