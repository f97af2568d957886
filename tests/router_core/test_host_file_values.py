"""Values in Claude Code agent files that YAML (and so Claude Code) accepts but that need care here."""

from __future__ import annotations

from pathlib import Path

from router_core.agents.host_files import load_host_agents


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_half_an_emoji_escaped_in_the_description_is_replaced(tmp_path):
    # "\ud83d" is half of a UTF-16 pair: YAML and JSON read it as a lone surrogate, which has no UTF-8 form,
    # so every reply naming the agent (recommend_provider's agent_assigned.specialization) failed to encode.
    write(tmp_path, "a.md", '---\nname: schema-architect\ndescription: "Designs schemas \\ud83d"\n---\nYou design.\n')

    [agent], problems = load_host_agents([tmp_path])

    assert problems == []
    assert agent.specialization == "Designs schemas \ufffd"
    agent.specialization.encode("utf-8")  # no lone surrogate left
