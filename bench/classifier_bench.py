"""Accuracy, confusion and per-task latency of a task classifier on a labelled JSONL file.

    python bench/classifier_bench.py FILE.jsonl [FILE.jsonl ...] [--classifier trained|keywords] [--repeat 20] [--errors]

Several files are measured as one set (e.g. ``data/corpus/heldout_issues_{i..u}.jsonl``). Each line needs "text", "provider" and (for task-type accuracy) "task_type". Latency is
measured in-process after a warm-up pass: every text is classified ``--repeat`` times and each
call timed on its own (cyclic GC paused, as timeit does); p50/p99 are over all calls. "First sight"
times each text's first classification, in a process warmed up on other texts only. A trivial baseline (``text.lower().split()``)
is timed the same way in the same run, so the ratio is comparable across machines.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVIDERS = ("codex", "gemini", "claude")


def make_classifier(name: str):
    if name == "trained":
        from router_core.classifier.trained import TrainedClassifier

        return TrainedClassifier.load()
    from config import load_settings
    from router_core.classifier.keywords import KeywordClassifier  # lands with the keyword helper's issue

    return KeywordClassifier(load_settings().providers)


def percentile(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6  # ns -> ms


def timings(fn, texts: list[str], repeat: int) -> list[int]:
    """Per-call times in ns; the cyclic GC is paused while timing, as timeit does."""
    for text in texts:
        fn(text)  # warm-up
    samples = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for text in texts:
                start = clock()
                fn(text)
                samples.append(clock() - start)
    finally:
        gc.enable()
    return samples


def first_sight(clf, texts: list[str], warm_files: list[Path]) -> tuple[list, list[int], int]:
    """Each text classified once, timed, in a process warmed up on other texts (the shipped evaluation set,
    or ``warm_files``): the model's tables are indexed and its cache of words never seen in training holds
    their words, not these texts' rare ones."""
    from router_core.classifier.trained import load_eval

    ours = set(texts)
    warming = load_eval() if not warm_files else [
        json.loads(line) for path in warm_files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    warm = [it["text"] for it in warming if it["text"] not in ours]
    for text in warm:
        clf.classify(text)
    results, samples, clock = [], [], time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for text in texts:
            start = clock()
            results.append(clf.classify(text))
            samples.append(clock() - start)
    finally:
        gc.enable()
    return results, samples, len(warm)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path, nargs="+", help="labelled JSONL; several are measured together")
    ap.add_argument("--classifier", choices=("trained", "keywords"), default="trained")
    ap.add_argument("--repeat", type=int, default=20, help="timed passes over the file")
    ap.add_argument("--errors", action="store_true", help="list the misclassified items")
    ap.add_argument("--warm-with", type=Path, nargs="*", default=[], metavar="JSONL",
                    help="warm the first-sight measure on these files' texts (default: the shipped evaluation set), "
                         "e.g. a day's worth of other tasks")
    args = ap.parse_args(argv)

    items = [json.loads(line) for path in args.file for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    clf = make_classifier(args.classifier)
    texts = [it["text"] for it in items]
    results, first_ns, warmed = first_sight(clf, texts, args.warm_with)
    n = len(items)
    prov_ok = sum(r.primary_provider == it["provider"] for r, it in zip(results, items, strict=True))
    typed = [(r, it) for r, it in zip(results, items, strict=True) if it.get("task_type")]
    tt_ok = sum(r.task_type == it["task_type"] for r, it in typed)
    print(f"file: {' '.join(map(str, args.file))}  items: {n}  classifier: {args.classifier}")
    print(f"primary-provider accuracy: {prov_ok}/{n} = {prov_ok / n:.2%}")  # 2 places: 151/159 is 94.97%, not "95.0%"
    if typed:
        print(f"task_type accuracy:        {tt_ok}/{len(typed)} = {tt_ok / len(typed):.2%}")

    confusion = Counter((it["provider"], r.primary_provider) for r, it in zip(results, items, strict=True))
    print("\nconfusion (rows: expected, columns: predicted)")
    print(f"{'':>8}" + "".join(f"{p:>8}" for p in PROVIDERS) + f"{'recall':>9}")
    for gold in PROVIDERS:
        row = [confusion[(gold, p)] for p in PROVIDERS]
        total = sum(row)
        recall = f"{row[PROVIDERS.index(gold)] / total:.1%}" if total else "-"
        print(f"{gold:>8}" + "".join(f"{c:>8}" for c in row) + f"{recall:>9}")

    clf_ns = timings(clf.classify, texts, args.repeat)
    base_ns = timings(lambda t: t.lower().split(), texts, args.repeat)
    p50, p99 = percentile(clf_ns, 0.50), percentile(clf_ns, 0.99)
    b50, b99 = percentile(base_ns, 0.50), percentile(base_ns, 0.99)
    print(f"\nlatency per task ({len(clf_ns)} timed calls after warm-up)")
    print(f"  {args.classifier:<10} p50 {p50:.4f} ms   p99 {p99:.4f} ms   max {max(clf_ns) / 1e6:.4f} ms")
    print(f"  {'baseline':<10} p50 {b50:.4f} ms   p99 {b99:.4f} ms   (text.lower().split())")
    print(f"  ratio      p50 {p50 / b50:.0f}x   p99 {p99 / b99:.0f}x")
    f50, f99 = percentile(first_ns, 0.50), percentile(first_ns, 0.99)
    print(f"  first sight p50 {f50:.4f} ms   p99 {f99:.4f} ms   (each text's first call, after warm-up on "
          f"{warmed} other texts: what a running server sees for a new task)")

    if args.errors:
        print("\nmisclassified:")
        for r, it in zip(results, items, strict=True):
            if r.primary_provider != it["provider"] or r.task_type != it.get("task_type", r.task_type):
                print(f"  {it.get('id', '?')}: expected {it['provider']}/{it.get('task_type')} got "
                      f"{r.primary_provider}/{r.task_type} {r.all_scores}  {it['text'][:110]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
