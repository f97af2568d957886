"""Draw the seeded samples of the annotator-agreement study (see data/corpus/README.md, "Annotator agreement").

Writes the texts WITHOUT labels, shuffled together and numbered, to a scratch directory, plus a key
(number -> id) kept apart from them, so that a second annotator can label them blind:

    .venv/bin/python data/corpus/agreement/sample.py /tmp/scratch

The same seed always draws the same ids; `report.py` re-draws them and checks the labels file matches.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent
SEED = 20261129
REWRITTEN = tuple(f"heldout_issues_{w}.jsonl" for w in "ijklmnopqrstu")
FRESH = ("heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl")
SIZES = {"rewritten": 240, "fresh": 120}


def _ids(name: str) -> list[str]:
    with open(CORPUS / name, encoding="utf-8") as f:
        return [json.loads(line)["id"] for line in f if line.strip()]


def _stratified(files: tuple[str, ...], size: int, rng: random.Random) -> list[str]:
    """`size` ids spread over `files` in proportion to their lengths (largest remainder)."""
    ids = {name: _ids(name) for name in files}
    total = sum(len(v) for v in ids.values())
    quota = {name: size * len(v) / total for name, v in ids.items()}
    take = {name: int(q) for name, q in quota.items()}
    for name in sorted(quota, key=lambda n: (take[n] - quota[n], n))[: size - sum(take.values())]:
        take[name] += 1
    return [i for name in files for i in sorted(rng.sample(ids[name], take[name]))]


def draw() -> dict[str, list[str]]:
    """The sampled ids per group, in file order."""
    rng = random.Random(SEED)
    return {"rewritten": _stratified(REWRITTEN, SIZES["rewritten"], rng),
            "fresh": _stratified(FRESH, SIZES["fresh"], rng)}


def main(out: Path) -> None:
    texts = {}
    for name in REWRITTEN + FRESH:
        with open(CORPUS / name, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    item = json.loads(line)
                    texts[item["id"]] = item["text"]
    ids = [i for group in draw().values() for i in group]
    random.Random(SEED + 1).shuffle(ids)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "blind.txt", "w", encoding="utf-8") as f:
        for n, i in enumerate(ids, 1):
            f.write(f"#{n}\n{texts[i]}\n\n")
    with open(out / "key.json", "w", encoding="utf-8") as f:
        json.dump({n: i for n, i in enumerate(ids, 1)}, f)
    print(f"{len(ids)} texts written to {out / 'blind.txt'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sample.py SCRATCH_DIR (where the blind texts and the key are written)")
    main(Path(sys.argv[1]))
