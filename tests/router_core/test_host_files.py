"""Claude Code subagent files joining the agent pool."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from router_core.agents.host_files import (
    default_agent_dirs,
    infer_task_types,
    load_host_agents,
    split_front_matter,
)
from router_core.classifier import TASK_TYPE_PROVIDER
from router_core.settings import TASK_TYPES
from tests.fifos import without_waiting_on

REVIEWER = """\
---
name: code-reviewer
description: Expert code review specialist. Proactively reviews code for quality, security, and maintainability.
tools: Read, Grep, Glob, Bash
model: sonnet
---

You are a senior code reviewer ensuring high standards of code quality and security.

When invoked:
1. Run git diff to see recent changes
2. Focus on modified files
"""

DEBUGGER = """\
---
name: "debugger"
description: 'Debugging specialist for errors, test failures, and unexpected behavior. Use when you hit a bug.'
tools: [Read, Edit, "Bash"]
model: inherit
---
You are an expert debugger specializing in root cause analysis.
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_a_claude_code_agent_file_becomes_a_host_agent(tmp_path):
    path = write(tmp_path / "agents", "code-reviewer.md", REVIEWER)

    [agent], problems = load_host_agents([tmp_path / "agents"])

    assert problems == []
    assert agent.id == "code-reviewer"
    assert agent.category == "host"
    assert agent.specialization.startswith("Expert code review specialist.")
    assert agent.task_types[0] == "code_review"
    assert agent.providers[0] == TASK_TYPE_PROVIDER["code_review"]
    assert sorted(agent.providers) == sorted(set(TASK_TYPE_PROVIDER.values()))
    assert agent.system_prompt.startswith("You are a senior code reviewer") and agent.system_prompt.endswith(
        "files"
    )
    assert agent.model == "sonnet"
    assert agent.source == str(path)
    assert agent.max_concurrency == 2


def test_quoted_values_flow_lists_and_inherit_model(tmp_path):
    write(tmp_path, "debugger.md", DEBUGGER)

    [agent], problems = load_host_agents([tmp_path])

    assert problems == []
    assert agent.id == "debugger" and agent.model is None
    assert agent.task_types[0] == "debugging"
    assert agent.providers[0] == "codex"


def test_front_matter_subset():
    meta, body = split_front_matter(
        "---\n"
        "name: planner  # trailing comment\n"
        "description: >\n  Plans work\n  in steps.\n"
        "tools:\n  - Read\n  - Write\n"
        "extra:\n- a\n- 'b''s'\n"
        'note: "line one\\nline two"\n'
        "wrapped: first part\n  second part\n"
        "---\nBody text.\n"
    )
    assert meta == {
        "name": "planner",
        "description": "Plans work in steps.",
        "tools": ["Read", "Write"],
        "extra": ["a", "b's"],
        "note": "line one\nline two",
        "wrapped": "first part second part",
    }
    assert body == "Body text."


def test_flow_lists_over_several_lines_and_quoted_items_with_commas():
    """YAML that Claude Code reads (its files go through a YAML parser): the agent must not be skipped."""
    meta, _ = split_front_matter(
        "---\n"
        "name: releaser\n"
        "tools: [\n  Read,\n  \"Bash(git tag:*, git push:*)\",\n  'Grep'\n]\n"
        "skills: ['a, b', \"c\"]\n"
        "description: Cuts releases.\n"
        "---\nBody.\n"
    )
    assert meta == {
        "name": "releaser",
        "tools": ["Read", "Bash(git tag:*, git push:*)", "Grep"],
        "skills": ["a, b", "c"],
        "description": "Cuts releases.",
    }


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        ("test-writer", "Writes unit tests and raises coverage.", "testing"),
        ("docs-writer", "Writes README files and API documentation.", "documentation"),
        ("perf-tuner", "Finds performance hot spots and optimizes latency.", "performance_optimization"),
        ("system-architect", "Designs scalable distributed architecture.", "architecture"),
        ("tech-researcher", "Researches and compares libraries.", "research"),
        ("refactorer", "Refactors legacy code and simplifies modules.", "refactoring"),
        ("migration-lead", "Orchestrates multi-step migrations end-to-end.", "multi_step"),
        ("sprint-planner", "Breaks goals into a roadmap with estimates.", "planning"),
        ("tutor", "Explains how code works to newcomers.", "explanation"),
    ],
)
def test_task_type_inference_from_name_and_description(name, description, expected):
    types = infer_task_types(name, description, "")
    assert types[0] == expected
    assert set(types) <= set(TASK_TYPES) and 1 <= len(types) <= 3


