"""Held-out totals of a weights file, clean and with typos injected (the issue wants typos handled).

    .venv/bin/python data/corpus/typo_check.py [WEIGHTS] [--seed 7]

In each held-out text, 20% of the words of 4+ letters (seeded) get one typo: two adjacent letters
swapped or one letter dropped. Prints type / provider items right per group, as the trainer does.
Without WEIGHTS: the shipped weights.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import train_classifier as T  # noqa: E402

from router_core.classifier.trained import TrainedClassifier  # noqa: E402

WORD = re.compile(r"[^\W\d_]{4,}")
RATE = 0.2


def with_typos(text: str, rng: random.Random) -> str:
    def one(match: re.Match) -> str:
        word = match.group(0)
        if rng.random() >= RATE:
            return word
        i = rng.randrange(len(word) - 1)
        if rng.random() < 0.5:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i + 1 :]

    return WORD.sub(one, text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", type=Path, nargs="?")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    clf = TrainedClassifier.load(args.weights)
    totals = collections.defaultdict(lambda: [0] * 5)
    for name in T.HELDOUT_FILES:
        rng = random.Random(f"{args.seed}-{name}")
        t = totals["rewritten" if name in T.REWRITTEN_FILES else "fresh"]
        for it in T.read_jsonl(T.CORPUS / name):
            clean, typos = clf.classify(it["text"]), clf.classify(with_typos(it["text"], rng))
            t[0] += clean.task_type == it["task_type"]
            t[1] += clean.primary_provider == it["provider"]
            t[2] += typos.task_type == it["task_type"]
            t[3] += typos.primary_provider == it["provider"]
            t[4] += 1
    for group, (tt, pv, ttt, tpv, n) in totals.items():
        print(f"{group} ({n} items): clean type / provider {tt} / {pv}; with typos (seed {args.seed}) {ttt} / {tpv}")


if __name__ == "__main__":
    main()
