"""The trained linear model's weights and its pure-Python scoring (no numpy at run time).

A multinomial logistic regression over the features of ``features.py``. The shipped file stores,
per class order ``classes``, one weight vector per feature, already combined for speed:

- ``words``: for each word seen in training, its word weight plus the weights of its character
  n-grams (a word's contribution is one lookup);
- ``chars``: character n-gram weights, used only for words never seen in training (typos, new
  compounds);
- ``pairs`` (word pairs), ``first`` (first word), ``markers`` (code block, stack trace).

Scoring sums the vectors of the text's features, scales by 1/sqrt(feature count), adds the bias
and applies softmax. ``Scored.evidence`` keeps each feature's vector so reasons can name what
decided.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

from router_core.classifier import features as F

Vector = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    probabilities: tuple[float, ...]  # per class, in ``LinearModel.classes`` order
    evidence: tuple[tuple[str, Vector], ...]  # (feature label, weight vector) before scaling
    scale: float


class LinearModel:
    """Weights loaded from the shipped JSON (optionally gzipped) file."""

    def __init__(self, data: dict) -> None:
        self.classes: tuple[str, ...] = tuple(data["classes"])
        self.bias: Vector = tuple(data["bias"])
        self.meta: dict = data.get("meta", {})
        self._words = {k: tuple(v) for k, v in data["words"].items()}
        self._chars = {k: tuple(v) for k, v in data["chars"].items()}
        self._pairs = {k: tuple(v) for k, v in data["pairs"].items()}
        self._first = {k: tuple(v) for k, v in data["first"].items()}
        self._markers = {k: tuple(v) for k, v in data["markers"].items()}

    @classmethod
    def from_file(cls, path: Path) -> LinearModel:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return cls(json.loads(raw))

    def evidence(self, text: str) -> tuple[list[tuple[str, Vector]], float]:
        """The text's weight vectors with a label each, and the 1/sqrt(n) scale."""
        toks = F.tokens(text)
        marks = F.markers(text)
        rows: list[tuple[str, Vector]] = []
        words, chars = self._words, self._chars
        for tok in toks:
            vec = words.get(tok)
            if vec is not None:
                rows.append((tok, vec))
                continue
            grams = [g for g in (chars.get(c[2:]) for c in F.char_ngrams(tok)) if g is not None]
            if grams:
                rows.append((f"~{tok}", tuple(map(sum, zip(*grams, strict=True)))))
        pairs = self._pairs
        for a, b in zip(toks, toks[1:], strict=False):
            vec = pairs.get(f"{a} {b}")
            if vec is not None:
                rows.append((f"{a} {b}", vec))
        if toks and (vec := self._first.get(toks[0])) is not None:
            rows.append((f"starts with {toks[0]}", vec))
        for mark in marks:
            if (vec := self._markers.get(mark[2:])) is not None:
                rows.append((mark[2:], vec))
        return rows, F.scale(F.feature_count(toks, len(marks)))

    def score(self, text: str) -> Scored:
        rows, scale = self.evidence(text)
        if rows:
            sums = map(sum, zip(*(vec for _, vec in rows), strict=True))
            logits = [b + scale * s for b, s in zip(self.bias, sums, strict=True)]
        else:
            logits = list(self.bias)
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return Scored(tuple(e / total for e in exps), tuple(rows), scale)