def test_no_keyword_means_a_general_multi_step_agent():
    assert infer_task_types("helper", "Helps.", "Be kind.") == ("multi_step",)


def test_prompt_words_count_less_than_the_description():
    types = infer_task_types("x", "Reviews pull requests.", "test test test test test test")
    assert types[0] == "code_review" and "testing" in types


def test_malformed_files_are_reported_not_fatal(tmp_path):
    d = tmp_path / "agents"
    good = write(d, "a-good.md", REVIEWER)
    cases = {
        write(d, "no-front-matter.md", "You are an agent.\n"): "no front matter",
        write(d, "unclosed.md", "---\nname: x\ndescription: y\n"): "no closing `---`",
        write(d, "no-name.md", "---\ndescription: does things\n---\nbody"): "no `name`",
        write(d, "no-description.md", "---\nname: lonely\n---\nbody"): "no `description`",
        write(d, "no-prompt.md", "---\nname: mute\ndescription: reviews code\n---\n \n\t\n"): "no prompt",
        write(d, "bad-line.md", "---\nname: x\nthis is not yaml\n---\n"): "is not `key: value`",
        write(d, "bad-quote.md", '---\nname: "x\ndescription: y\n---\n'): "malformed double-quoted",
        write(d, "binary.md", b"---\nname: \xff\xfe\n---\n"): "not UTF-8",
        write(
            d, "z-duplicate.md", REVIEWER
        ): f"duplicate agent name 'code-reviewer' (already defined in {good})",
    }

    agents, problems = load_host_agents([d])

    assert [a.id for a in agents] == ["code-reviewer"]
    assert len(problems) == len(cases)
    for path, reason in cases.items():
        [line] = [p for p in problems if p.startswith(f"{path}: ")]
        assert reason in line, line


def test_unreadable_file_is_a_problem(tmp_path):
    path = tmp_path / "gone.md"
    path.symlink_to(tmp_path / "missing-target.md")
    agents, problems = load_host_agents([tmp_path])
    assert agents == [] and problems == [f"{path}: cannot be read (No such file or directory); skipped"]


def test_project_agents_win_over_the_users_and_missing_dirs_are_fine(tmp_path):
    project, home = tmp_path / "project", tmp_path / "home"
    dirs = default_agent_dirs(project, home)
    assert dirs == [project / ".claude" / "agents", home / ".claude" / "agents"]
    assert load_host_agents(dirs) == ([], [])

    write(dirs[0], "reviewer.md", REVIEWER.replace("Expert code review", "Project review"))
    user_copy = write(dirs[1], "reviewer.md", REVIEWER)
    write(dirs[1], "nested/debugger.md", DEBUGGER)

    agents, problems = load_host_agents(dirs)

    assert [(a.id, a.specialization.split()[0]) for a in agents] == [
        ("code-reviewer", "Project"),
        ("debugger", "Debugging"),
    ]
    assert len(problems) == 1 and problems[0].startswith(f"{user_copy}: duplicate agent name")


def test_a_file_given_as_a_directory_is_reported(tmp_path):
    path = write(tmp_path, "agents", "not a dir")
    assert load_host_agents([path]) == ([], [f"{path}: not a directory; no agents read from it"])


# -- limits on what a host file may bring into the pool -------------------------------------------------


def agent_file(name: str, description: str = "Writes docs and READMEs", prompt: str = "You write docs.") -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n{prompt}\n"


DOCS_HELPER = agent_file("docs-helper")  # not a built-in id: no replacement note


def test_a_10_mb_agent_file_is_skipped_with_a_note(tmp_path):
    write(tmp_path, "a-good.md", DOCS_HELPER)
    huge = write(tmp_path, "huge.md", agent_file("huge-agent", "debug and fix bugs in code", "a" * 10_000_000))

    agents, problems = load_host_agents([tmp_path])

    assert [a.id for a in agents] == ["docs-helper"]
    [line] = problems
    assert line.startswith(f"{huge}: {huge.stat().st_size:,} bytes, over the ") and line.endswith("; skipped"), line
    assert "-byte limit for an agent file" in line


