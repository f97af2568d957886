"""Agent selection (design 5.2, 5.3) and the AgentPool helper."""

from __future__ import annotations

import math
import re

import pytest

from config.agents import load_agents
from router_core.agents import AgentPool, score, select_agent
from router_core.agents.selection import STOPWORDS, matching_words, rarity, words
from router_core.errors import NoAgentAvailable
from router_core.models import AgentSpec

POOL = load_agents()


def agent(
    id: str,
    task_types: tuple[str, ...],
    providers: tuple[str, ...],
    specialization: str = "x",
    limit: int = 2,
) -> AgentSpec:
    return AgentSpec(
        id=id,
        category="test",
        specialization=specialization,
        task_types=task_types,
        providers=providers,
        system_prompt="You test.",
        max_concurrency=limit,
    )


@pytest.mark.parametrize(
    ("text", "provider", "task_type", "expected"),
    [
        ("Implement authentication", "codex", "code_generation", "code-generator"),
        ("Design system architecture", "claude", "architecture", "system-architect"),
        ("Analyze performance metrics", "gemini", "analysis", "data-analyst"),
        ("Review pull request", "codex", "code_review", "code-reviewer"),
    ],
)
def test_design_example_assignments(text: str, provider: str, task_type: str, expected: str) -> None:
    choice = select_agent(POOL, provider, task_type, {}, text)
    assert choice.agent.id == expected
    assert not choice.fallback
    assert choice.reason.startswith(f"provider specialty ({provider}) + task type ({task_type})")


def test_reason_and_score_snapshot() -> None:
    choice = select_agent(POOL, "codex", "code_review", {}, "Review pull request")
    # main type +3, first provider +1, one task type +1, then 1.5 x each matched word's rarity among
    # the 35 codex agents: "review" matches 6 of them, "pull" and "request" 2 (pr-manager's too)
    rarity = sum(math.log(35 / n) / math.log(35) for n in (6, 2, 2))
    assert choice.score == 5 + round(1.5 * rarity, 3) and round(choice.score, 3) == 8.159
    assert (
        choice.reason
        == "provider specialty (codex) + task type (code_review) + words (review, pull, request)"
    )


def test_a_clear_specialty_beats_the_main_type_generalist() -> None:
    text = "Review the signup form for accessibility: WCAG contrast and keyboard navigation"
    choice = select_agent(POOL, "codex", "code_review", {}, text)
    assert choice.agent.id == "accessibility-reviewer"  # over code-reviewer: codex first, one task type
    assert choice.reason == (
        "provider specialty (codex) + task type (code_review)"
        " + words (review, accessibility, wcag, contrast, keyboard)"
    )
    assert choice.score == 3 + 0.5 + 4.0  # words capped at +4
    release = select_agent(POOL, "gemini", "documentation", {}, "Write release notes for version 2.3")
    assert release.agent.id == "release-manager"  # documentation only listed, over api-docs-writer


@pytest.mark.parametrize(("provider", "task_type", "text", "expected"), [
    ("claude", "debugging", "Fix the off-by-one bug in the pagination helper", "debugger"),  # was issue-tracker
    ("gemini", "code_generation", "Implement the CSV export", "code-generator"),  # was ml-developer
    ("gemini", "architecture", "Split the monolith into services", "system-architect"),  # was threat-modeler
])
def test_a_task_on_a_fallback_provider_gets_the_generalist_of_its_type(provider, task_type, text, expected) -> None:
    # A task sent to a provider other than its primary (a fallback, or the caller's choice) was given whichever
    # narrow specialist listed the type with that provider: a bug fix on claude went to the issue triager.
    assert select_agent(POOL, provider, task_type, {}, text).agent.id == expected


def test_an_agent_at_its_limit_is_skipped() -> None:
    busy = {"code-generator": 4}
    choice = select_agent(POOL, "codex", "code_generation", busy, "Implement authentication")
    assert choice.agent.id != "code-generator"
    assert "code_generation" in choice.agent.task_types and "codex" in choice.agent.providers
    assert not choice.fallback


def test_load_lowers_the_score_without_excluding() -> None:
    pool = [agent("a", ("testing",), ("codex",), limit=3), agent("b", ("testing",), ("codex",), limit=3)]
    assert select_agent(pool, "codex", "testing", {}).agent.id == "a"  # tie: earlier in the pool
    choice = select_agent(pool, "codex", "testing", {"a": 1})
    assert choice.agent.id == "b"
    assert score(pool[0], "codex", "testing", 1) == 4.75


