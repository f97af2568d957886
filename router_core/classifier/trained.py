"""The trained classifier, Switchboard's default: a linear model over words and character n-grams.

It predicts one of the 14 task types; a provider's score is the summed probability of its task
types (x100, as an integer), the primary provider is the best-scored one and the task type is
the most probable type of that provider. Reasons name the features that pushed hardest towards
the chosen type, e.g. ``"'refactor' -> refactoring +2.31"``.

Empty or whitespace-only text carries no evidence: the result is the model's prior (its bias
alone), with a reason saying so. The tool layer rejects empty input before it gets here.

Weights are trained offline by ``scripts/train_classifier.py`` from ``data/corpus/`` (written to
``data/classifier_model.json.gz``, which is not shipped) and shipped packed, in
``router_core/data/classifier_model.bin``; loading them needs only the standard library.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
import mmap
import struct
from importlib.resources.abc import Traversable
from pathlib import Path

from router_core.classifier import TASK_TYPE_PROVIDER, lanes, packed
from router_core.classifier.model import LinearModel, Scored
from router_core.models import Classification
from router_core.settings import PROVIDER_NAMES

log = logging.getLogger(__name__)

PACKED_RESOURCE = "data/classifier_model.bin"  # the shipped weights, packed by scripts/pack_classifier.py
# The trainer's output the pack is made from, in a checkout only (relative to the repository root, not shipped).
SOURCE_FILE = "data/classifier_model.json.gz"
EVAL_RESOURCE = "data/classifier_eval.jsonl"
TOP_REASONS = 3
CLIPPED_AT = 60  # the longest label a reason shows whole


@functools.cache
def _load_shipped() -> LinearModel:
    package = importlib.resources.files("router_core")
    raw, source = _mapped(package.joinpath(PACKED_RESOURCE)), _checkout_source(package)
    # The packed file names the JSON it was packed from by CRC and length. Only a checkout has that JSON (it
    # is not shipped): there its length alone tells a retrained JSON from the one packed (reading it for the
    # CRC would cost milliseconds a start). The full check is a test (tests/router_core/classifier/test_packed.py).
    digest = packed.packed_source(raw) if raw is not None else ""
    if digest and (source is None or digest.endswith(f"-{source.stat().st_size}")):
        try:  # the map stays open while the model lives
            return LinearModel(packed.unpack(raw, share=True), digest=digest)
        except (ValueError, KeyError, TypeError, struct.error) as exc:
            problem = f"{PACKED_RESOURCE} cannot be read ({exc})"
    elif raw is None:
        problem = f"{PACKED_RESOURCE} is missing"
    elif not digest:
        problem = f"{PACKED_RESOURCE} is not packed weights of this version (an old format, or damaged)"
    else:
        problem = f"{PACKED_RESOURCE} is stale (packed from other weights than {SOURCE_FILE})"
    if source is None:
        raise RuntimeError(f"the classifier's weights cannot be loaded: {problem}; reinstall switchboard "
                           "(in a checkout: run scripts/train_classifier.py)")
    log.warning("%s: loading the JSON (slow); run scripts/pack_classifier.py", problem)
    model = LinearModel.from_file(source)
    log.debug("loaded classifier weights: %s", model.meta.get("trained_on", "?"))
    return model


def _checkout_source(package: Traversable) -> Path | None:
    """The trainer's JSON weights next to the package in a checkout (``data/``, not shipped), if there."""
    if not isinstance(package, Path):
        return None
    path = package.parent / SOURCE_FILE
    return path if path.is_file() else None


def _mapped(resource: Traversable) -> bytes | mmap.mmap | None:
    """A resource's bytes, None if it is missing: a read-only memory map when it is a plain file, whose
    pages every Switchboard process on the machine shares (~6 MB each would be a private copy)."""
    if not resource.is_file():
        return None
    if not isinstance(resource, Path) or resource.stat().st_size == 0:  # (an empty file cannot be mapped)
        return resource.read_bytes()
    with open(resource, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # the map outlives the descriptor


def shipped_eval_path() -> Path:
    """The held-out evaluation set shipped with the weights (used to guard learning)."""
    resource = importlib.resources.files("router_core").joinpath(EVAL_RESOURCE)
    return Path(str(resource))


def load_eval(path=None) -> list[dict]:
    return parse_eval((path or shipped_eval_path()).read_bytes())


def parse_eval(raw: bytes) -> list[dict]:
    return [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]


class TrainedClassifier:
    """Classify task text with the shipped (or a given) linear model."""

    name = "trained"

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self._provider_of = tuple(TASK_TYPE_PROVIDER[c] for c in model.classes)
        # Each provider's classes (their indexes, in class order): the candidates for its task type.
        self._classes_of = {p: tuple(i for i, prov in enumerate(self._provider_of) if prov == p) for p in PROVIDER_NAMES}

    @classmethod
    def load(cls, path: Path | None = None) -> TrainedClassifier:
        """The shipped weights (loaded once per process), or the weights file at ``path``."""
        return cls(_load_shipped() if path is None else LinearModel.from_file(path))

    def task_type_probabilities(self, text: str) -> dict[str, float]:
        scored = self.model.score(text)
        return dict(zip(self.model.classes, scored.probabilities, strict=True))

    def classify(self, text: str) -> Classification:
        scored = self.model.score(text)
        probabilities, provider_p = scored.probabilities, {}
        for provider, classes in self._classes_of.items():  # each provider's sum, its classes added in class order
            p = 0.0
            for i in classes:
                p += probabilities[i]
            provider_p[provider] = p
        return self.build(scored, provider_p)

    def build(
        self,
        scored: Scored,
        provider_p: dict[str, float],
        *,
        task_type: str | None = None,
    ) -> Classification:
        """The Classification for these provider probabilities (shared with the learning wrapper).

        ``task_type`` defaults to the most probable type of the best-scored provider."""
        # Best first; equal ones in PROVIDER_NAMES order (a stable sort keeps it, reversed or not).
        ranked = sorted(PROVIDER_NAMES, key=provider_p.__getitem__, reverse=True)
        primary = ranked[0]
        if task_type is None:  # the first of the most probable, as max() picks
            best = max(self._classes_of[primary], key=scored.probabilities.__getitem__)
        else:
            best = self.model.classes.index(task_type)
        task_type = self.model.classes[best]
        all_scores = {p: round(100 * provider_p[p]) for p in PROVIDER_NAMES}
        reasons = (
            f"task type {task_type} ({scored.probabilities[best]:.0%}), provider {primary} ({provider_p[primary]:.0%})",
            *self._top_features(scored, best),
        )
        return Classification(
            primary_provider=primary,
            primary_score=all_scores[primary],
            fallback_chain=tuple(ranked[1:]),
            all_scores=all_scores,
            task_type=task_type,
            reasons=reasons,
            classifier=self.name,
        )

    def _top_features(self, scored: Scored, cls: int) -> list[str]:
        if not scored.evidence:
            return ["no words to go on: the model's prior decided"]
        top = lanes.top_by_label(scored.evidence, cls, TOP_REASONS)
        name, scale, limit = self.model.classes[cls], scored.scale, CLIPPED_AT
        return [f"'{label if len(label) <= limit else _clipped(label)}' -> {name} {weight * scale:+.2f}"
                for label, weight in top if weight > 0]


def _clipped(label: str, limit: int = CLIPPED_AT) -> str:
    """A feature's label as a reason shows it: a 100 KB token is not repeated whole."""
    return label if len(label) <= limit else f"{label[: limit - 1]}…"
