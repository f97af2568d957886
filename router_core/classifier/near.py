"""Fingerprints of texts (their words and character 3-5-grams), their similarity, and finding the stored
fingerprints near a text's without comparing it with every one of them.

Similarity is the cosine of two feature sets, |A & B| / sqrt(|A| |B|). For a threshold t, a stored B can
reach t only if t^2 |A| <= |B| <= |A| / t^2 and it shares at least k = ceil(t sqrt(|A| |B|)) >= ceil(t^2 |A|)
features with A. Then B holds at least one of any |A| - ceil(t^2 |A|) + 1 features of A (else the two share
fewer than k), so probing the index with that many of A's features, the rarest (shortest lists), finds
every candidate: the search is exact, and the common features (character n-grams most texts share),
which would make every stored text a candidate, are never probed. A candidate whose hits plus the features
not probed cannot reach k is dropped without comparing the sets.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import chain

from router_core.classifier import features as F


# ~1.1 KB a word: 8,192 words keep it near 9 MB a process (65,536 held ~75 MB once arbitrary prompts filled it).
@functools.lru_cache(maxsize=1 << 13)
def _word_features(word: str) -> tuple[str, ...]:
    return (f"w|{word}", *F.char_ngrams(word, F.FINGERPRINT_NGRAM_SIZES))


def fingerprint(text: str) -> frozenset[str]:
    """The words and character 3-5-grams of ``text`` (``features.features``' ``w|`` features and its ``c|`` ones
    with ``FINGERPRINT_NGRAM_SIZES``), as a set: built from the words directly, each word's features cached."""
    stop = F.STOPWORDS
    return frozenset(chain.from_iterable(map(_word_features, [t for t in F.tokens(F.prose(text)) if t not in stop])))


def words(fp: frozenset[str]) -> float:
    """How many words a fingerprint holds: a character of a script written without spaces (CJK runs, which
    tokens() splits into characters and pairs) counts half, about one word in two characters; a pair nothing."""
    return sum((0.5 if len(f) == 3 else 0.0) if F.is_cjk(f[2:]) else 1.0 for f in fp if f[0] == "w")


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The cosine, computed as ``NearIndex.near`` computes it (math.sqrt: ``** 0.5`` differs from it in the
    last bit for some products, and the guard compares the two to find which correction a text follows)."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))



class NearIndex:
    """Fingerprints (frozen feature sets) by position, with an inverted index over their features.

    ``latest_only``: a fingerprint added again replaces the one stored (its position is no longer found). For
    the learned corrections: one text corrected back and forth keeps one entry to compare, not one a flip (the
    later of equal similarities wins, so the earlier of two identical ones never could)."""

    def __init__(self, *, latest_only: bool = False) -> None:
        self.items: list[frozenset[str]] = []
        self._postings: defaultdict[str, list[int]] = defaultdict(list)  # read with .get: a miss adds nothing
        self._latest: dict[frozenset[str], int] | None = {} if latest_only else None

    def __len__(self) -> int:
        return len(self.items)

    def add(self, fingerprint: frozenset[str]) -> int:
        """Store ``fingerprint``; returns its position."""
        position = len(self.items)
        self.items.append(fingerprint)
        postings = self._postings
        for feature in fingerprint:  # a replay adds every accepted correction: setdefault took twice as long
            postings[feature].append(position)
        if self._latest is not None:
            replaced = self._latest.get(fingerprint)
            self._latest[fingerprint] = position
            if replaced is not None:  # after the new one is in: a search meanwhile finds one or both, same answer
                self.items[replaced] = frozenset()  # below any threshold's size: never a candidate
                for feature in fingerprint:  # each list is in position order
                    found = postings[feature]
                    del found[bisect.bisect_left(found, replaced)]
        return position

    def near(self, fingerprint: frozenset[str], threshold: float) -> Iterator[tuple[int, float]]:
        """(position, similarity) of every stored fingerprint at least ``threshold`` similar, in position order."""
        if not fingerprint or threshold <= 0:
            raise ValueError("near() needs a non-empty fingerprint and a positive threshold")
        size, t2 = len(fingerprint), threshold * threshold
        least_shared = math.ceil(t2 * size - 1e-9)
        # The features no stored fingerprint holds are the rarest of all (probed, they hit nothing); of the
        # rest, the rarest. Hits are counted by Counter over the chained lists, in C: a Python loop over
        # them was most of a classification once thousands of corrections were learned.
        lists = sorted(filter(None, map(self._postings.get, fingerprint)), key=len)
        probed = max(0, size - least_shared + 1 - (size - len(lists)))
        hits = Counter(chain.from_iterable(lists[:probed]))
        # A candidate shares at most its hits plus every feature not probed: drop those that cannot reach t.
        unprobed, low, high = len(lists) - probed, t2 * size - 1e-9, size / t2 + 1e-9
        items, sqrt = self.items, math.sqrt
        for i in sorted(i for i, n in hits.items()
                        if low <= len(items[i]) <= high and n + unprobed >= threshold * sqrt(size * len(items[i])) - 1e-9):
            stored = items[i]
            sim = len(fingerprint & stored) / sqrt(size * len(stored))
            if sim >= threshold:
                yield i, sim