def test_score_terms() -> None:
    a = agent("log-reader", ("debugging", "analysis"), ("gemini", "codex"), "reads logs to find failures")
    assert score(a, "gemini", "debugging", 0) == 3 + 1 + 0.5
    assert score(a, "codex", "analysis", 0) == 1 + 0 + 0.5
    # alone, every matched word is as rare as can be: +1.5 each
    assert score(a, "codex", "analysis", 0, "why do these logs show failures") == 1 + 0.5 + 3.0
    many = "logs reading reads failures finding " * 3
    assert score(a, "codex", "planning", 2, many) == 0 + 0 + 0 + 4.0 - 0.5  # words capped at +4
    # among other agents of the provider, a word counts by how few of them it matches
    others = [
        agent("log-shipper", ("debugging",), ("codex",), "ships logs"),
        agent("b", ("debugging",), ("codex",)),
    ]
    pool = [a, *others]
    text = "why do these logs show failures"
    expected = 1 + 0.5 + round(1.5 * (math.log(3 / 2) / math.log(3) + 1.0), 3)  # logs: 2 of 3; failures: 1
    assert score(a, "codex", "analysis", 0, text, provider_agents=pool) == expected
    assert score(a, "codex", "analysis", 0, "logs logs", provider_agents=[a, others[0]]) == 1 + 0.5 + 0.0


def test_rarity() -> None:
    assert rarity(1, 34) == 1.0 and rarity(34, 34) == 0.0 and rarity(1, 1) == 1.0
    assert rarity(2, 34) > rarity(6, 34) > rarity(20, 34) > 0


def test_words_match_on_their_first_five_letters() -> None:
    assert words("Fix the API for the users, with tests") == ["users", "tests"]
    a = agent("test-writer", ("testing",), ("codex",), "writes tests for analysers")
    # "written" and "writes" differ in their first five letters; "analyzer" and "analysers" do not.
    assert matching_words("Testing the analyzer written yesterday", a) == ["testing", "analyzer"]


def test_ascii_words_are_the_runs_the_pattern_finds_in_the_lower_cased_text() -> None:
    every = "".join(map(chr, range(128)))
    texts = [every, every * 2, "Refactor_the PAYMENT-module v2.10 + i18n, refactor it again; payment42 x\tyz"]
    for text in texts:  # words() reads ASCII text with a byte table: the same words as the pattern's
        found = re.findall("[a-z0-9]+", text.lower())
        assert words(text) == list(dict.fromkeys(w for w in found if len(w) >= 4 and w not in STOPWORDS))
    assert words("Refactor_the PAYMENT-module v2.10, refactor it") == ["refactor", "payment", "module"]


def test_a_four_letter_word_matches_only_its_inflections() -> None:
    a = agent("data-tester", ("testing",), ("codex",), "test data and plan code")
    inflected = "tests tested testing test datas data planner planning plans coder codes"
    assert matching_words(inflected, a) == inflected.split()
    # no longer matched by their first four letters alone
    assert matching_words("database testament planet codex restructure", a) == []
    backend_dev = next(x for x in POOL if x.id == "backend-dev")  # "server-side services, APIs, auth..."
    assert matching_words("Implement authentication", backend_dev) == []


def test_fallback_to_any_free_agent_of_the_provider() -> None:
    pool = [
        agent("planner", ("planning",), ("claude",)),
        agent("coder", ("code_generation", "debugging"), ("codex",)),
        agent("fixer", ("debugging",), ("codex",)),
    ]
    choice = select_agent(pool, "codex", "planning", {})
    assert choice.fallback
    assert choice.agent.id == "coder"  # neither codex agent plans: the tie goes to the earlier one
    assert select_agent(pool, "codex", "planning", {"coder": 1}).agent.id == "fixer"
    assert choice.reason == (
        "fallback: no free codex agent for task type planning (none handles it); using codex agent coder (code_generation)"
    )


def test_fallback_when_the_matching_agents_are_busy() -> None:
    pool = [agent("fixer", ("debugging",), ("codex",)), agent("coder", ("code_generation",), ("codex",))]
    choice = select_agent(pool, "codex", "debugging", {"fixer": 2})
    assert (choice.agent.id, choice.fallback) == ("coder", True)
    assert "(busy: fixer)" in choice.reason


