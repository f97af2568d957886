"""Pack the trained weights (data/classifier_model.json.gz) into the shipped, fast-loading form.

    .venv/bin/python scripts/pack_classifier.py

Run after every retrain (scripts/train_classifier.py); a test fails while the packed file is stale,
and the loader falls back to the (slow) JSON meanwhile.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router_core.classifier import features as F  # noqa: E402
from router_core.classifier import packed  # noqa: E402

SOURCE = ROOT / "data/classifier_model.json.gz"  # the trainer's output (not shipped)
TARGET = ROOT / "router_core/data/classifier_model.bin"


def pairs_of_known_words(data: dict) -> bool:
    """Whether every word pair of the weights is made of words of the words (or rare) table or stopwords: scoring then
    skips looking up the pairs of any other word (model.py): fewer first lookups for a text of typos or
    of another language."""
    known = set(data["words"]) | set(data.get("rare", {})) | F.STOPWORDS
    return all(not set(pair.split(" ")) - known for pair in data["pairs"])


def main() -> None:
    source = SOURCE.read_bytes()
    data = json.loads(gzip.decompress(source))
    data["pairs_of_known_words"] = pairs_of_known_words(data)
    blob = packed.pack(data, source=packed.source_digest(source))
    partial = TARGET.with_suffix(".bin.partial")  # renamed into place: a running server never maps half a file
    partial.write_bytes(blob)
    partial.replace(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(blob):,} bytes from {len(source):,}")


if __name__ == "__main__":
    main()
