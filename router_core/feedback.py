"""Routing corrections (design Phase 4): the classifier the settings choose, learning from the corrections
stored in the state database when it can (the trained one, guarded: router_core/classifier/learning.py; the
keyword one only stores them); recording one, listing them, forgetting some.

``RouterCore`` builds its classifier with ``make_classifier``; its ``record_feedback``, ``feedback_corrections``
and ``forget_feedback`` call these with that classifier and a factory of its correction store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from router_core.classifier import Classifier
from router_core.classifier.corrections import Correction, SqliteCorrectionStore, UnknownCorrection
from router_core.classifier.learning import LearningClassifier
from router_core.classifier.reviews import Forgotten, Reviewed
from router_core.classifier.trained import TrainedClassifier
from router_core.errors import InvalidRequest
from router_core.feedback_routed import check_routed
from router_core.inputs import shown, validate_task
from router_core.models import Classification
from router_core.redact import scrubbed
from router_core.settings import PROVIDER_NAMES, TASK_TYPES, Settings
from router_core.store.db import Database
from router_core.store.holders import current_holder

StoreFactory = Callable[[], SqliteCorrectionStore]
Routes = Callable[[str], Classification]  # where Switchboard routes a task's text now (RouterCore._classify)


def make_classifier(settings: Settings, db: Database | None = None) -> Classifier:
    if settings.classifier == "keywords":
        from router_core.classifier.keywords import KeywordClassifier

        return KeywordClassifier(settings.providers)
    base = TrainedClassifier.load()
    if db is None:
        return base
    return LearningClassifier(base, correction_store(db, current_holder()))


def correction_store(db: Database, holder: str) -> SqliteCorrectionStore:
    return SqliteCorrectionStore(db.waiting_connection, holder=holder, faults=db.faults)  # its own BEGINs: they wait


def record(
    classifier: Classifier, store: StoreFactory, task: str, *, routed_provider: str, correct_provider: str,
    task_type: str | None = None, routes: Routes | None = None,
) -> tuple[bool, str]:
    """Record whether a routed task went to the right provider; a learning classifier learns from it.

    ``routed_provider`` must be where ``routes`` (default: the classifier) routes the task now, corrections learned
    included: else RoutedElsewhere (feedback_routed.py), and nothing is stored. Returns (learned, reason).
    Corrections are stored in the shared database either way.
    """
    given = validate_task(task)
    text = scrubbed(given)  # no credential is stored with a correction
    for name, value in (("routed_provider", routed_provider), ("correct_provider", correct_provider)):
        if value not in PROVIDER_NAMES:
            raise InvalidRequest(f"{name} {shown(value)} is not a provider; use one of {', '.join(PROVIDER_NAMES)}")
    if task_type is not None and task_type not in TASK_TYPES:
        raise InvalidRequest(f"task_type {shown(task_type)} is unknown; use one of {', '.join(TASK_TYPES)}")
    refresh = getattr(classifier, "refresh", None)
    if refresh is not None:  # the corrections other processes learned route the text too
        refresh()
    routes_to = routes(given) if routes is not None else classifier.classify(scrubbed(given, ""))
    check_routed(routes_to, routed_provider, correct_provider)
    learn = getattr(classifier, "record", None)
    if learn is None:
        correction = Correction(text, routed_provider, correct_provider, task_type)
        try:  # as the trained classifier would: a task_type of another provider is refused, not kept
            correction.validate()
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        store().add(correction)
        return False, (f"stored; this process's {classifier.name} classifier does not learn from feedback, but "
                       "every process on this state dir that runs the trained classifier (the default) will, "
                       "once the guard accepts it")
    try:
        result = learn(text, routed_provider, correct_provider, task_type)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    return result.accepted, result.reason


def corrections(classifier: Classifier, store: StoreFactory) -> list[Reviewed]:
    """Every stored correction, oldest first, with the guard's decision (None when the classifier does not
    learn from feedback)."""
    listed = getattr(classifier, "corrections", None)
    if listed is not None:
        return listed()
    return [Reviewed(c, None) for c in store().read().corrections]


def forget(classifier: Classifier, store: StoreFactory, ids: Sequence[int]) -> Forgotten:
    """Remove stored corrections, all or none: every process (running ones at their next refresh) stops
    applying them. An id not stored is an InvalidRequest naming those that are."""
    learner_forget = getattr(classifier, "forget", None)
    try:
        return learner_forget(ids) if learner_forget is not None else Forgotten(store().forget(ids))
    except UnknownCorrection as exc:
        raise InvalidRequest(_unknown_corrections(exc)) from None


def _unknown_corrections(exc: UnknownCorrection, most: int = 8) -> str:
    """"no correction #9 is stored (stored: #1-4, #7; ...)": the ids as ranges, so a long history stays one line."""
    if not exc.known:
        return f"{exc} (the store is empty); nothing was forgotten"
    runs: list[list[int]] = []
    for i in sorted(exc.known):
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    shown = ", ".join(f"#{r[0]}" if len(r) == 1 else f"#{r[0]}-{r[-1]}" for r in runs[:most])
    more = f", ... ({len(exc.known)} in all)" if len(runs) > most else ""
    return f"{exc} (stored: {shown}{more}; `switchboard feedback list` shows them); nothing was forgotten"
