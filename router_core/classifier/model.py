"""The trained linear model's weights and its pure-Python scoring (no numpy at run time).

A linear model over the features of ``features.py`` (a multinomial logistic regression blended
with a complement naive Bayes, see ``scripts/train_classifier.py``). The shipped file stores,
per class order ``classes``, one weight vector per feature, already combined for speed:

- ``words``: for each word seen in training, its word weight plus the weights of its character
  n-grams (a word's contribution is one lookup);
- ``chars``: character n-gram weights, used only for words never seen in training (typos, new
  compounds);
- ``pairs`` (word pairs), ``first`` (first word), ``neg`` (negated words), ``title`` (words of the
  first sentence), ``markers`` (code block, stack trace).

Scoring sums the vectors of the text's features, scales by 1/sqrt(feature count), adds the bias
and applies softmax. ``Scored.evidence`` keeps each feature's vector so reasons can name what
decided.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router_core.classifier import features as F
from router_core.classifier import packed

Vector = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    probabilities: tuple[float, ...]  # per class, in ``LinearModel.classes`` order
    evidence: tuple[tuple[str, Vector], ...]  # (feature label, weight vector) before scaling
    scale: float


def _table(rows: Any) -> Mapping[str, Vector]:
    return rows if isinstance(rows, packed.Rows) else {k: tuple(v) for k, v in rows.items()}


class LinearModel:
    """Weights loaded from the shipped JSON (optionally gzipped) file."""

    def __init__(self, data: dict, *, digest: str | None = None) -> None:
        # What identifies these weights (packed.source_digest of the JSON file they came from), if known: the
        # learner trusts decisions saved by other processes only under the same weights.
        self.digest = digest
        self.classes: tuple[str, ...] = tuple(data["classes"])
        self.bias: Vector = tuple(data["bias"])
        self.meta: dict = data.get("meta", {})
        self._words = _table(data["words"])
        self._chars = _table(data["chars"])
        self._pairs = _table(data["pairs"])
        self._first = _table(data["first"])
        self._neg = _table(data.get("neg", {}))
        self._title = _table(data.get("title", {}))
        self._markers = _table(data["markers"])

    @classmethod
    def from_file(cls, path: Path) -> LinearModel:
        raw = path.read_bytes()
        if raw.startswith(packed.MAGIC):  # the packed form loads in milliseconds (see packed.py)
            return cls(packed.unpack(raw), digest=packed.packed_source(raw) or packed.source_digest(raw))
        digest = packed.source_digest(raw)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        # Weights are rounded to 3 decimals, so a few tens of thousands of distinct values fill
        # millions of vector slots: sharing one float object per value saves most of the memory.
        shared: dict[str, float] = {}

        def parse_float(text: str) -> float:
            value = shared.get(text)
            if value is None:
                value = shared[text] = float(text)
            return value

        return cls(json.loads(raw, parse_float=parse_float), digest=digest)

    def evidence(self, text: str) -> tuple[list[tuple[str, Vector]], float]:
        """The text's weight vectors with a label each, and the 1/sqrt(n) scale.

        The same features as ``features.features`` (a test checks they agree), computed without
        building the feature strings of words seen in training."""
        body = F.prose(text)
        toks = F.tokens(body)
        marks = F.markers(text)
        rows: list[tuple[str, Vector]] = []
        append = rows.append
        words_get, chars_get, pairs_get = self._words.get, self._chars.get, self._pairs.get
        stop, sizes, min_len = F.STOPWORDS, F.CHAR_NGRAM_SIZES, F.MIN_CHARGRAM_WORD
        per_char, offset = len(sizes), F.GRAM_COUNT_OFFSET
        n = len(marks)
        for tok in toks:
            if tok in stop:
                continue
            latin = tok[0] < "\u3040"
            size = len(tok)
            n += 1 + (per_char * size + offset if latin and size >= min_len else 0)
            vec = words_get(tok)
            if vec is not None:
                append((tok, vec))
            elif latin and size >= min_len:
                padded = f"<{tok}>"
                grams = [
                    g for k in sizes for i in range(size + 3 - k) if (g := chars_get(padded[i : i + k])) is not None
                ]
                if grams:
                    append((f"~{tok}", tuple(map(sum, zip(*grams, strict=True)))))
        prev = None
        for tok in toks:
            if prev is not None and prev[0] < "\u3040" and tok[0] < "\u3040":
                n += 1
                if (vec := pairs_get(f"{prev} {tok}")) is not None:
                    append((f"{prev} {tok}", vec))
            prev = tok
        if toks:
            n += 1
            if (vec := self._first.get(toks[0])) is not None:
                append((f"starts with {toks[0]}", vec))
            for word in F.negated(body):
                n += 1
                if (vec := self._neg.get(word)) is not None:
                    append((f"not {word}", vec))
            for word in F.title_words(body):
                n += 1
                if (vec := self._title.get(word)) is not None:
                    append((f"title: {word}", vec))
        for mark in marks:
            if (vec := self._markers.get(mark[2:])) is not None:
                append((mark[2:], vec))
        return rows, F.scale(n)

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
