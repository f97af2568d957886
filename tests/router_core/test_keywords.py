"""The design's keyword classifier (section 2.1) and the task-type table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from config.loader import load_settings
from router_core.classifier import TASK_TYPE_PROVIDER
from router_core.classifier.keywords import KeywordClassifier, normalize
from router_core.classifier.task_types import DEFAULT_TASK_TYPE, infer_task_type
from router_core.settings import TASK_TYPES, Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return load_settings(environ={"HOME": str(home)}, cwd=Path(home))


@pytest.fixture(scope="module")
def classifier(settings: Settings) -> KeywordClassifier:
    return KeywordClassifier(settings.providers)


@pytest.mark.parametrize(
    ("task", "primary"),
    [
        # design 2.2
        ("Implement user authentication with JWT", "codex"),
        ("Analyze market trends in energy sector", "gemini"),
        ("Design distributed system architecture", "claude"),
        ("Fix the bug in data loader", "codex"),
        ("Explain OAuth2 flow", "gemini"),
        # design 5.3
        ("Implement authentication", "codex"),
        ("Design system architecture", "claude"),
        ("Analyze performance metrics", "gemini"),
        ("Review pull request", "codex"),
    ],
)
def test_design_examples_pick_the_designs_primary(
    classifier: KeywordClassifier, task: str, primary: str
) -> None:
    assert classifier.classify(task).primary_provider == primary


def test_implement_jwt_snapshot(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Implement user authentication with JWT")
    assert c.all_scores == {"codex": 100, "gemini": 0, "claude": 0}
    assert c.primary_score == 100
    assert c.fallback_chain == ("gemini", "claude")  # tie at 0 -> codex's fallback_order
    assert c.task_type == "code_generation"
    assert c.classifier == "keywords"
    assert c.reasons == (
        "strong keyword 'implement' (+15 codex)",
        "5 words < 10 (+5 codex)",
        "task type code_generation ('implement')",
    )


def test_design_architecture_snapshot(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Design distributed system architecture")
    # raw: claude 15 + 15 = 30, codex 5 -> shares 30/35 = 85.7 and 5/35 = 14.3
    assert c.all_scores == {"codex": 14, "gemini": 0, "claude": 86}
    assert (c.primary_provider, c.primary_score) == ("claude", 86)
    assert c.fallback_chain == ("codex", "gemini")
    assert c.task_type == "architecture"
    assert c.reasons == (
        "strong keyword 'architecture' (+15 claude)",
        "strong keyword 'design' (+15 claude)",
        "4 words < 10 (+5 codex)",
        "task type architecture ('architecture')",
    )


def test_analyze_snapshot(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Analyze market trends in energy sector")
    assert c.all_scores == {"codex": 25, "gemini": 75, "claude": 0}
    assert c.fallback_chain == ("codex", "claude")
    assert c.task_type == "analysis"


def test_more_than_100_words_and_500_chars(classifier: KeywordClassifier) -> None:
    text = " ".join(["lorem"] * 101)  # 101 words, 605 characters, no keyword
    c = classifier.classify(text)
    # raw: claude 10 + 5 = 15, gemini 10 -> 60 / 40
    assert c.all_scores == {"codex": 0, "gemini": 40, "claude": 60}
    assert c.primary_provider == "claude"
    assert c.fallback_chain == ("gemini", "codex")
    assert c.reasons == (
        "101 words > 100 (+10 claude)",
        "605 chars > 500 (+10 gemini)",
        "605 chars > 500 (+5 claude)",
        "task type architecture (claude default; no task keyword)",
    )


def test_more_than_500_chars_only(classifier: KeywordClassifier) -> None:
    text = " ".join(["abcdefghijk"] * 50)  # 50 words, 599 characters
    c = classifier.classify(text)
    assert c.all_scores == {"codex": 0, "gemini": 67, "claude": 33}
    assert c.primary_provider == "gemini"
    assert c.task_type == "analysis"


def test_weak_keywords_subtract_ten_each(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Quick simple status check of the nightly deployment")
    assert c.all_scores == {"codex": 100, "gemini": 0, "claude": 0}  # claude -40 clamps to 0
    assert [r for r in c.reasons if r.startswith("weak")] == [
        "weak keyword 'quick' (-10 claude)",
        "weak keyword 'simple' (-10 claude)",
        "weak keyword 'check' (-10 claude)",
        "weak keyword 'status' (-10 claude)",
    ]


def test_weak_keyword_creates_a_tie_won_by_codex(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Design a simple cache")
    # claude 15 - 10 = 5, codex 5: a tie goes to codex (order codex, gemini, claude)
    assert c.all_scores == {"codex": 50, "gemini": 0, "claude": 50}
    assert c.primary_provider == "codex"
    assert c.fallback_chain == ("claude", "gemini")
    assert c.task_type == "code_generation"
    assert c.reasons == (
        "strong keyword 'design' (+15 claude)",
        "4 words < 10 (+5 codex)",
        "weak keyword 'simple' (-10 claude)",
        "task type code_generation (codex default; 'design' suggests design)",
    )


def test_fallback_ties_follow_the_primarys_fallback_order(settings: Settings) -> None:
    text = "Write down the architecture for the new billing service in our platform"  # 12 words
    default = KeywordClassifier(settings.providers).classify(text)
    assert default.all_scores == {"codex": 0, "gemini": 0, "claude": 100}
    assert default.fallback_chain == ("codex", "gemini")
    swapped = tuple(
        dataclasses.replace(p, fallback_order=("gemini", "codex")) if p.name == "claude" else p
        for p in settings.providers
    )
    assert KeywordClassifier(swapped).classify(text).fallback_chain == ("gemini", "codex")


def test_strong_keywords_match_as_substrings_as_the_design_says(classifier: KeywordClassifier) -> None:
    c = classifier.classify("Add a prefix to every log line")
    assert "strong keyword 'fix' (+15 codex)" in c.reasons


def test_no_rule_matched_gives_all_zero_and_codex(classifier: KeywordClassifier) -> None:
    c = classifier.classify("please look at the thing we talked about in the meeting yesterday")
    assert c.all_scores == {"codex": 0, "gemini": 0, "claude": 0}
    assert (c.primary_provider, c.primary_score) == ("codex", 0)
    assert c.fallback_chain == ("gemini", "claude")
    assert c.reasons[0] == "no keyword or length rule matched"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"a": -5, "b": 0, "c": 0}, {"a": 0, "b": 0, "c": 0}),
        ({"a": 1, "b": 1, "c": 1}, {"a": 33, "b": 33, "c": 33}),
        ({"a": 1, "b": 7, "c": -20}, {"a": 13, "b": 88, "c": 0}),  # 12.5 and 87.5 round half up
        ({"a": 20, "b": 0, "c": 0}, {"a": 100, "b": 0, "c": 0}),
    ],
)
def test_normalize(raw: dict[str, int], expected: dict[str, int]) -> None:
    assert normalize(raw) == expected


# --- task types ---------------------------------------------------------------

EXAMPLE_PER_TYPE = {
    "code_generation": "create a csv exporter",
    "code_review": "review this diff",
    "refactoring": "refactor the payment module",
    "debugging": "the worker crashes on startup",
    "testing": "write tests for the parser",
    "performance_optimization": "make the search faster",
    "analysis": "analyse churn by cohort",
    "research": "compare three queue libraries",
    "documentation": "update the readme",
    "explanation": "how does the scheduler pick jobs",
    "architecture": "propose an architecture for billing",
    "design": "design the retry policy",
    "planning": "draft a roadmap for q3",
    "multi_step": "migrate the app from flask to fastapi",
}


def test_examples_cover_every_task_type() -> None:
    assert sorted(EXAMPLE_PER_TYPE) == sorted(TASK_TYPES)


@pytest.mark.parametrize(("task_type", "text"), sorted(EXAMPLE_PER_TYPE.items()))
def test_every_task_type_is_reachable(task_type: str, text: str) -> None:
    assert infer_task_type(text, TASK_TYPE_PROVIDER[task_type])[0] == task_type


def test_primary_providers_types_are_preferred() -> None:
    text = "analyze performance metrics"
    assert infer_task_type(text, "gemini") == ("analysis", "task type analysis ('analyze')")
    assert infer_task_type(text, "codex") == (
        "performance_optimization",
        "task type performance_optimization ('performance')",
    )


def test_falls_back_to_the_providers_default() -> None:
    assert infer_task_type("plan the sprint", "codex") == (
        "code_generation",
        "task type code_generation (codex default; 'plan' suggests planning)",
    )
    for provider, default in DEFAULT_TASK_TYPE.items():
        assert infer_task_type("nothing to see", provider)[0] == default


def test_keywords_match_whole_words() -> None:
    # "plan" inside "explanation" and "add" inside "address" must not count.
    assert infer_task_type("an explanation of the address field", "claude")[0] == "architecture"
    assert infer_task_type("an explanation of the address field", "gemini")[0] == "explanation"
