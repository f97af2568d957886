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


def test_the_team_one_liners_keep_the_day_long_tool_timeout():
    # `gemini mcp add` without --timeout (and `codex mcp add`, which has no option for it) wrote entries without
    # the timeout that README's "Long tool calls" says each needs: a long run_batch was cancelled at 10 min / 300 s.
    text = " ".join(README.read_text(encoding="utf-8").split())
    gemini = text[text.index("or `gemini mcp add -t http"):]
    gemini = gemini[: gemini.index("`", len("or `"))]
    assert "--timeout 86400000" in gemini and "--trust" in gemini, gemini
    codex = text[text.index("`codex mcp add switchboard --url"):]
    assert "add `required = true` and `tool_timeout_sec = 86400`" in codex[:400], codex[:400]
