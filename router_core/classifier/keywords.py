"""The design's keyword classifier (section 2.1), kept as written.

Raw scores: +15 for each strong keyword that occurs in the lowercased text (plain
substring test, as in the design), +10 claude when the text has more than 100 words,
+5 codex when it has fewer than 10, +10 gemini and +5 claude when it is longer than 500
characters, and -10 for each weak keyword that occurs.

NORMALIZE, which the design leaves open, is done here as follows: negative raw scores
are clamped to 0, then each score becomes its share of the positive total, in whole
percent rounded half up (so scores sum to about 100). If every clamped score is 0, all
scores are 0. Rounding uses integer arithmetic, so the result is exact and deterministic.

Primary is the highest normalised score, ties going to the first of codex, gemini,
claude. The fallback chain lists the others by score, ties in the primary's
``fallback_order``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router_core.classifier.task_types import infer_task_type
from router_core.models import Classification
from router_core.settings import PROVIDER_NAMES, ProviderSettings

STRONG_POINTS = 15
WEAK_POINTS = -10
LONG_WORDS, LONG_WORDS_POINTS = 100, 10  # claude
SHORT_WORDS, SHORT_WORDS_POINTS = 10, 5  # codex
LONG_CHARS = 500
LONG_CHARS_POINTS = (("gemini", 10), ("claude", 5))


def raw_scores(providers: Sequence[ProviderSettings], text: str) -> tuple[dict[str, int], list[str]]:
    """The design's un-normalised scores and one reason per matched rule."""
    lower = text.lower()
    scores = {p.name: 0 for p in providers}
    reasons: list[str] = []

    def add(provider: str, points: int, why: str) -> None:
        if provider in scores:
            scores[provider] += points
            reasons.append(why)

    for p in providers:
        for kw in p.strong_keywords:
            if kw in lower:
                add(p.name, STRONG_POINTS, f"strong keyword '{kw}' (+{STRONG_POINTS} {p.name})")
    words = len(text.split())
    if words > LONG_WORDS:
        add("claude", LONG_WORDS_POINTS, f"{words} words > {LONG_WORDS} (+{LONG_WORDS_POINTS} claude)")
    if words < SHORT_WORDS:
        add("codex", SHORT_WORDS_POINTS, f"{words} words < {SHORT_WORDS} (+{SHORT_WORDS_POINTS} codex)")
    chars = len(text)
    if chars > LONG_CHARS:
        for name, points in LONG_CHARS_POINTS:
            add(name, points, f"{chars} chars > {LONG_CHARS} (+{points} {name})")
    for p in providers:
        for kw in p.weak_keywords:
            if kw in lower:
                add(p.name, WEAK_POINTS, f"weak keyword '{kw}' ({WEAK_POINTS} {p.name})")
    return scores, reasons


def normalize(scores: Mapping[str, int]) -> dict[str, int]:
    """Clamp negatives to 0, then express each score as a rounded share of 100."""
    clamped = {name: max(0, s) for name, s in scores.items()}
    total = sum(clamped.values())
    if total == 0:
        return dict.fromkeys(clamped, 0)
    # round(100 * s / total) with halves going up, in integers.
    return {name: (200 * s + total) // (2 * total) for name, s in clamped.items()}


def _tie_rank(name: str) -> int:
    return PROVIDER_NAMES.index(name) if name in PROVIDER_NAMES else len(PROVIDER_NAMES)


def rank(
    scores: Mapping[str, int], fallback_orders: Mapping[str, Sequence[str]]
) -> tuple[str, tuple[str, ...]]:
    """(primary, fallback chain) from normalised scores."""
    primary = min(scores, key=lambda n: (-scores[n], _tie_rank(n)))
    order = list(fallback_orders.get(primary, ()))

    def fallback_key(name: str) -> tuple[int, int, int]:
        pos = order.index(name) if name in order else len(order)
        return (-scores[name], pos, _tie_rank(name))

    return primary, tuple(sorted((n for n in scores if n != primary), key=fallback_key))


class KeywordClassifier:
    """Scores text for each provider with the design's keyword rules (section 2.1)."""

    name = "keywords"

    def __init__(self, providers: Sequence[ProviderSettings]) -> None:
        self._providers = tuple(providers)
        self._fallback_orders = {p.name: p.fallback_order for p in self._providers}

    def classify(self, text: str) -> Classification:
        raw, reasons = raw_scores(self._providers, text)
        scores = normalize(raw)
        primary, chain = rank(scores, self._fallback_orders)
        task_type, task_reason = infer_task_type(text.lower(), primary)
        if not reasons:
            reasons.append("no keyword or length rule matched")
        return Classification(
            primary_provider=primary,
            primary_score=scores[primary],
            fallback_chain=chain,
            all_scores=scores,
            task_type=task_type,
            reasons=(*reasons, task_reason),
            classifier=self.name,
        )
