"""README's Claude Code set-up shows the CLAUDE.md paragraph that `switchboard install` writes, word for word.

It showed another (recommend_provider, then "follow its provider"; no dispatch_agent): an assistant given that one
has no way to run a subtask on the provider it was told to follow.
"""

from __future__ import annotations

from pathlib import Path

from server.install.sections import GUIDANCE

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_shows_the_paragraph_install_writes():
    text = README.read_text(encoding="utf-8")
    assert f"```markdown\n{GUIDANCE}```\n" in text, "README.md: the CLAUDE.md example differs from install's GUIDANCE"


def test_the_paragraph_says_run_batch_runs_only_with_dry_run_false():
    # run_batch's dry_run defaults to true: "call run_batch once instead" of dispatch_agent got an assistant a plan.
    assert "`run_batch` once instead, with `dry_run` false" in GUIDANCE
