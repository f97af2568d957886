"""Task classifiers: text in, a Classification out. Pure and in-process.

Two implementations sit behind one protocol: the design's keyword scorer
(``keywords``, section 2.1, kept unchanged) and the trained default (``trained``).
"""

from __future__ import annotations

from typing import Protocol

from router_core.models import Classification

# Which provider the design's specialisations give each task type.
TASK_TYPE_PROVIDER: dict[str, str] = {
    "code_generation": "codex",
    "code_review": "codex",
    "refactoring": "codex",
    "debugging": "codex",
    "testing": "codex",
    "performance_optimization": "codex",
    "analysis": "gemini",
    "research": "gemini",
    "documentation": "gemini",
    "explanation": "gemini",
    "architecture": "claude",
    "design": "claude",
    "planning": "claude",
    "multi_step": "claude",
}


class Classifier(Protocol):
    name: str

    def classify(self, text: str) -> Classification: ...
