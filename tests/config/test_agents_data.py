"""The shipped agent pool (config/agents.toml) and its loader's validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config.agents import load_agents
from config.loader import ConfigError, load_settings
from router_core.settings import PROVIDER_NAMES, TASK_TYPES

AGENTS = load_agents()

DESIGN_PROVIDER_AGENTS = {
    "codex": ["code-generator", "code-reviewer", "debugger", "refactorer", "test-generator"],
    "gemini": ["analyst", "researcher", "explainer", "documentation-writer", "pattern-recognizer"],
    "claude": ["architect", "strategist", "designer", "complex-reasoner", "planner"],
}
DESIGN_POOL = {
    "core_development": ["coder", "reviewer", "tester", "planner", "researcher"],
    "sparc_methodology": ["specification", "pseudocode", "architecture", "refinement"],
    "github_integration": ["pr-manager", "code-review-swarm", "issue-tracker"],
    "specialized": [
        "backend-dev",
        "ml-developer",
        "cicd-engineer",
        "system-architect",
        "security-specialist",
        "performance-optimizer",
        "data-analyst",
    ],
    "coordination": [
        "hierarchical-coordinator",
        "mesh-coordinator",
        "adaptive-coordinator",
        "swarm-manager",
        "task-orchestrator",
    ],
}

VALID = """
[[agents]]
id = "a"
category = "c"
specialization = "s"
task_types = ["testing"]
providers = ["codex"]
system_prompt = "You test."
"""


def test_54_agents_in_23_categories_with_unique_ids() -> None:
    assert len(AGENTS) == 54
    assert len({a.id for a in AGENTS}) == 54
    assert len({a.category for a in AGENTS}) == 23


def test_design_provider_agents_are_present_and_work_with_their_provider() -> None:
    by_id = {a.id: a for a in AGENTS}
    for provider, ids in DESIGN_PROVIDER_AGENTS.items():
        for agent_id in ids:
            assert provider in by_id[agent_id].providers, agent_id


def test_design_pool_categories_hold_their_agents() -> None:
    by_id = {a.id: a for a in AGENTS}
    for category, ids in DESIGN_POOL.items():
        assert [i for i in ids if by_id[i].category != category] == []


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.id)
def test_each_agent_is_complete(agent) -> None:  # type: ignore[no-untyped-def]
    assert set(agent.task_types) <= set(TASK_TYPES) and agent.task_types
    assert set(agent.providers) <= set(PROVIDER_NAMES) and agent.providers
    assert 2 <= agent.max_concurrency <= 4
    assert 2 <= len(re.findall(r"[.!?](?:\s|$)", agent.system_prompt)) <= 4
    assert "\n" not in agent.system_prompt
    assert 0 < len(agent.specialization) <= 80
    assert agent.source == "builtin"


def test_settings_carry_the_pool(tmp_path: Path) -> None:
    settings = load_settings(environ={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert settings.agents == AGENTS


def test_load_from_text() -> None:
    (a,) = load_agents(VALID)
    assert (a.id, a.task_types, a.providers, a.max_concurrency) == ("a", ("testing",), ("codex",), 2)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (VALID + VALID, "agents[1].id", "duplicate agent id 'a'"),
        (VALID.replace('"testing"', '"cooking"'), "agents[0].task_types", "unknown task type(s) ['cooking']"),
        (VALID.replace('["codex"]', '["mistral"]'), "agents[0].providers", "unknown provider(s) ['mistral']"),
        (VALID + 'colour = "red"\n', "agents[0].colour", "unknown key 'agents[0].colour'"),
        (
            VALID.replace('category = "c"\n', ""),
            "agents[0].category",
            "missing required key 'agents[0].category'",
        ),
        (VALID + "max_concurrency = 0\n", "agents[0].max_concurrency", "greater than or equal to 1"),
        (VALID.replace('"You test."', '" \\n\\t "'), "agents[0].system_prompt", "is only whitespace"),
        (VALID.replace('id = "a"', 'id = "  "'), "agents[0].id", "is only whitespace"),
        ("[[agent]]\n", "agents", "missing required key 'agents'\n  unknown key 'agent'"),
    ],
)
def test_bad_files_name_the_key(text: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_agents(text)
    assert info.value.key == key
    assert message in str(info.value)


def test_invalid_toml_names_its_source() -> None:
    with pytest.raises(ConfigError, match="^host.toml: not valid TOML") as info:
        load_agents("[[agents]\n", source="host.toml")
    assert info.value.file == "host.toml"


def test_errors_in_given_text_do_not_blame_the_shipped_file() -> None:
    with pytest.raises(ConfigError, match="^<agents text>: invalid agent pool"):
        load_agents("[[agent]]\n")
