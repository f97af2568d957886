"""Recompute the annotator-agreement figures (data/corpus/README.md, "Annotator agreement").

    .venv/bin/python data/corpus/agreement/report.py

Reads `labels.jsonl` (the second annotator's blind labels), the gold labels from the held-out files,
and the shipped classifier's predictions (the trained default as RouterCore builds it, on scrubbed text),
and prints agreement per group, accuracy on items marked clear and ambiguous, and the review of the
annotator/gold disagreements from `review.jsonl`.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent.parent))

import sample  # noqa: E402

from router_core.classifier import TASK_TYPE_PROVIDER  # noqa: E402
from router_core.classifier.trained import TrainedClassifier  # noqa: E402
from router_core.redact import scrubbed  # noqa: E402


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _gold() -> dict[str, dict]:
    return {item["id"]: item for name in sample.REWRITTEN + sample.FRESH for item in _jsonl(sample.CORPUS / name)}


def _kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return (observed - expected) / (1 - expected)


def _pct(hits: int, n: int) -> str:
    """hits/n, the percentage and its Wilson 95% interval."""
    if not n:
        return "-"
    p, z = hits / n, 1.96
    mid, half = (p + z * z / (2 * n)), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = (mid - half) / (1 + z * z / n), (mid + half) / (1 + z * z / n)
    return f"{hits}/{n} {100 * p:5.1f}% [{100 * lo:.0f}-{100 * hi:.0f}]"


class Item(NamedTuple):
    id: str
    clarity: str
    gold_seen: bool
    ann: str  # the second annotator's type
    gold: str
    model: str


def _share(items: list[Item], a: str, b: str) -> tuple[str, str]:
    """How often fields a and b agree on provider and on type."""
    prov = TASK_TYPE_PROVIDER.__getitem__
    return (_pct(sum(prov(getattr(i, a)) == prov(getattr(i, b)) for i in items), len(items)),
            _pct(sum(getattr(i, a) == getattr(i, b) for i in items), len(items)))


def _report(group: str, items: list[Item], review: dict[str, dict]) -> None:
    print(f"\n== {group}: {len(items)} items ==")
    print(f"{'pair':30} {'provider':>24} {'type':>24}")
    for name, a, b in (("annotator vs gold", "ann", "gold"), ("model vs gold", "model", "gold"),
                       ("model vs annotator", "model", "ann")):
        print(f"{name:30} {_share(items, a, b)[0]:>24} {_share(items, a, b)[1]:>24}")
    print(f"kappa on type: annotator/gold {_kappa([i.ann for i in items], [i.gold for i in items]):.3f}, "
          f"model/gold {_kappa([i.model for i in items], [i.gold for i in items]):.3f}")
    for clarity in ("clear", "ambiguous"):
        part = [i for i in items if i.clarity == clarity]
        for name, a in (("annotator vs gold", "ann"), ("model vs gold", "model")):
            p, t = _share(part, a, "gold")
            print(f"  {clarity:9} {name:18} {p:>24} {t:>24}")
    agreed = [i for i in items if i.ann == i.gold]
    split = [i for i in items if i.ann != i.gold]
    p, t = _share(agreed, "model", "gold")
    print(f"model vs gold where annotator = gold ({len(agreed)}): provider {p}, type {t}")
    if split:
        print(f"where annotator != gold ({len(split)}): model = gold {_share(split, 'model', 'gold')[1]}, "
              f"model = annotator {_share(split, 'model', 'ann')[1]}")
    prov = TASK_TYPE_PROVIDER.__getitem__
    same = [i for i in items if prov(i.ann) == prov(i.gold)]
    print(f"model vs gold where annotator = gold on provider ({len(same)}): provider {_share(same, 'model', 'gold')[0]}")
    either = sum(i.model in (i.gold, i.ann) for i in items)
    print(f"model = gold or = annotator (either label counted right): provider "
          f"{_pct(sum(prov(i.model) in (prov(i.gold), prov(i.ann)) for i in items), len(items))}, type {_pct(either, len(items))}")
    missed = [i for i in items if i.model != i.gold]
    print(f"model's type errors ({len(missed)}): on items marked clear {sum(i.clarity == 'clear' for i in missed)}, "
          f"ambiguous {sum(i.clarity == 'ambiguous' for i in missed)}; where annotator = gold "
          f"{sum(i.ann == i.gold for i in missed)}")
    unseen = [i for i in items if not i.gold_seen]
    if len(unseen) < len(items):
        print(f"without the {len(items) - len(unseen)} items whose gold the annotator saw before labelling: "
              f"annotator vs gold type {_share(unseen, 'ann', 'gold')[1]}")
    verdicts = Counter(review[i.id]["verdict"] for i in split if i.id in review)
    unreviewed = len(split) - sum(verdicts.values())
    print(f"disagreements reviewed: {dict(sorted(verdicts.items()))}" + (f"; {unreviewed} not reviewed" if unreviewed else ""))
    print(f"annotator = gold on type with the annotator's own errors counted as agreement: "
          f"{_pct(len(agreed) + verdicts['annotator_wrong'], len(items))}; gold wrong by the written rules: "
          f"{_pct(verdicts['gold_wrong'], len(items))}")
    pairs = Counter(tuple(sorted((i.ann, i.gold))) for i in split)
    print("type pairs disagreed on: " + ", ".join(f"{a}/{b} {n}" for (a, b), n in pairs.most_common()))


def main() -> None:
    labels = _jsonl(HERE / "labels.jsonl")
    drawn = sample.draw()
    for group, ids in drawn.items():
        if [row["id"] for row in labels if row["group"] == group] != ids:
            sys.exit(f"labels.jsonl does not hold the {group} sample sample.py draws; re-draw or fix the file")
    gold = _gold()
    model = TrainedClassifier.load()  # what RouterCore builds by default, before any correction is learned
    review = {row["id"]: row for row in _jsonl(HERE / "review.jsonl")}
    for group in drawn:
        items = [Item(row["id"], row["clarity"], bool(row.get("gold_seen")), row["task_type"],
                      gold[row["id"]]["task_type"], model.classify(scrubbed(gold[row["id"]]["text"], "")).task_type)
                 for row in labels if row["group"] == group]
        _report(group, items, review)


if __name__ == "__main__":
    main()
