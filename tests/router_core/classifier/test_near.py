"""NearIndex finds exactly the fingerprints a comparison with every one of them finds."""

from __future__ import annotations

import math
import random

import pytest

from router_core.classifier.near import NearIndex, fingerprint


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b))


def brute(items, fp, t):
    return [(i, cosine(fp, b)) for i, b in enumerate(items) if cosine(fp, b) >= t]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.9, 1.0])
def test_the_search_is_exact_on_random_sets(threshold):
    rnd = random.Random(7)
    vocab = [f"f{i}" for i in range(60)]  # a small vocabulary: many overlaps, and some near the threshold
    items = [frozenset(rnd.sample(vocab, rnd.randint(1, 40))) for _ in range(400)]
    index = NearIndex()
    for fp in items:
        index.add(fp)
    for _ in range(300):
        query = frozenset(rnd.sample(vocab, rnd.randint(1, 40)))
        assert list(index.near(query, threshold)) == brute(items, query, threshold)
    for fp in items[:50]:  # every stored set finds itself
        assert (items.index(fp), 1.0) in list(index.near(fp, threshold))


def test_the_search_is_exact_on_task_fingerprints():
    texts = [f"{verb} the {thing} in the {place} module{suffix}" for verb in ("fix", "document", "refactor")
             for thing in ("login bug", "cache layer", "retry helper") for place in ("auth", "billing")
             for suffix in ("", " today", ", please")]
    items = [fingerprint(t) for t in texts]
    index = NearIndex()
    for fp in items:
        index.add(fp)
    for text in texts + ["fix the login bug in auth", "explain the cache layer"]:
        query = fingerprint(text)
        assert list(index.near(query, 0.7)) == brute(items, query, 0.7)


def test_an_empty_fingerprint_or_threshold_is_refused():
    with pytest.raises(ValueError):
        list(NearIndex().near(frozenset(), 0.7))
    with pytest.raises(ValueError):
        list(NearIndex().near(frozenset({"a"}), 0.0))


def test_an_index_of_the_latest_only_finds_each_fingerprint_at_its_last_position():
    rnd = random.Random(3)
    vocab = [f"f{i}" for i in range(30)]
    distinct = [frozenset(rnd.sample(vocab, rnd.randint(3, 20))) for _ in range(40)]
    added = [rnd.choice(distinct) for _ in range(400)]  # each added again and again
    index = NearIndex(latest_only=True)
    for fp in added:
        index.add(fp)
    last = {fp: i for i, fp in enumerate(added)}
    for query in distinct:
        expected = sorted((i, cosine(query, fp)) for fp, i in last.items() if cosine(query, fp) >= 0.5)
        assert list(index.near(query, 0.5)) == expected
