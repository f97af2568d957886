"""Classify the texts of a JSONL file N times, untimed, for counting the trained classifier's instructions a text.

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        .venv/bin/python bench/classifier_count.py FILE.jsonl --mode steady --passes 3

The machine's load does not move instruction counts, where it moves classifier_bench.py's timings by 2x and more.
Instructions a text are the difference of two runs over the texts classified in between (run with
``PYTHONHASHSEED=0``: string hashes move dict probes):
- steady (every text seen before): ``--passes 3`` minus ``--passes 1``, divided by twice the file's texts;
- first sight (each text's first call): ``--mode first --passes 1`` minus ``--passes 0``, divided by its texts.
Before them, the process classifies the shipped evaluation set's texts that are not in FILE, as a running server
has classified other tasks before; the cyclic GC is off, as in classifier_bench.py's timed loop.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router_core.classifier.trained import TrainedClassifier, load_eval  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--mode", choices=("steady", "first"), default="steady")
    parser.add_argument("--passes", type=int, default=1, help="passes over FILE after the first (steady) or in all")
    args = parser.parse_args()
    clf = TrainedClassifier.load()
    texts = [json.loads(line)["text"] for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    ours = set(texts)
    for item in load_eval():
        if item["text"] not in ours:
            clf.classify(item["text"])
    gc.collect()
    gc.disable()
    passes = args.passes + (1 if args.mode == "steady" else 0)  # steady: a first pass makes every text seen
    for _ in range(passes):
        for text in texts:
            clf.classify(text)
    print(f"{len(texts)} texts x {passes} passes", file=sys.stderr)


if __name__ == "__main__":
    main()