def test_no_agent_available_names_the_busy_agents() -> None:
    pool = [
        agent("fixer", ("debugging",), ("codex",)),
        agent("coder", ("code_generation",), ("codex",), limit=1),
    ]
    with pytest.raises(
        NoAgentAvailable, match=r"every codex agent is at its concurrency limit \(fixer 2/2, coder 1/1\)"
    ):
        select_agent(pool, "codex", "debugging", {"fixer": 2, "coder": 1})
    assert NoAgentAvailable.retryable


def test_no_agent_for_the_provider() -> None:
    with pytest.raises(NoAgentAvailable, match="no agent in the pool works with provider 'gemini'"):
        select_agent([agent("coder", ("code_generation",), ("codex",))], "gemini", "analysis", {})


def test_every_shipped_provider_and_task_type_has_a_direct_match() -> None:
    from router_core.settings import PROVIDER_NAMES, TASK_TYPES

    for provider in PROVIDER_NAMES:
        for task_type in TASK_TYPES:
            assert not select_agent(POOL, provider, task_type, {}).fallback, (provider, task_type)


def test_pool_lookup_and_filters() -> None:
    pool = AgentPool(POOL)
    assert len(pool) == 54
    assert pool.by_id("debugger").category == "debugging"
    assert "debugger" in pool and "nobody" not in pool
    with pytest.raises(KeyError, match="unknown agent 'nobody'"):
        pool.by_id("nobody")
    assert all("gemini" in a.providers for a in pool.for_provider("gemini"))
    assert {a.id for a in pool.for_task_type("refactoring")} >= {"refactorer", "coder", "refinement"}


def test_pool_with_extra_adds_and_replaces_by_id() -> None:
    base = AgentPool(POOL)
    host_debugger = agent("debugger", ("debugging",), ("claude",), "host debugger")
    extra = base.with_extra([agent("host-helper", ("planning",), ("gemini",)), host_debugger])
    assert len(base) == 54 and len(extra) == 55
    assert extra.by_id("debugger") is host_debugger
    assert [a.id for a in extra].index("debugger") == [a.id for a in base].index("debugger")
    assert base.by_id("debugger").providers == ("codex", "claude", "gemini")


def test_pool_select_delegates_to_select_agent() -> None:
    choice = AgentPool(POOL).select("codex", "code_generation", {}, "Implement authentication")
    assert choice.agent.id == "code-generator"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Design system architecture",
        "Review pull request for the auth module",
        "Write docs about logging",
        "Review the signup form for accessibility: WCAG contrast and keyboard navigation",
        "Write release notes for version 2.3 and plan the rollout",
    ],
)
def test_pool_select_matches_select_agent_everywhere(text: str) -> None:
    from router_core.settings import PROVIDER_NAMES, TASK_TYPES

    pool = AgentPool(POOL)
    busy = {a.id: a.max_concurrency for a in POOL[::3]}  # a third of the pool at its limit
    full = {a.id: a.max_concurrency for a in POOL}
    for in_use in ({}, busy, {a.id: 1 for a in POOL}, full):
        for provider in PROVIDER_NAMES:
            for task_type in TASK_TYPES:
                try:
                    expected = select_agent(POOL, provider, task_type, in_use, text)
                except NoAgentAvailable as exc:
                    with pytest.raises(NoAgentAvailable, match=re.escape(str(exc))):
                        pool.select(provider, task_type, in_use, text)
                    continue
                assert pool.select(provider, task_type, in_use, text) == expected


def test_a_decision_that_fails_after_leasing_its_agent_leaves_no_lease(keyword_core, monkeypatch) -> None:
    # Claiming the day's budget alerts comes after the lease: when it failed (a locked or full database) the lease
    # stayed, heart-beaten by the process, and the agent counted busy for as long as it ran.
    from router_core.errors import StateUnusable

    keyword_core.record_usage("codex", requests=None, tokens=None,
                              cost_usd=0.8 * keyword_core.settings.budget.daily_total, manual=True)

    def locked():
        raise StateUnusable("the state database is locked")

    monkeypatch.setattr(keyword_core.ledger, "claim_alerts", locked)
    with pytest.raises(StateUnusable):
        keyword_core.decide("Implement a JWT login endpoint in Flask", lease_agent=True)
    assert keyword_core.leases.in_use() == {}
