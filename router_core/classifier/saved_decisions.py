"""Saved guard decisions: under which keys a process may adopt a decision another process's guard made.

Running the guard on every stored correction made a process's start-up (and the refresh after a forget) grow
with the store, 4-6 s at 10,000 corrections (``bench/learning_replay.py``). So each decision the guard makes is
saved in the store (``save_decisions``) with two keys: the digest of what decided it (``decision_digest``: the
weights, the evaluation set, the threshold, the providers' task types, the interpreter's Unicode tables and
the source of the modules that decide) and its history (``chained``: a hash chain over every stored correction
up to it: id, text, providers, type). A decision is a pure function of those two, so a process whose digest
and history for that correction are the same adopts the saved one instead of running the guard. Any other
saved decision is not trusted and the guard runs: under other weights, code or evaluation set (the digest),
after a correction before it was forgotten or changed (the history; those before the forgotten one keep
theirs, so a forget costs the guard only on the corrections after it), or on a reused id. Processes saving at
once write the same value for the same correction and history, so they cannot disagree, and a failed save
only costs the next process the guard.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from router_core.classifier import TASK_TYPE_PROVIDER
from router_core.classifier.corrections import Correction, StoredDecision
from router_core.settings import PROVIDER_NAMES

log = logging.getLogger(__name__)

# The modules whose code decides (with the classes of the learner and of its base): their source is in the digest.
DECIDING_MODULES = ("router_core.classifier", "router_core.classifier.features", "router_core.classifier.model",
                    "router_core.classifier.lanes", "router_core.classifier.packed", "router_core.classifier.trained", "router_core.classifier.near",
                    "router_core.classifier.corrections", "router_core.classifier.learning", __name__)


def sources_digest(names: Iterable[str]) -> str | None:
    """The source files of ``names``, hashed; None if one cannot be read (a zipped or frozen install)."""
    h = hashlib.blake2b(digest_size=16)
    for name in names:
        try:
            h.update(name.encode() + b"\n" + Path(sys.modules[name].__file__).read_bytes())
        except (KeyError, TypeError, OSError):
            log.info("not saving the guard's decisions: cannot read the source of %s", name)
            return None
    return h.hexdigest()


def decision_digest(
    *, weights: str | None, sources: str | None, threshold: float, min_words: int, evaluation: bytes | list[dict],
    extra_modules: Iterable[str] = (),
) -> str | None:
    """What decides, as a digest; None when the weights' origin is unknown or a deciding module's source
    could not be read (nothing is then saved). ``sources``: ``sources_digest(DECIDING_MODULES)`` as the
    learner read it when imported; ``evaluation``: the shipped set's bytes, or the items given."""
    extra = [m for m in extra_modules if m not in DECIDING_MODULES]
    sources = (sources, sources_digest(extra) if extra else "")
    if weights is None or None in sources:
        return None
    h = hashlib.blake2b(digest_size=16)
    # The interpreter too: tokens follow its Unicode tables (NFKC, \w), which change between versions.
    h.update(f"{weights}\n{threshold!r}\n{min_words}\n{TASK_TYPE_PROVIDER!r}\n{PROVIDER_NAMES!r}\n"
             f"{sys.version_info[:2]}\n{unicodedata.unidata_version}\n{sources}\n".encode())
    h.update(evaluation if isinstance(evaluation, bytes) else json.dumps(evaluation, sort_keys=True).encode())
    return h.hexdigest()


def chained(history: str, c: Correction) -> str:
    """The history after ``c``: a hash of the history before it and of what the guard reads of it (its id
    too: reasons name ids)."""
    seen = f"{history}\n{c.id!r}\n{c.text!r}\n{c.routed_provider!r}\n{c.correct_provider!r}\n{c.task_type!r}"
    return hashlib.blake2b(seen.encode("utf-8", "backslashreplace"), digest_size=16).hexdigest()


def well_formed(decision: StoredDecision, correction: Correction) -> bool:
    """A saved decision as the guard could have made it (a row another program wrote may hold anything)."""
    if not isinstance(decision.reason, str) or type(decision.accepted) is not bool:
        return False
    if not decision.accepted:
        return decision.task_type is None or isinstance(decision.task_type, str)
    return (isinstance(correction.text, str) and isinstance(decision.task_type, str)
            and TASK_TYPE_PROVIDER.get(decision.task_type) == correction.correct_provider)
