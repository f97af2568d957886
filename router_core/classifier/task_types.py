"""Infer one of the 14 task types from task text, consistent with the chosen provider.

A keyword table maps words to task types. Each entry is a regular-expression fragment
matched as a whole word (``\\b...\\b``), so "plan" does not fire inside "explanation" and
"add" does not fire inside "address". Entries are in priority order: when several types
match, the earlier one wins (so "Design system architecture" is ``architecture``, not
``design``).

Types that belong to the primary provider (``TASK_TYPE_PROVIDER``) are preferred; when no
matched type belongs to it, the provider's default type is used and the reason names what
the text suggested instead.
"""

from __future__ import annotations

import re

from router_core.classifier import TASK_TYPE_PROVIDER

# (task type, word patterns) in priority order.
TASK_TYPE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("multi_step", (r"migrat\w*", r"multi-step", r"end-to-end")),
    ("architecture", (r"architect\w*",)),
    ("code_review", (r"review\w*",)),
    ("refactoring", (r"refactor\w*",)),
    ("debugging", (r"fix\w*", r"debug\w*", r"bugs?", r"errors?", r"crash\w*")),
    ("testing", (r"test\w*",)),
    ("performance_optimization", (r"optimi[sz]\w*", r"performance", r"faster")),
    ("code_generation", (r"implement\w*", r"generat\w*", r"creat\w*", r"build\w*", r"add(?:s|ed|ing)?")),
    ("analysis", (r"analy[sz]\w*",)),
    ("research", (r"research\w*", r"compar\w*", r"investigat\w*")),
    ("documentation", (r"document\w*", r"docs", r"readme")),
    ("explanation", (r"explain\w*", r"explanations?", r"understand\w*", r"how does")),
    ("design", (r"design\w*",)),
    ("planning", (r"plan(?:s|ned|ning)?", r"roadmaps?", r"strateg\w*")),
)

DEFAULT_TASK_TYPE: dict[str, str] = {
    "codex": "code_generation",
    "gemini": "analysis",
    "claude": "architecture",
}

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (task_type, re.compile(r"\b(?:" + "|".join(words) + r")\b")) for task_type, words in TASK_TYPE_KEYWORDS
)


def matched_task_types(text_lower: str) -> list[tuple[str, str]]:
    """Every task type whose keywords occur, in priority order, with the first matching word."""
    found = []
    for task_type, pattern in _PATTERNS:
        match = pattern.search(text_lower)
        if match:
            found.append((task_type, match.group(0)))
    return found


def infer_task_type(text_lower: str, primary: str) -> tuple[str, str]:
    """Return ``(task_type, reason)`` for already-lowercased text routed to ``primary``."""
    matches = matched_task_types(text_lower)
    for task_type, word in matches:
        if TASK_TYPE_PROVIDER.get(task_type) == primary:
            return task_type, f"task type {task_type} ('{word}')"
    default = DEFAULT_TASK_TYPE.get(primary, "code_generation")
    if matches:
        task_type, word = matches[0]
        return default, f"task type {default} ({primary} default; '{word}' suggests {task_type})"
    return default, f"task type {default} ({primary} default; no task keyword)"