def test_the_size_limit_is_inclusive(tmp_path):
    from router_core.agents.host_files import MAX_FILE_BYTES

    header = agent_file("fits", prompt="")
    fits = write(tmp_path / "a", "fits.md", header + "a" * (MAX_FILE_BYTES - len(header.encode())))
    over = write(tmp_path / "b", "over.md", header.replace("fits", "over") + "a" * (MAX_FILE_BYTES + 1 - len(header.encode())))
    assert fits.stat().st_size == MAX_FILE_BYTES and over.stat().st_size == MAX_FILE_BYTES + 1

    agents, problems = load_host_agents([tmp_path / "a", tmp_path / "b"])

    assert [a.id for a in agents] == ["fits"]
    assert problems == [
        f"{over}: {MAX_FILE_BYTES + 1:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for an agent file"
        " (its text is the system prompt sent with every task); skipped"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a/b",
        "..",
        ".hidden",
        "-flag-like",
        '"evil\\u001b[31mRED\\u001b[0m\\u0007"',
        '"a\\u202eevil"',
        '"bell\\u0007"',
        '"nul\\u0000"',
        "caf\u00e9",
        "x" * 65,
    ],
)
def test_an_unsafe_agent_id_is_skipped_with_a_note_naming_the_file(tmp_path, name):
    good = write(tmp_path, "a-good.md", DOCS_HELPER)
    bad = write(tmp_path, "bad.md", agent_file(name))

    agents, problems = load_host_agents([tmp_path])

    assert [a.id for a in agents] == ["docs-helper"] and agents[0].source == str(good)
    [line] = problems
    assert line.startswith(f"{bad}: `name` ") and line.endswith("; skipped"), line
    assert "not a safe agent id" in line
    assert line.isprintable() and line.isascii(), line  # no escape code, bidi control or NUL reaches a log


@pytest.mark.parametrize("name", ["my-reviewer", "my_agent.v2", "A1", "x" * 64, "_private"])
def test_safe_agent_ids_are_accepted(tmp_path, name):
    write(tmp_path, "agent.md", agent_file(name))
    agents, problems = load_host_agents([tmp_path])
    assert [a.id for a in agents] == [name] and problems == []


def test_terminal_codes_and_bidi_controls_are_dropped_from_the_description(tmp_path):
    write(tmp_path, "agent.md", agent_file("docs", '"Writes\\u001b[31m docs\\u202e and \\u0007READMEs"'))
    [agent], problems = load_host_agents([tmp_path])
    assert problems == []
    assert agent.specialization.isprintable() and "\u202e" not in agent.specialization
    assert agent.specialization == "Writes [31m docs and READMEs"


def test_a_host_agent_replacing_a_built_in_one_is_kept_and_noted(tmp_path):
    path = write(tmp_path, "collide.md", agent_file("coder", "explains history of art"))
    write(tmp_path, "other.md", agent_file("art-helper"))

    agents, problems = load_host_agents([tmp_path], builtin_ids={"coder", "reviewer"})

    assert [a.id for a in agents] == ["coder", "art-helper"]
    assert problems == [f"{path}: host agent 'coder' replaces the built-in agent 'coder'"]


def test_the_core_pool_reports_the_replacement_and_uses_the_host_agent(settings, clock, tmp_path):
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    path = write(tmp_path, "collide.md", agent_file("coder", "explains history of art"))
    core = RouterCore.build(
        settings, clock=clock, classifier=KeywordClassifier(settings.providers), host_agent_dirs=[tmp_path]
    )
    assert core.pool.by_id("coder").source == str(path)
    assert len(core.agents) == len(settings.agents)
    assert f"{path}: host agent 'coder' replaces the built-in agent 'coder'" in core.agent_problems


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_a_fifo_named_like_an_agent_file_is_skipped_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    write(tmp_path, "a-good.md", DOCS_HELPER)
    agents, problems = without_waiting_on(fifo, lambda: load_host_agents([tmp_path]), "reading the agent files")
    assert [a.id for a in agents] == ["docs-helper"]
    assert problems == [f"{fifo}: not a regular file; skipped"]


def test_a_skipped_file_is_logged_once(settings, clock, tmp_path, caplog):
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    bad = write(tmp_path, "broken.md", "no front matter here\n")
    with caplog.at_level(logging.WARNING):
        RouterCore.build(
            settings, clock=clock, classifier=KeywordClassifier(settings.providers), host_agent_dirs=[tmp_path]
        )
    assert len([r for r in caplog.records if str(bad) in r.getMessage()]) == 1, caplog.text
