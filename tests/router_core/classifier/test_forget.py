"""Forgetting corrections: every process sharing the database stops applying them and agrees on the rest."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from router_core.classifier.corrections import (
    Correction,
    MemoryCorrectionStore,
    SqliteCorrectionStore,
    UnknownCorrection,
)
from router_core.classifier.learning import LearningClassifier
from router_core.clock import FakeClock
from router_core.store import db as db_module
from router_core.store.db import Database
from router_core.store.schema import MIGRATIONS

TEXT = "summarize the quarterly board deck for the sales team"
PARAPHRASE = "please summarise the quarterly board deck for our sales team"
OTHER = "write unit tests for the parser module of the compiler"
ROOT = Path(__file__).resolve().parents[3]


def learner_on(path: Path, base, eval_items, clock: FakeClock | None = None) -> LearningClassifier:
    """A learner as another process has it: its own store on the file, refreshed every 5 s of ``clock``."""
    kwargs = {"clock": clock.monotonic} if clock else {}
    return LearningClassifier(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items, **kwargs)


def test_a_correction_forgotten_in_one_process_stops_rerouting_in_another(base, eval_items, tmp_path):
    path, clock = tmp_path / "state.db", FakeClock()
    writer, reader = learner_on(path, base, eval_items), learner_on(path, base, eval_items, clock)
    first = writer.record(TEXT, "gemini", "claude", "planning")
    assert writer.record(OTHER, "codex", "claude", "multi_step").accepted
    clock.advance(5)
    assert reader.classify(PARAPHRASE).primary_provider == "claude"
    forgotten = writer.forget([first.correction_id])
    assert [c.text for c in forgotten.removed] == [TEXT]
    assert writer.classify(PARAPHRASE) == base.classify(PARAPHRASE)
    assert reader.classify(PARAPHRASE).primary_provider == "claude"  # not refreshed yet
    clock.advance(5)
    assert reader.classify(PARAPHRASE) == base.classify(PARAPHRASE)
    assert reader.classify(OTHER).primary_provider == "claude"  # the rest is still applied
    assert reader.decisions() == writer.decisions() == learner_on(path, base, eval_items).decisions()
    assert list(reader.decisions()) == [2]


def rejected_only_because_of_another(base, eval_items) -> tuple[dict, str, str]:
    """An evaluation text the model gets wrong (provider and type), a correction of it to the right provider
    and type, and another provider a second correction of it can go to: accepted alone, rejected after
    the first (which it would undo on that text)."""
    for item in eval_items:
        routed = base.classify(item["text"])
        if routed.primary_provider == item["provider"] or routed.task_type == item["task_type"]:
            continue
        other = next(p for p in ("codex", "gemini", "claude") if p not in (item["provider"], routed.primary_provider))
        alone = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
        if not alone.record(item["text"], item["provider"], other).accepted:
            continue
        after = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
        if (after.record(item["text"], routed.primary_provider, item["provider"], item["task_type"]).accepted
                and not after.record(item["text"], item["provider"], other).accepted):
            return item, routed.primary_provider, other
    pytest.fail("no evaluation text makes one correction's acceptance depend on another's")


def test_after_a_forget_every_process_replays_the_rest_to_the_same_decisions(base, eval_items, tmp_path):
    item, routed, other = rejected_only_because_of_another(base, eval_items)
    path, clock = tmp_path / "state.db", FakeClock()
    writer, reader = learner_on(path, base, eval_items), learner_on(path, base, eval_items, clock)
    first = writer.record(item["text"], routed, item["provider"], item["task_type"])
    second = writer.record(item["text"], item["provider"], other)
    assert first.accepted and not second.accepted
    forgotten = writer.forget([first.correction_id])
    assert [r.correction_id for r in forgotten.changed] == [second.correction_id]
    assert forgotten.changed[0].accepted  # the replay without the first accepts the second
    clock.advance(5)
    assert reader.classify(item["text"]).primary_provider == other
    assert reader.decisions() == writer.decisions() == learner_on(path, base, eval_items).decisions()
    assert reader.decisions()[second.correction_id].accepted


def test_an_unknown_id_forgets_nothing_and_names_the_stored_ones(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    learner = learner_on(path, base, eval_items)
    kept = learner.record(TEXT, "gemini", "claude", "planning")
    store = SqliteCorrectionStore.at_path(path)
    before = store.read()
    with pytest.raises(UnknownCorrection) as raised:
        learner.forget([kept.correction_id, 7])
    assert (raised.value.missing, raised.value.known) == ((7,), (kept.correction_id,))
    assert store.read() == before  # the row and the generation: a known id given with it is kept too
    assert learner.classify(PARAPHRASE).primary_provider == "claude"


def test_a_forgotten_id_is_never_given_again_and_a_re_recorded_correction_is_learned_anew(
    base, eval_items, tmp_path
):
    path, clock = tmp_path / "state.db", FakeClock()
    writer, reader = learner_on(path, base, eval_items), learner_on(path, base, eval_items, clock)
    first = writer.record(TEXT, "gemini", "claude", "planning")
    writer.forget([first.correction_id])
    again = writer.record(TEXT, "gemini", "claude", "planning")
    assert again.accepted and again.correction_id == first.correction_id + 1
    assert "already learned" not in again.reason  # the forgotten one is not remembered as learned
    clock.advance(5)
    assert reader.classify(PARAPHRASE).primary_provider == "claude"
    assert list(reader.decisions()) == [again.correction_id]


def test_a_row_deleted_by_hand_is_noticed_too(base, eval_items, tmp_path):
    path, clock = tmp_path / "state.db", FakeClock()
    reader = learner_on(path, base, eval_items, clock)
    learner_on(path, base, eval_items).record(TEXT, "gemini", "claude", "planning")
    clock.advance(5)
    assert reader.classify(PARAPHRASE).primary_provider == "claude"
    with sqlite3.connect(path) as conn:  # the generation is bumped by a trigger, whoever deletes
        conn.execute("DELETE FROM classifier_corrections")
    conn.close()
    clock.advance(5)
    assert reader.classify(PARAPHRASE) == base.classify(PARAPHRASE)


def test_a_correction_forgotten_by_the_cli_in_another_process_stops_rerouting_here(base, eval_items, tmp_path):
    home = tmp_path / "state"
    db, clock = Database(home / "switchboard.db"), FakeClock()
    try:
        store = SqliteCorrectionStore(db.connection, faults=db.faults)
        learner = LearningClassifier(base, store, eval_items=eval_items, clock=clock.monotonic)
        recorded = learner.record(TEXT, "gemini", "claude", "planning")
        assert learner.classify(PARAPHRASE).primary_provider == "claude"
        env = {**os.environ, "SWITCHBOARD_HOME": str(home), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
        env.pop("SWITCHBOARD_CONFIG", None)
        done = subprocess.run([sys.executable, "-m", "server.cli", "feedback", "forget", str(recorded.correction_id)],
                              env=env, cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"forgot #{recorded.correction_id}: gemini -> claude")
        clock.advance(5)
        assert learner.classify(PARAPHRASE) == base.classify(PARAPHRASE)
    finally:
        db.close()


def test_upgrading_keeps_the_corrections_and_their_ids(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:7])
        old = Database(path)
        with old.transaction() as conn:
            conn.executemany("INSERT INTO classifier_corrections (text, routed_provider, correct_provider) VALUES (?, ?, ?)",
                             [(f"{TEXT} {n}", "gemini", "claude") for n in range(3)])
        old.close()
    ids = [1, 2, 3]
    new = Database(path)
    try:
        store = SqliteCorrectionStore(new.connection)
        assert [c.id for c in store.read().corrections] == ids
        assert store.read().generation == 0
        store.forget([ids[-1]])
        assert store.read().generation == 1
        assert store.add(Correction(OTHER, "codex", "claude")) == ids[-1] + 1  # not the forgotten id again
    finally:
        new.close()


def test_a_correction_forgotten_by_another_process_as_it_is_recorded_is_reported_not_a_crash(base, eval_items):
    class ForgottenAtOnce(MemoryCorrectionStore):  # another process forgets it between the store's add and refresh
        def add(self, correction: Correction) -> int:
            new_id = super().add(correction)
            self.forget([new_id])
            return new_id

    result = LearningClassifier(base, ForgottenAtOnce(), eval_items=eval_items).record(TEXT, "gemini", "claude")
    assert not result.accepted and result.reason.startswith("forgotten: correction #1 was removed")


def test_forgetting_a_correction_names_a_repeat_of_it_that_now_routes_in_its_place(base, eval_items):
    # A host that confirmed one routing three times stored #1 (learned) and #2, #3 ("the same as correction #1,
    # already learned"). Forgetting #1 leaves #2 learned in its place: the text still goes to claude, so the
    # forget must say so, not only "every process stops applying it".
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    first, *repeats = [learner.record(TEXT, "gemini", "claude", "planning") for _ in range(3)]
    assert all(r.accepted and f"the same as correction #{first.correction_id}" in r.reason for r in repeats)
    forgotten = learner.forget([first.correction_id])
    assert learner.classify(TEXT).primary_provider == "claude"  # #2 routes it now
    assert [(r.correction_id, r.accepted) for r in forgotten.changed] == [(repeats[0].correction_id, True)]
    assert forgotten.changed[0].reason.startswith("accepted: correction learned")
