"""Pack the trained weights (router_core/data/classifier_model.json.gz) into the fast-loading form.

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

from router_core.classifier import packed  # noqa: E402

SOURCE = ROOT / "router_core/data/classifier_model.json.gz"
TARGET = ROOT / "router_core/data/classifier_model.bin"


def main() -> None:
    source = SOURCE.read_bytes()
    data = json.loads(gzip.decompress(source))
    blob = packed.pack(data, source=packed.source_digest(source))
    partial = TARGET.with_suffix(".bin.partial")  # renamed into place: a running server never maps half a file
    partial.write_bytes(blob)
    partial.replace(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(blob):,} bytes from {len(source):,}")


if __name__ == "__main__":
    main()
