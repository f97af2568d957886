"""How long replaying stored routing corrections takes: a new process's start-up, and a refresh after a forget.

    python bench/learning_replay.py [--sizes 1000 10000] [--repeat 3] [--profile N]

Fills a temporary state database (the store's own table, as ``switchboard feedback`` writes it) with N
corrections drawn from ``data/corpus`` with a fixed seed: mostly confirmations and corrections of varied
texts, some repeated (a host confirming one routing again and again), some evaluation texts sent to a wrong
provider (most of which the guard rejects), and a few too short to learn from. Then, for each N:

- start-up: a fresh ``LearningClassifier`` built on the file (what every new server process does): with
  the guard run on every correction (``reuse_decisions=False``, the best of ``--repeat``), as the first
  process after an upgrade (the guard on everything, its decisions then saved), and as the next ones
  (adopting the saved decisions, the best of ``--repeat``);
- record: a fresh process records one more correction (the guard runs on it);
- forget: another process forgets one correction, and a running learner's ``refresh()`` (which a classify
  call would run, under the lock) replays the rest; each is checked against a full replay.

Run on a tree without saved decisions (before they were added), every start-up runs the guard.

The baseline, timed in the same run, is the same construction on an empty database (0 corrections), so
the ratios are comparable across machines. ``--profile N`` prints a cProfile of one start-up at N instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import inspect
import json
import pstats
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from router_core.classifier import near  # noqa: E402
from router_core.classifier.corrections import Correction, SqliteCorrectionStore  # noqa: E402
from router_core.classifier.learning import LearningClassifier  # noqa: E402
from router_core.classifier.trained import TrainedClassifier, load_eval  # noqa: E402

PROVIDERS = ("codex", "gemini", "claude")
CORPUS = ("generated.jsonl", "handwritten.jsonl", "heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl")


def corpus_items() -> list[dict]:
    items = []
    for name in CORPUS:
        path = ROOT / "data" / "corpus" / name
        items.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return items


def corrections(n: int, seed: int = 7) -> list[Correction]:
    """``n`` realistic corrections (see the module docstring), the same for a given seed."""
    rng = random.Random(seed)
    items, evals = corpus_items(), load_eval()
    out: list[Correction] = []
    for _ in range(n):
        roll = rng.random()
        if out and roll < 0.15:  # a repeat of an earlier one (the same routing confirmed again)
            out.append(rng.choice(out[-200:]))
        elif roll < 0.22:  # an evaluation text sent elsewhere: the guard rejects most
            it = rng.choice(evals)
            wrong = rng.choice([p for p in PROVIDERS if p != it["provider"]])
            out.append(Correction(it["text"], it["provider"], wrong))
        elif roll < 0.23:  # too short to learn from
            out.append(Correction(rng.choice(("refactor", "fix it", "docs")), "codex", "claude"))
        else:
            it = rng.choice(items)
            if roll < 0.70:  # a confirmation (the routing was right), typed or not
                out.append(Correction(it["text"], it["provider"], it["provider"],
                                      it["task_type"] if rng.random() < 0.5 else None))
            else:  # a correction from another provider to the labelled one
                routed = rng.choice([p for p in PROVIDERS if p != it["provider"]])
                out.append(Correction(it["text"], routed, it["provider"], it["task_type"]))
    return out


def fill(path: Path, rows: list[Correction]) -> None:
    SqliteCorrectionStore.at_path(path).read()  # the store creates its tables
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO classifier_corrections (created_at, text, routed_provider, correct_provider, task_type,"
            " holder) VALUES (?, ?, ?, ?, ?, 'bench')",
            [(1.0 + i, c.text, c.routed_provider, c.correct_provider, c.task_type) for i, c in enumerate(rows)],
        )
    conn.close()


def timed(fn) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


REUSE = "reuse_decisions" in inspect.signature(LearningClassifier).parameters  # False before saved decisions


def learner(base: TrainedClassifier, path: Path, *, reuse: bool = True, fresh: bool = True) -> LearningClassifier:
    """A learner on ``path``; ``fresh``: as a new process builds it (without the words' features cached)."""
    kwargs = {"reuse_decisions": False} if REUSE and not reuse else {}
    if fresh:
        near._word_features.cache_clear()
    return LearningClassifier(base, SqliteCorrectionStore.at_path(path), **kwargs)


def clear_saved(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'classifier_decisions'").fetchone():
            conn.execute("DELETE FROM classifier_decisions")
    conn.close()


def line(label: str, seconds: float, baseline: float) -> None:
    print(f"  {label:<52} {seconds * 1e3:9.1f} ms  ({seconds / baseline:8.1f}x baseline)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3, help="start-ups timed per size (the best is shown)")
    ap.add_argument("--profile", type=int, metavar="N", help="profile one start-up at N corrections instead")
    args = ap.parse_args(argv)

    base = TrainedClassifier.load()
    base.classify("warm up the model")
    with tempfile.TemporaryDirectory() as tmp:
        if args.profile:
            path = Path(tmp) / f"profile-{args.profile}.db"
            fill(path, corrections(args.profile))
            learner(base, path)  # saves the decisions: the profile is of the next process's start-up
            profiler = cProfile.Profile()
            profiler.enable()
            learner(base, path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            return 0

        empty = Path(tmp) / "empty.db"
        fill(empty, [])
        baseline = min(timed(lambda: learner(base, empty))[0] for _ in range(max(args.repeat, 5)))
        print(f"baseline: start-up with 0 corrections {baseline * 1e3:.2f} ms; saved decisions: {REUSE}")
        for n in args.sizes:
            path = Path(tmp) / f"n{n}.db"
            fill(path, corrections(n))
            full = min(timed(lambda p=path: learner(base, p, reuse=False))[0] for _ in range(args.repeat))
            first, running = timed(lambda p=path: learner(base, p))  # runs the guard on all, saves
            again = min(timed(lambda p=path: learner(base, p))[0] for _ in range(args.repeat))
            decisions = running.decisions()
            verdicts = Counter("repeat" if "already learned" in r.reason else "accepted" if r.accepted
                               else "too short" if "too short" in r.reason else "rejected by the guard"
                               for r in decisions.values())
            print(f"N={n}: {len(running._state.accepted)} learned; {dict(verdicts)}")
            line("start-up, the guard on every correction", full, baseline)
            line("start-up, first process (the guard, then saves)", first, baseline)
            line("start-up, next process (saved decisions)", again, baseline)

            # A fresh process records one more correction: the guard runs on it.
            recorder = learner(base, path)
            record, _ = timed(lambda r=recorder: r.record("tidy up the flaky retry loop in the upload worker",
                                                         "codex", "claude", "planning"))
            line("record one correction, in a fresh process", record, baseline)

            # Another process forgets a correction; a running learner's next refresh (under the lock, in a
            # classify call) replays the rest. First when the forgetting process has saved the decisions
            # after it (it replays as it forgets), then when the running one gets there before.
            accepted = [i for i, r in decisions.items() if r.accepted]
            for where, victim in (("the middle", accepted[len(accepted) // 2]), ("the end", accepted[-1])):
                running = learner(base, path)
                learner(base, path, fresh=False).forget([victim])
                refreshed, _ = timed(running.refresh)
                line(f"refresh after a forget in {where}, saved by the forgetter", refreshed, baseline)
                fresh = learner(base, path, reuse=False)
                assert fresh.decisions() == running.decisions(), "the full replay and the refreshed one disagree"
            running = learner(base, path)
            SqliteCorrectionStore.at_path(path).forget([accepted[len(accepted) // 3]])
            refreshed, _ = timed(running.refresh)
            line("refresh after a forget at 1/3, nothing saved after it", refreshed, baseline)
            assert learner(base, path, reuse=False).decisions() == running.decisions()
            if REUSE:
                clear_saved(path)
            running = learner(base, path)
            SqliteCorrectionStore.at_path(path).forget([accepted[len(accepted) // 4]])
            refreshed, _ = timed(running.refresh)
            line("refresh after a forget at 1/4, no saved decisions", refreshed, baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
