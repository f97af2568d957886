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


REVIEWER = "---\nname: code-checker\ndescription: Reviews code for bugs.\n---\nYou review code.\n"


def test_a_directory_named_twice_is_read_once_without_duplicate_notes(tmp_path):
    # e.g. a project's .switchboard.toml with agents_dirs = [".claude/agents"], the directory the project's
    # agents are read from anyway: each agent was reported a duplicate of itself, "skipped", at every start.
    project_agents = tmp_path / "project" / ".claude" / "agents"
    write(project_agents, "code-checker.md", REVIEWER)
    (tmp_path / "link").symlink_to(tmp_path / "project")

    agents, problems = load_host_agents(
        [project_agents, tmp_path / "project" / ".claude" / ".." / ".claude" / "agents", tmp_path / "link/.claude/agents"]
    )

    assert [a.id for a in agents] == ["code-checker"]
    assert problems == []


def test_the_same_file_reached_twice_is_one_agent_without_a_note(tmp_path):
    shared = write(tmp_path / "shared", "code-checker.md", REVIEWER)
    (tmp_path / "home-agents").mkdir()
    (tmp_path / "home-agents" / "code-checker.md").symlink_to(shared)  # a dotfiles link to the same file

    agents, problems = load_host_agents([tmp_path / "shared", tmp_path / "home-agents"])

    assert [a.source for a in agents] == [str(shared)]
    assert problems == []


def test_two_different_files_with_one_name_are_still_reported(tmp_path):
    first = write(tmp_path / "project", "code-checker.md", REVIEWER)
    second = write(tmp_path / "home", "checker.md", REVIEWER.replace("bugs", "style"))

    agents, problems = load_host_agents([tmp_path / "project", tmp_path / "home"])

    assert [a.source for a in agents] == [str(first)]
    assert problems == [f"{second}: duplicate agent name 'code-checker' (already defined in {first}); skipped"]


def test_a_comment_after_a_quoted_value_is_a_comment(tmp_path):
    # YAML (so Claude Code) reads these; the agent was skipped as "malformed double-quoted string" or
    # "unclosed single-quoted string".
    write(tmp_path, "a.md", '---\nname: "code-checker"  # the team\'s\ndescription: \'Reviews code, it\'\'s quick\' # short\n'
                            'model: "sonnet" #\n---\nYou review code.\n')

    [agent], problems = load_host_agents([tmp_path])

    assert problems == []
    assert (agent.id, agent.specialization, agent.model) == ("code-checker", "Reviews code, it's quick", "sonnet")


def test_text_after_a_closing_quote_is_named_as_such(tmp_path):
    path = write(tmp_path, "a.md", '---\nname: x\ndescription: "Reviews" code\n---\nYou review code.\n')

    agents, problems = load_host_agents([tmp_path])

    assert agents == []
    assert problems == [f"{path}: `description` has text after its closing quote: 'code'; skipped"]


def test_a_directory_that_cannot_be_looked_at_is_a_problem_not_a_crash(tmp_path, monkeypatch):
    # e.g. agents_dirs naming a directory under another user's home (mode 700), or a stale network mount:
    # stat() fails with EACCES or ESTALE, which Path.exists() raises; the server then failed to start.
    locked = tmp_path / "other-user" / "agents"
    write(tmp_path / "mine", "code-checker.md", REVIEWER)
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self == locked or locked in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)

    agents, problems = load_host_agents([locked, tmp_path / "mine"])

    assert [a.id for a in agents] == ["code-checker"]
    assert problems == [f"{locked}: cannot be read (Permission denied); no agents read from it"]


def test_a_directory_of_far_more_files_than_agents_is_read_up_to_a_limit_and_said(tmp_path, monkeypatch):
    # agents_dirs = ["~"] read every *.md of the home tree (node_modules READMEs...) at each start, one problem a file.
    from router_core.agents import host_files

    monkeypatch.setattr(host_files, "MAX_AGENT_FILES", 5)
    for i in range(9):
        (tmp_path / f"pkg{i}").mkdir()
        (tmp_path / f"pkg{i}" / "README.md").write_text(f"# package {i}\n")
    agents, problems = load_host_agents([tmp_path])
    assert agents == []
    assert len(problems) == 6  # the line saying the rest was not read, and the 5 files read (none an agent)
    assert problems[0] == (f"{tmp_path}: more than 5 .md files under it (is agents_dirs naming the agents' own "
                            "directory?); the first 5 were read")


def test_a_directory_tree_too_large_to_walk_is_cut_short_and_said(tmp_path, monkeypatch):
    from router_core.agents import host_files

    monkeypatch.setattr(host_files, "MAX_WALKED_DIRS", 4)
    (tmp_path / "a-agent.md").write_text("---\nname: docs-helper\ndescription: Writes docs\n---\nYou write docs.\n")
    for i in range(6):
        (tmp_path / f"dir{i}").mkdir()
    agents, problems = load_host_agents([tmp_path])
    assert [a.id for a in agents] == ["docs-helper"]
    assert problems == [f"{tmp_path}: more than 4 directories under it (is agents_dirs naming the agents' own "
                        "directory?); only the first 4 were looked in"]


def test_a_problem_line_quoting_a_secret_from_an_agent_file_shows_it_redacted(tmp_path):
    # The problem line quotes the malformed line (in the log and in agents://pool): a key pasted there was shown.
    key = "sk-ant-api03-" + "A1b2C3d4E5f6G7h8" * 3
    (tmp_path / "bad.md").write_text(f"---\nname: helper\n{key}\n---\nYou help.\n")
    agents, problems = load_host_agents([tmp_path])
    assert agents == [] and len(problems) == 1
    assert key[:20] not in problems[0] and "[redacted]" in problems[0] and "line 3" in problems[0]
