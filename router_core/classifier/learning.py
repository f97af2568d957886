"""Self-learning (design Phase 4): recorded corrections override the trained model, guarded.

A correction applies to its own text and to near paraphrases: a text whose fingerprint (its words and
character 3-5-grams) has cosine similarity >= ``threshold`` with a correction's text is routed as the most
similar correction says, and the reasons name that correction.

Guard: corrections are replayed in store order (so every process reaches the same decisions). Each is accepted
only if, with it added, accuracy on the evaluation set (the held-out split shipped with the weights) does not
drop, for providers nor for task types; otherwise it stays stored but is rejected, with a reason.
``refresh()`` (called by ``record``, and by ``classify`` every ``refresh_seconds``) picks up corrections other
processes stored; when the store's generation has changed (a correction was forgotten, by any process) it
replays every stored correction afresh instead, into a new state that replaces the old one whole, so every
process again reaches the same decisions (a correction rejected before may be accepted once one it conflicted
with is gone).

Saved decisions (``saved_decisions.py``): each decision the guard makes is saved in the store, keyed by a
digest of what decides and by the history of the corrections up to it; a process with the same keys adopts it
instead of running the guard: an accepted correction is only fingerprinted and indexed (the guard's per-
evaluation-text bests are rebuilt from the accepted ones when the guard next runs), a rejected one costs
nothing. Only start-up, ``record`` and ``forget`` save: a save waits for the write lock, never in a classify
call. A learner with ``reuse_decisions=False`` (or a store without decisions, or weights of unknown origin)
runs the guard on everything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from router_core.classifier import TASK_TYPE_PROVIDER, saved_decisions
from router_core.classifier.corrections import Correction, CorrectionStore, StoredCorrections, StoredDecision
from router_core.classifier.near import NearIndex, fingerprint, similarity, words
from router_core.classifier.reviews import Forgotten, LearnResult, Reviewed
from router_core.classifier.trained import TrainedClassifier, parse_eval, shipped_eval_path
from router_core.errors import RouterError
from router_core.models import Classification
from router_core.redact import REDACTED
from router_core.settings import PROVIDER_NAMES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Learned:
    correction: Correction
    task_type: str
    fingerprint: frozenset[str]


@dataclass(slots=True)
class _Replay:
    """What replaying the store up to ``last_id`` of ``generation`` learned; replaced whole on a new generation."""

    generation: int | None = None
    last_id: int = 0
    history: str = ""  # the hash chain of the corrections replayed (see _chained)
    reviewed: dict[int, Reviewed] = field(default_factory=dict)
    accepted: list[_Learned] = field(default_factory=list)
    near: NearIndex = field(default_factory=lambda: NearIndex(latest_only=True))  # accepted fingerprints, by position
    latest_with: dict[frozenset[str], _Learned] = field(default_factory=dict)  # the latest accepted, by fingerprint
    eval_best: list[tuple[float, _Learned | None]] | None = None  # each evaluation text's best match, built on need
    eval_applied: int = 0  # how many of ``accepted`` eval_best has taken in (adopted ones wait for the guard)
    fingerprints: dict[str, frozenset[str]] = field(default_factory=dict)  # by correction text


REFRESH_SECONDS = 5.0  # how stale a process's corrections may be: classify refreshes them at most this often
MIN_WORDS = 2  # a correction of one word would reroute every short text that holds it


# Read when this module is imported, its deciding modules with it: the code that runs, not what an upgrade in
# place may have put on disk since (a later read could tie this process's decisions to new code).
_RUNNING_SOURCES = saved_decisions.sources_digest(saved_decisions.DECIDING_MODULES)


class LearningClassifier:
    """The trained classifier plus the accepted corrections from ``store``."""

    name = "trained"

    def __init__(
        self,
        base: TrainedClassifier,
        store: CorrectionStore,
        *,
        eval_items: list[dict] | None = None,
        threshold: float = 0.7,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        reuse_decisions: bool = True,
    ) -> None:
        self.base = base
        self.store = store
        self.threshold = threshold
        self._reuse = reuse_decisions and callable(getattr(store, "read_decisions", None))
        self._digest: str | None = None  # of what decides, computed on first need (see decision_digest)
        self._eval_bytes: bytes | None = None
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._state = _Replay()  # read once by each classify: a replay swaps in a new one whole
        self._last_refresh = float("-inf")
        self._eval_items = eval_items
        self._eval_cache: list[tuple[frozenset[str], str, str, Classification]] | None = None
        self._eval_near: NearIndex | None = None
        self.refresh()

    @property
    def _eval(self) -> list[tuple[frozenset[str], str, str, Classification]]:
        """The guard's evaluation set with the base model's answers, built on first need (not at start-up:
        most processes never see a correction)."""
        if self._eval_cache is None:
            items = parse_eval(self._eval_source()) if self._eval_items is None else self._eval_items
            self._eval_cache = [
                (fingerprint(it["text"]), it["provider"], it["task_type"], self.base.classify(it["text"]))
                for it in items
            ]
        return self._eval_cache

    @property
    def _eval_index(self) -> NearIndex:
        if self._eval_near is None:
            self._eval_near = NearIndex()
            for fp, *_ in self._eval:
                self._eval_near.add(fp)
        return self._eval_near

    def _eval_best(self, state: _Replay) -> list[tuple[float, _Learned | None]]:
        """Each evaluation text's best match among the accepted corrections (similarity, correction), brought up
        to date with those adopted since (as the guard would have left it: _eval_changes and _accept)."""
        if state.eval_best is None:
            state.eval_best = [(0.0, None)] * len(self._eval)
        best, applied, accepted = state.eval_best, state.eval_applied, state.accepted
        if applied + len(best) < len(accepted):  # many: look up each evaluation text among them (the same pairs)
            for i, (fp, *_) in enumerate(self._eval):
                for position, sim in state.near.near(fp, self.threshold) if fp else ():
                    if position >= applied and sim >= best[i][0]:
                        best[i] = (similarity(fp, accepted[position].fingerprint), accepted[position])
        else:
            for learned in accepted[applied:]:
                for i, sim in self._eval_index.near(learned.fingerprint, self.threshold):
                    if sim >= best[i][0]:
                        best[i] = (similarity(self._eval[i][0], learned.fingerprint), learned)
        state.eval_applied = len(accepted)
        return best

    def decision_digest(self) -> str | None:
        """What decides, as a digest (see ``saved_decisions.decision_digest``): saved decisions are trusted
        only under the same one; None when nothing can be saved."""
        if self._digest is None:
            self._digest = saved_decisions.decision_digest(
                weights=getattr(getattr(self.base, "model", None), "digest", None), sources=_RUNNING_SOURCES,
                threshold=self.threshold, min_words=MIN_WORDS,
                evaluation=self._eval_source() if self._eval_items is None else self._eval_items,
                extra_modules=(type(self).__module__, type(self.base).__module__),
            )
        return self._digest

    def _eval_source(self) -> bytes:
        """The shipped evaluation set's bytes, read once: the digest and the guard use the same ones."""
        if self._eval_bytes is None:
            self._eval_bytes = shipped_eval_path().read_bytes()
        return self._eval_bytes

    # -- public API ----------------------------------------------------------------------------

    def classify(self, text: str) -> Classification:
        if self._clock() - self._last_refresh >= self._refresh_seconds:
            try:
                self.refresh(save=False)  # a save waits for the write lock: never in a classify call
            except RouterError as exc:  # the store locked or unreadable: route by what was learned so far
                log.warning("could not read new corrections, classifying with those learned so far: %s", exc)
        state = self._state
        if not state.accepted:  # nothing learned yet: no need to fingerprint the text
            return self.base.classify(text)
        fp = fingerprint(text.replace(REDACTED, ""))  # as a correction's text is (_fingerprint)
        if not fp:
            return self.base.classify(text)
        sim, match = self._best_match(state, fp)
        if match is None:
            return self.base.classify(text)
        return self._override(text, sim, match)

    def record(self, text: str, routed_provider: str, correct_provider: str, task_type: str | None = None) -> LearnResult:
        """Store a correction (or a confirmation, when the routing was right) and learn from it if safe."""
        correction = Correction(text, routed_provider, correct_provider, task_type)
        correction.validate()
        new_id = self.store.add(correction)
        self.refresh()
        reviewed = self._state.reviewed.get(new_id)
        if reviewed is None:  # another process forgot it between the two
            return LearnResult(False, f"forgotten: correction #{new_id} was removed as it was stored", new_id)
        return reviewed.result

    def forget(self, ids: Iterable[int]) -> Forgotten:
        """Remove stored corrections (UnknownCorrection names ids not stored); every process replays without them."""
        self.refresh()
        before, applied = self.decisions(), {learned.correction.id for learned in self._state.accepted}
        removed = self.store.forget(ids)
        self.refresh()
        after, applying = self.decisions(), {learned.correction.id for learned in self._state.accepted}
        # Changed: accepted or rejected now, or learned now where it was a repeat (of a forgotten one) or back
        changed = tuple(r for i, r in after.items() if i in before and (
            before[i].accepted != r.accepted or (i in applied) != (i in applying)))
        return Forgotten(removed, changed)

    def refresh(self, *, save: bool = True) -> None:
        """Replay corrections stored since the last refresh (by any process), in id order; all of them afresh
        when the store's generation changed. Decisions saved under this learner's digest and the same history
        are adopted; those the guard makes are saved for the other processes."""
        with self._lock:
            self._last_refresh = self._clock()
            state = previous = self._state
            stored = self.store.read(state.last_id)
            if stored.generation != state.generation:
                if state.last_id:
                    stored = self.store.read(0)
                state = _Replay(stored.generation)
            made = self._replay(state, stored, self._saved(state.last_id) if stored.corrections else {}, previous)
            self._state = state
        if made and save:
            self._save(made)

    def _saved(self, after_id: int) -> dict[int, StoredDecision]:
        digest = self.decision_digest() if self._reuse else None
        if digest is None:
            return {}
        try:
            return self.store.read_decisions(digest, after_id)
        except Exception:  # noqa: BLE001 - only an optimisation: the guard decides instead
            log.warning("could not read the saved decisions on corrections: replaying the guard", exc_info=True)
            return {}

    def _save(self, made: list[StoredDecision]) -> None:
        digest = self.decision_digest() if self._reuse else None
        if digest is None:
            return
        try:
            self.store.save_decisions(digest, made)
        except Exception:  # noqa: BLE001 - only an optimisation: the next process runs the guard instead
            log.warning("could not save the guard's decisions on %d corrections", len(made), exc_info=True)

    def corrections(self) -> list[Reviewed]:
        """Every stored correction, oldest first, with the guard's decision on it."""
        self.refresh()
        return list(self._state.reviewed.values())

    def decisions(self) -> dict[int, LearnResult]:
        """Every correction seen so far, by id, with whether it was accepted and why."""
        return {i: r.result for i, r in self._state.reviewed.items()}

    def _replay(self, state: _Replay, stored: StoredCorrections, saved: dict[int, StoredDecision],
                previous: _Replay) -> list[StoredDecision]:
        """Take in ``stored`` after ``state``: adopt each saved decision made after the same history, run the
        guard on the rest; return the decisions the guard made."""
        made = []
        for correction in stored.corrections:
            state.history = saved_decisions.chained(state.history, correction)
            decision = saved.get(correction.id)
            trusted = decision is not None and decision.history == state.history
            if trusted and saved_decisions.well_formed(decision, correction):
                result = self._adopt(state, correction, decision, previous)
            else:
                result = self._consider(state, correction, previous)
                if self._reuse:
                    made.append(StoredDecision(correction.id, state.history, result.accepted, result.reason,
                                               result.task_type))
            state.reviewed[correction.id] = Reviewed(correction, result)
            state.last_id = correction.id
        return made

    def _adopt(self, state: _Replay, correction: Correction, decision: StoredDecision, previous: _Replay) -> LearnResult:
        """What ``_consider`` returns and leaves in ``state`` when it reaches ``decision``, without the guard."""
        result = LearnResult(decision.accepted, decision.reason, correction.id, decision.task_type)
        if decision.accepted:
            learned = _Learned(correction, decision.task_type, self._fingerprint(state, correction.text, previous))
            same = state.latest_with.get(learned.fingerprint)
            if same is None or (same.correction.correct_provider, same.task_type) != (
                correction.correct_provider, decision.task_type
            ):  # not a repeat: the guard accepted it and _accept indexed it
                state.accepted.append(learned)
                state.near.add(learned.fingerprint)
                state.latest_with[learned.fingerprint] = learned
        return result

    @staticmethod
    def _fingerprint(state: _Replay, text: str, previous: _Replay) -> frozenset[str]:
        fp = state.fingerprints.get(text) or previous.fingerprints.get(text)
        if fp is None:  # as classify sees the task: the marker the store keeps in place of a credential dropped
            fp = fingerprint(text.replace(REDACTED, ""))
        state.fingerprints[text] = fp
        return fp

    # -- matching ------------------------------------------------------------------------------

    def _best_match(self, state: _Replay, fp: frozenset[str]) -> tuple[float, _Learned | None]:
        best, best_sim = None, 0.0
        for i, sim in state.near.near(fp, self.threshold):  # ascending: on equal similarity the later
            if sim >= best_sim:                               # correction wins (it can undo an earlier one)
                best, best_sim = state.accepted[i], sim
        return best_sim, best

    def _override(self, text: str, sim: float, learned: _Learned) -> Classification:
        scored = self.base.model.score(text)
        base_p = dict.fromkeys(PROVIDER_NAMES, 0.0)
        for cls, p in zip(self.base.model.classes, scored.probabilities, strict=True):
            base_p[TASK_TYPE_PROVIDER[cls]] += p
        target = learned.correction.correct_provider
        rest = sum(p for name, p in base_p.items() if name != target) or 1.0
        provider_p = {name: sim if name == target else (1 - sim) * p / rest for name, p in base_p.items()}
        reason = (f"correction #{learned.correction.id} (similarity {sim:.2f}) routes "
                  f"{learned.correction.text[:60]!r} to {target}/{learned.task_type}")
        corrected = self.base.build(scored, provider_p, task_type=learned.task_type)
        # Then what the model alone says and why: its numbers and features for the type the correction chose
        # ("debugging (0%)", evidence it outweighed) would read as the reasons it decided so.
        alone = self.base.build(scored, base_p).reasons
        return replace(corrected, reasons=(reason, f"without the correction: {alone[0]}", *alone[1:]))

    # -- the guard -----------------------------------------------------------------------------

    def _consider(self, state: _Replay, correction: Correction, previous: _Replay | None = None) -> LearnResult:
        try:
            correction.validate()
        except ValueError as exc:
            return LearnResult(False, f"rejected: invalid correction ({exc})", correction.id)
        task_type = correction.task_type or self._best_type(correction.text, correction.correct_provider)
        learned = _Learned(correction, task_type, self._fingerprint(state, correction.text, previous or state))
        if words(learned.fingerprint) < MIN_WORDS:
            return LearnResult(False, f"rejected: too short to learn from (fewer than {MIN_WORDS} words, not counting "
                                      "fenced code nor words such as 'the', 'do', 'it'): every text sharing a word "
                                      "with it would follow; give the task as it was written",
                               correction.id, task_type)
        same = state.latest_with.get(learned.fingerprint)
        if same is not None and (same.correction.correct_provider, same.task_type) == (
            correction.correct_provider, task_type
        ):  # a repeat (a host confirming one routing again and again) changes nothing: not indexed again
            return LearnResult(True, f"accepted: the same as correction #{same.correction.id}, already learned",
                               correction.id, task_type)
        changes = self._eval_changes(state, learned)
        before_p = sum(self._eval_ok(state, i)[0] for i, _ in changes)
        after_p = sum(ok_p for _, (ok_p, _) in changes)
        before_t = sum(self._eval_ok(state, i)[1] for i, _ in changes)
        after_t = sum(ok_t for _, (_, ok_t) in changes)
        label = f"{correction.correct_provider}/{task_type}"
        if after_p < before_p or after_t < before_t:
            reason = (f"rejected: routing near texts to {label} would lower evaluation accuracy "
                      f"(providers {before_p - after_p:+d} wrong, task types {before_t - after_t:+d} wrong "
                      f"of {len(self._eval)})")
            log.info("correction %s %s", correction.id, reason)
            return LearnResult(False, reason, correction.id, task_type)
        self._accept(state, learned, changes)
        kind = "confirmation" if correction.routed_provider == correction.correct_provider else "correction"
        reason = f"accepted: {kind} learned, near texts now route to {label}"
        if changes:
            reason += f" ({len(changes)} evaluation texts affected, accuracy kept)"
        return LearnResult(True, reason, correction.id, task_type)

    def _best_type(self, text: str, provider: str) -> str:
        probs = self.base.task_type_probabilities(text)
        return max((t for t, p in TASK_TYPE_PROVIDER.items() if p == provider), key=lambda t: probs[t])

    def _eval_ok(self, state: _Replay, i: int, learned: _Learned | None = None) -> tuple[bool, bool]:
        _, provider, task_type, base = self._eval[i]
        match = learned or self._eval_best(state)[i][1]
        if match is None:
            return base.primary_provider == provider, base.task_type == task_type
        return match.correction.correct_provider == provider, match.task_type == task_type

    def _eval_changes(self, state: _Replay, learned: _Learned) -> list[tuple[int, tuple[bool, bool]]]:
        """Evaluation items whose best match would become ``learned``, with their outcome then."""
        best = self._eval_best(state)
        return [(i, self._eval_ok(state, i, learned))
                for i, sim in self._eval_index.near(learned.fingerprint, self.threshold) if sim >= best[i][0]]

    def _accept(self, state: _Replay, learned: _Learned, changes: list[tuple[int, tuple[bool, bool]]]) -> None:
        best = self._eval_best(state)  # up to date (``changes`` were found on it)
        state.accepted.append(learned)
        state.near.add(learned.fingerprint)
        state.latest_with[learned.fingerprint] = learned
        for i, _ in changes:
            best[i] = (similarity(self._eval[i][0], learned.fingerprint), learned)
        state.eval_applied = len(state.accepted)
