"""The marked section install writes into CLAUDE.md / AGENTS.md / GEMINI.md (design 13.3).

The section sits between START and END markers; installing again replaces it in place, uninstalling
removes it (and the blank line install put before it). The text is short on purpose: it costs context.
"""

from __future__ import annotations

from pathlib import Path

from server.install.core import HostFileError

START = "<!-- switchboard:start -->"
END = "<!-- switchboard:end -->"

GUIDANCE = """\
## Model selection: Switchboard

The `switchboard` MCP server routes subtasks across Codex, Gemini and Claude within live capacity and
today's budget.
- Before delegating a subtask, call `recommend_provider` (or `classify_task` to see its task type only).
- To run a subtask on the chosen provider and agent, call `dispatch_agent`; for several independent
  subtasks, call `run_batch` once instead, with `dry_run` false (by default it only plans).
- Before costly work, or when asked about spend, call `get_budget`; heed its alerts.
- If every provider is blocked, tell the user when capacity returns instead of retrying.
"""


def section_text(body: str = GUIDANCE) -> str:
    return f"{START}\n{body.rstrip()}\n{END}\n"


def _span(text: str, path: Path) -> tuple[int, int] | None:
    """Start and end offsets of the marked section (end includes its newline), None when absent."""
    start = text.find(START)
    end = text.find(END)
    if start == -1 and end == -1:
        return None
    if start == -1 or end == -1 or end < start:
        raise HostFileError(path, f"has an unmatched switchboard marker ({START} ... {END}); fix it by hand")
    if text.find(START, start + 1) != -1:
        raise HostFileError(path, f"has more than one {START} marker; fix it by hand")
    stop = end + len(END)
    if text.startswith("\n", stop):
        stop += 1
    return start, stop


def upsert_section(text: str | None, path: Path, body: str = GUIDANCE) -> str:
    """The text with our section replaced in place, or appended after a blank line."""
    section = section_text(body)
    if not text:
        return section
    span = _span(text, path)
    if span is not None:
        return text[: span[0]] + section + text[span[1] :]
    sep = "\n" if text.endswith("\n") else "\n\n"
    return text + sep + section


def remove_section(text: str | None, path: Path) -> str | None:
    """The text without our section; None (delete the file) when nothing else is left."""
    if text is None:
        return None
    span = _span(text, path)
    if span is None:
        return text
    before, after = text[: span[0]], text[span[1] :]
    if before.endswith("\n\n") and not after:
        before = before[:-1]  # the blank line upsert_section put before the section
    rest = before + after
    return rest if rest.strip() else None
