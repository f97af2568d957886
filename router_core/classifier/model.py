"""The trained linear model's weights and its pure-Python scoring (no numpy at run time).

A linear model over the features of ``features.py`` (a multinomial logistic regression blended
with a complement naive Bayes, see ``scripts/train_classifier.py``). The shipped file stores,
per class order ``classes``, one weight vector per feature, already combined for speed:

- ``words``: for each word seen in training, its word weight plus the weights of its character
  n-grams (a word's contribution is one lookup); with ``grams_of_unseen_only`` set, only the words
  seen in enough training texts, each its own weight alone, which had no n-gram features in training;
- ``chars``: character n-gram weights, used only for words without a row (typos, new compounds);
- ``pairs`` (word pairs), ``first`` (first word), ``neg`` (negated words), ``title`` (words of the
  first sentence), ``markers`` (code block, stack trace).

Scoring sums the vectors of the text's features (each encoded as one int by ``lanes.py``, so
the sum is one C-level operation), scales by 1/sqrt(feature count), adds the bias and applies
softmax. ``Scored.evidence`` keeps each feature's vector so reasons can name what decided.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from router_core.classifier import features as F
from router_core.classifier import lanes, packed

Vector = tuple[float, ...]
_MISSING = object()
# Words never seen in training kept with their n-grams' vectors before the cache starts afresh: bounds the memory
# a stream of never-seen words could take (a session's tasks fill a few thousand entries).
HOT_LIMIT = 1 << 16
UNSEEN_KEPT_CHARS = 64  # a longer word never seen in training is summed each time, not kept


class Scored(NamedTuple):  # (immutable, and built without a frozen dataclass's object.__setattr__ per field)
    probabilities: tuple[float, ...]  # per class, in ``LinearModel.classes`` order
    evidence: tuple[tuple[str, int], ...]  # (feature label, weight vector encoded by ``lanes``) before scaling
    scale: float


class _Table:
    """One weight table: ``lookup(key)`` is ``key``'s row encoded by ``lanes``, None if it has none.

    A packed table answers by binary search until it has built its index (``packed.INDEX_AFTER``), then
    ``lookup`` is that index's ``dict.get``: a key never looked up before costs what a known one does, and
    nothing is kept per lookup. A table given as a dict of lists (the JSON weights) is encoded whole at load."""

    __slots__ = ("lookup", "source", "largest")

    def __init__(self, rows: Any) -> None:
        self.source = rows  # a packed.Rows, or a dict of lists from the JSON file
        if isinstance(rows, packed.Rows):
            self.largest = rows.largest  # the largest weight of the table, in thousandths
            self.lookup: Callable[[str], int | None] = self._search if rows.index is None else rows.index.get
        else:
            self.largest = max((round(1000 * abs(w)) for row in rows.values() for w in row), default=0)
            self.lookup = {key: lanes.encode(vector) for key, vector in rows.items()}.get

    def _search(self, key: str) -> int | None:
        value = self.source.encoded(key)
        if (index := self.source.index) is not None:  # built: looked up there from now on
            self.lookup = index.get
        return value

    def vector(self, key: str) -> Vector | None:
        """``key``'s weights as floats (what the table stores), None if it has none."""
        found = self.source.vector(key) if isinstance(self.source, packed.Rows) else self.source.get(key)
        return None if found is None else tuple(found)


