"""The training script's sample weights (scripts/train_classifier.py; runs without scikit-learn)."""

from __future__ import annotations

import collections
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def train():
    before = list(sys.path)
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return importlib.import_module("train_classifier")
    finally:
        sys.path[:] = before  # the script adds its own folders; leave the path as it was


def _items() -> list[dict]:
    spec = [
        ("code_generation", "codex", 6),
        ("debugging", "codex", 2),
        ("analysis", "gemini", 3),
        ("design", "claude", 1),
    ]
    items = []
    for task_type, provider, n in spec:
        for i in range(n):
            items.append({"id": f"h-{task_type}-{i}", "task_type": task_type, "provider": provider})
            items.append({"id": f"g-{task_type}-{i}", "task_type": task_type, "provider": provider})
    return items


def _totals(items, weights, key):
    totals: dict[str, float] = collections.defaultdict(float)
    for it, w in zip(items, weights, strict=True):
        totals[it[key]] += w
    return totals


def test_type_balance_gives_each_type_the_same_weight_within_its_provider(train):
    items = _items()
    weights = train.balanced_weights(items, hand_weight=16.0, type_balance=True)
    per_provider = _totals(items, weights, "provider")
    assert per_provider["gemini"] == pytest.approx(per_provider["codex"])
    assert per_provider["claude"] == pytest.approx(per_provider["codex"])
    per_type = _totals(items, weights, "task_type")
    assert per_type["code_generation"] == pytest.approx(per_type["debugging"])
    # The total weight is unchanged (C keeps its meaning), and hand-written items still outweigh
    # generated ones 16 to 1 inside a type.
    assert sum(weights) == pytest.approx(sum(train.balanced_weights(items, hand_weight=16.0)))
    assert weights[0] == pytest.approx(16 * weights[1])


def test_default_weights_balance_providers_only(train):
    items = _items()
    weights = train.balanced_weights(items, hand_weight=16.0)
    per_type = _totals(items, weights, "task_type")
    assert per_type["code_generation"] == pytest.approx(3 * per_type["debugging"])


class _Row(tuple):
    """A weight row as export() reads a numpy one (abs, max, iteration): the test runs without numpy, a training-only
    dependency the test command does not install."""

    def __abs__(self) -> _Row:
        return _Row(map(abs, self))

    def max(self) -> float:
        return max(self)


def test_export_ships_only_the_pair_marker_and_ngram_rows_seen_in_enough_texts(train):
    names = ["b|fix bug", "b|rare pair", "m|ask:fix", "m|ask:rare", "c|abcde", "c|bcdef", "f|fix"]
    vocab = {name: i for i, name in enumerate(names)}
    weights = [_Row((0.5, -0.5))] * len(names)
    counts = {"b|fix bug": 9, "b|rare pair": 5, "m|ask:fix": 8, "m|ask:rare": 7, "c|abcde": 5, "c|bcdef": 8, "f|fix": 5}
    model = train.export(vocab, weights, _Row((0.0, 0.0)), {}, 0.02, {}, counts, keep_count=8)
    assert list(model["pairs"]) == ["fix bug"] and list(model["markers"]) == ["ask:fix"]
    assert list(model["chars"]) == ["bcdef"] and list(model["first"]) == ["fix"]  # other tables: all fitted rows
    everything = train.export(vocab, weights, _Row((0.0, 0.0)), {}, 0.02, {}, counts, keep_count=0)
    assert [len(everything[t]) for t in ("pairs", "markers", "chars")] == [2, 2, 2]
