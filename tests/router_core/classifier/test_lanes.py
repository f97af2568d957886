"""Weight vectors as lane ints: sums are exact, chunked past capacity, and the model's lookup caches stay bounded."""

from __future__ import annotations

import heapq
import random
from operator import itemgetter

import pytest

from router_core.classifier import features as F
from router_core.classifier import lanes, packed
from router_core.classifier import model as model_module
from router_core.classifier.model import LinearModel
from router_core.classifier.trained import TrainedClassifier, load_eval


def vectors(n: int, width: int, seed: int = 1) -> list[list[float]]:
    rnd = random.Random(seed)
    return [[rnd.randint(-99_999, 99_999) / 1000 for _ in range(width)] for _ in range(n)]


def test_the_sum_of_encoded_vectors_is_the_exact_sum_of_their_weights():
    rows = vectors(300, 14) + [[-99.999] * 14, [99.999] * 14, [0.0] * 14]
    got = lanes.total([lanes.encode(v) for v in rows], 14)
    exact = [sum(round(1000 * v[j]) for v in rows) / 1000 for j in range(14)]
    assert got == exact  # exact, not approximately: no carry crossed a lane
    assert lanes.total([], 14) == [0.0] * 14


def test_past_capacity_the_sum_is_taken_in_chunks(monkeypatch):
    rows = vectors(10, 3, seed=2)
    whole = lanes.total([lanes.encode(v) for v in rows], 3)
    monkeypatch.setattr(lanes, "CAPACITY", 3)
    assert lanes.total([lanes.encode(v) for v in rows], 3) == whole


def test_a_sum_of_vectors_less_the_extra_offsets_is_one_vector():
    rows = vectors(30, 4, seed=3)
    merged = sum(lanes.encode(v) for v in rows) - (len(rows) - 1) * lanes.offsets(4)
    assert lanes.total([merged], 4) == lanes.total([lanes.encode(v) for v in rows], 4)


def test_weights_are_summed_per_label():
    rows = [("fix", lanes.encode([1.5, -2.0])), ("plan", lanes.encode([0.25, 3.0])), ("fix", lanes.encode([0.5, -1.0]))]
    assert lanes.by_label(rows, 0) == {"fix": 2.0, "plan": 0.25}
    assert lanes.by_label(rows, 1) == {"fix": -3.0, "plan": 3.0}


def test_the_top_labels_are_those_nlargest_takes_of_the_sums_ties_first_met_first():
    """The classifier's reasons come from top_by_label: the same labels, weights and order as
    heapq.nlargest over by_label's items."""
    rows = [(f"w{i % 17}", lanes.encode(v)) for i, v in enumerate(vectors(60, 3, seed=5))]
    rows += [("tie-a", lanes.encode([900.0, 0.0, 0.0])), ("tie-b", lanes.encode([900.0, 0.0, 0.0]))]
    for index in range(3):
        for n in (1, 3, 40):
            expected = heapq.nlargest(n, lanes.by_label(rows, index).items(), key=itemgetter(1))
            assert lanes.top_by_label(rows, index, n) == expected
    assert [label for label, _ in lanes.top_by_label(rows, 0, 2)] == ["tie-a", "tie-b"]


def test_weights_of_more_than_three_decimals_are_not_packed():
    with pytest.raises(ValueError, match="3 decimals"):
        packed.pack({"classes": ["a"], "bias": [0.0], "words": {"x": [0.0005]}})


def test_the_unseen_word_cache_stays_bounded_and_the_tables_keep_nothing_per_lookup(monkeypatch, base):
    texts = [it["text"] for it in load_eval()][:80]
    expected = [base.model.score(t).probabilities for t in texts]
    monkeypatch.setattr(model_module, "HOT_LIMIT", 40)
    small = TrainedClassifier(LinearModel({
        "classes": base.model.classes, "bias": base.model.bias,
        **{name: getattr(base.model, f"_{name}").source for name in ("words", "chars", "pairs", "first", "neg", "title",
                                                                     "markers")},
        # How the shipped weights are scored, as they say it (without these a word's n-grams would be counted anew).
        "rare": base.model._rare.source if base.model._rare is not None else {},
        "grams_of_unseen_only": base.model._grams_of_unseen_only,
        "pairs_of_known_words": base.model._pairs_of_known_words,
    }))
    assert [small.model.score(t).probabilities for t in texts] == expected
    for name in ("_words", "_chars", "_pairs"):  # indexed (the base's tables): looked up there, nothing kept per key
        table = getattr(small.model, name)
        assert table.source.index is not None and table.lookup == table.source.index.get
    assert 0 < len(small.model._unseen) <= 40


def test_a_long_never_seen_token_is_not_kept(base):
    # Every lookup was kept, a 150 KB token three times over (word, pair, n-gram sum): 0.5 MB a task.
    token = "ab" * 75_000
    base.classify(f"please decode {token} and explain")
    assert token not in base.model._unseen  # (the tables keep nothing per lookup)


def test_a_word_of_many_ngrams_is_summed_in_vectors_that_fit_their_lanes(monkeypatch):
    # One vector for all of a long word's n-grams took their sum less one offset per extra n-gram: with large
    # negative weights a lane went below zero and borrowed from the next class.
    zeros = [0.0] * 3
    size = max(F.CHAR_NGRAM_SIZES)
    model = LinearModel({"classes": ["a", "b", "c"], "bias": zeros, "words": {}, "pairs": {}, "first": {},
                         "markers": {}, "chars": {"0" * size: [-lanes.MAX_WEIGHT, lanes.MAX_WEIGHT, 1.0]}})
    text = "0" * 5000
    grams = len(text) - size + 1  # the "00000" n-grams of "<000...0>"
    rows, _ = model.evidence(text)
    assert lanes.total([vec for _, vec in rows], 3) == [-lanes.MAX_WEIGHT * grams, lanes.MAX_WEIGHT * grams,
                                                        float(grams)]
    assert {label for label, _ in rows} == {f"~{text}"}


@pytest.mark.parametrize("largest", [1, 5.831, 94.0, lanes.MAX_WEIGHT])
def test_as_many_vectors_as_the_merge_limit_sum_to_one_vector_in_range(largest):
    limit = lanes.merge_limit(round(1000 * largest))
    assert 1 <= limit <= lanes.CAPACITY
    rows = [[-largest, largest, 0.0]] * limit
    merged = sum(lanes.encode(v) for v in rows) - (limit - 1) * lanes.offsets(3)
    assert all(0 <= lane < lanes.LANE_RANGE for lane in lanes.row_format(3).unpack(merged.to_bytes(12, "little")))
    assert lanes.total([merged] * lanes.CAPACITY, 3) == [-largest * limit * lanes.CAPACITY,
                                                          largest * limit * lanes.CAPACITY, 0.0]


def test_the_logits_in_one_pass_are_the_bias_plus_the_scaled_total(monkeypatch):
    rows = [(f"w{i}", lanes.encode(v)) for i, v in enumerate(vectors(40, 5, seed=9))]
    bias, scale = [0.125, -3.5, 7.0, 0.0, 1e-3], F.scale(57)
    expected = [b + scale * s for b, s in zip(bias, lanes.total([v for _, v in rows], 5), strict=True)]
    assert lanes.logits(rows, bias, scale) == expected  # the same floats, not approximately
    assert lanes.logits([], bias, scale) == bias
    monkeypatch.setattr(lanes, "CAPACITY", 3)  # a huge text's rows: summed in chunks
    assert lanes.logits(rows, bias, scale) == expected