class LinearModel:
    """Weights loaded from the shipped JSON (optionally gzipped) file, or from its packed form."""

    def __init__(self, data: dict, *, digest: str | None = None) -> None:
        # What identifies these weights (packed.source_digest of the JSON file they came from), if known: the
        # learner trusts decisions saved by other processes only under the same weights.
        self.digest = digest
        self.classes: tuple[str, ...] = tuple(data["classes"])
        self.bias: Vector = tuple(data["bias"])
        self.meta: dict = data.get("meta", {})
        self._zero = lanes.offsets(len(self.classes))
        # Set by scripts/pack_classifier.py when every word pair of the table is made of words of the words
        # table or stopwords (true of the shipped weights): a pair with any other word is then not looked up.
        self._pairs_of_known_words = bool(data.get("pairs_of_known_words"))
        # Set by the trainer when only words without a row of their own had character n-grams (--common-words).
        self._grams_of_unseen_only = bool(data.get("grams_of_unseen_only"))
        self._rare = _Table(data["rare"]) if data.get("rare") else None
        self._unseen: dict[str, tuple[int, ...]] = {}  # words never seen in training -> their n-grams' vector
        self._words = _Table(data["words"])
        self._chars = _Table(data["chars"])
        self._merge_limit = lanes.merge_limit(self._chars.largest)  # n-grams summed into one vector (_unseen_word)
        self._pairs = _Table(data["pairs"])
        self._first = _Table(data["first"])
        self._neg = _Table(data.get("neg", {}))
        self._title = _Table(data.get("title", {}))
        self._markers = _Table(data["markers"])

    @classmethod
    def from_file(cls, path: Path) -> LinearModel:
        raw = path.read_bytes()
        if raw.startswith(packed.MAGIC):  # the packed form loads in milliseconds (see packed.py)
            return cls(packed.unpack(raw), digest=packed.packed_source(raw) or packed.source_digest(raw))
        if raw.startswith(packed.MAGIC[:4]):
            raise ValueError(f"{path}: packed weights of another format version: pack them again "
                             "(scripts/pack_classifier.py) or give the JSON weights")
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

    def evidence(self, text: str) -> tuple[list[tuple[str, int]], float]:
        """The text's weight vectors (encoded by ``lanes``) with a label each, and the 1/sqrt(n) scale.

        The same features as ``features.features`` (a test checks they agree), computed without
        building the feature strings of words seen in training. A word never seen in training
        counts the sum of its character n-grams' vectors, as one vector."""
        body = F.prose(text)
        toks = F.tokens(body)
        title_words = F.title_words(body) if toks else []  # (a text without words has no title either)
        marks = F.markers(text, body, toks, title_words)
        rows: list[tuple[str, int]] = []
        append = rows.append
        missing, unseen_hot = _MISSING, self._unseen.get
        words_get, pairs_get = self._words.lookup, self._pairs.lookup  # (a packed table's may change once indexed)
        stop, min_len, per_char, offset = F.STOPWORDS, F.MIN_CHARGRAM_WORD, len(F.CHAR_NGRAM_SIZES), F.GRAM_COUNT_OFFSET
        unseen_only = self._grams_of_unseen_only
        rare_get = self._rare.lookup if self._rare is not None else None
        n = len(marks)
        unknown: set[str] = set()  # words in neither the words table nor the stopwords
        for tok in toks:
            if tok in stop:
                continue
            size = len(tok)
            grams = size >= min_len and tok[0] < "\u3040"
            vec = words_get(tok)
            if vec is None and rare_get is not None and (vec := rare_get(tok)) is not None:
                n += 1 + (per_char * size + offset if grams else 0)
                append((tok, vec))
                continue
            n += 1 + (per_char * size + offset if grams and not (unseen_only and vec is not None) else 0)
            if vec is not None:
                append((tok, vec))
                continue
            unknown.add(tok)
            if grams:
                vecs = unseen_hot(tok, missing)
                if vecs is missing:
                    vecs = self._unseen_word(tok)
                if vecs:
                    label = f"~{tok}"
                    for vec in vecs:
                        append((label, vec))
        if not self._pairs_of_known_words:
            unknown.clear()
        prev = None
        for tok in toks:
            if prev is not None and prev[0] < "\u3040" and tok[0] < "\u3040":
                n += 1
                if prev in unknown or tok in unknown:  # no pair of the table holds such a word
                    prev = tok
                    continue
                key = f"{prev} {tok}"
                if (vec := pairs_get(key)) is not None:
                    append((key, vec))
            prev = tok
        if toks:
            n += 1
            if (vec := self._first.lookup(toks[0])) is not None:
                append((f"starts with {toks[0]}", vec))
            for word in F.negated(body, toks):
                n += 1
                if (vec := self._neg.lookup(word)) is not None:
                    append((f"not {word}", vec))
            title_get = self._title.lookup
            for word in title_words:
                n += 1
                if (vec := title_get(word)) is not None:
                    append((f"title: {word}", vec))
        if marks:
            markers_get = self._markers.lookup
            for mark in marks:
                label = mark[2:]
                if (vec := markers_get(label)) is not None:
                    append((label, vec))
        return rows, F.scale(n)

    def _unseen_word(self, tok: str) -> tuple[int, ...]:
        """The vectors of a word never seen in training: the sums of its character n-grams' vectors, one per
        ``lanes.merge_limit`` n-grams (one for any real word; a sum of more could leave a lane's range), kept
        like a table's rows when the word is short."""
        padded, size, limit, zero = f"<{tok}>", len(tok), self._merge_limit, self._zero
        grams = [padded[i : i + k] for k in F.CHAR_NGRAM_SIZES for i in range(size + 3 - k)]
        found = list(filter(None, map(self._chars.lookup, grams)))  # (an encoded row is never 0)
        # Each n-gram's vector carries one offset; a sum of them, one (the vectors of ``found`` in order, in chunks).
        if len(found) <= limit:  # (any real word)
            vecs = (sum(found) - (len(found) - 1) * zero,) if found else ()
        else:
            vecs = tuple(sum(found[i : i + limit]) - (min(limit, len(found) - i) - 1) * zero
                         for i in range(0, len(found), limit))
        if size <= UNSEEN_KEPT_CHARS:
            if len(self._unseen) >= HOT_LIMIT:
                self._unseen.clear()
            self._unseen[tok] = vecs
        return vecs

    def score(self, text: str) -> Scored:
        rows, scale = self.evidence(text)
        logits = lanes.logits(rows, self.bias, scale)
        top, exp = max(logits), math.exp
        exps = [exp(x - top) for x in logits]
        total = sum(exps)
        return Scored(tuple([e / total for e in exps]), tuple(rows), scale)
