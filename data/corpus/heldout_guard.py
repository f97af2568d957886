"""Keep the held-out sets unseen: spot training texts that are near-paraphrases of a held-out item.

Two texts are near-paraphrases when the cosine similarity of their fingerprints (words and
character 3-5-grams, as ``router_core.classifier.learning.fingerprint``) is at least
``THRESHOLD``. ``compose.py`` skips such generated items; a test checks the whole training corpus.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from corpus_files import HELDOUT_FILES  # noqa: E402

from router_core.classifier.near import NearIndex, fingerprint  # noqa: E402

THRESHOLD = 0.7


def heldout_texts(corpus: Path = HERE) -> list[str]:
    return [
        json.loads(line)["text"]
        for name in HELDOUT_FILES
        for line in (corpus / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


class HeldoutGuard:
    """Finds the held-out text a training text is too close to, if any."""

    def __init__(self, texts: list[str], threshold: float = THRESHOLD) -> None:
        self.texts = texts
        self.threshold = threshold
        self._index = NearIndex()  # exact, and probes only a text's rarest features (near.py)
        for text in texts:
            self._index.add(fingerprint(text))

    def near(self, text: str) -> str | None:
        fp = fingerprint(text)
        if not fp:
            return None
        for i, _ in self._index.near(fp, self.threshold):
            return self.texts[i]
        return None
