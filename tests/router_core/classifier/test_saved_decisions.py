"""Saved decisions: a process adopts the guard's decisions another one saved, and reaches exactly what a full
replay (the guard run on every correction) reaches; a decision saved under other weights, code, evaluation set
or history is not trusted."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from router_core.classifier import features as F
from router_core.classifier.corrections import (
    Correction,
    MemoryCorrectionStore,
    SqliteCorrectionStore,
    StoredDecision,
)
from router_core.classifier.learning import LearningClassifier
from router_core.classifier.near import fingerprint
from router_core.classifier.trained import TrainedClassifier
from router_core.store import db as db_module
from router_core.store.db import Database
from router_core.store.schema import MIGRATIONS

PROVIDERS = ("codex", "gemini", "claude")
TEXT = "summarize the quarterly board deck for the sales team"
PARAPHRASE = "please summarise the quarterly board deck for our sales team"


def varied(eval_items: list[dict]) -> list[Correction]:
    """Confirmations and corrections of varied texts, evaluation texts sent to a wrong provider (the guard
    rejects most), repeats, a flip and a flip back, texts too short to learn from, untyped ones."""
    out = []
    for n, item in enumerate(eval_items[:40]):
        if n % 4 == 0:  # to a wrong provider
            wrong = PROVIDERS[(PROVIDERS.index(item["provider"]) + 1) % 3]
            out.append(Correction(item["text"], item["provider"], wrong))
        elif n % 4 == 1:  # confirmed, untyped
            out.append(Correction(item["text"], item["provider"], item["provider"]))
        else:  # corrected to its label from elsewhere
            routed = PROVIDERS[(PROVIDERS.index(item["provider"]) + 2) % 3]
            out.append(Correction(item["text"], routed, item["provider"], item["task_type"]))
        if n % 5 == 0:
            out.append(out[-1])  # a repeat
    out += [
        Correction(TEXT, "gemini", "claude", "planning"),
        Correction(TEXT, "gemini", "claude", "planning"),
        Correction(TEXT, "claude", "gemini", "analysis"),  # the other way: the later wins
        Correction(TEXT, "gemini", "claude", "planning"),  # and back
        Correction("refactor", "codex", "claude"),  # too short
        Correction("write unit tests for the parser module of the compiler", "codex", "claude", "multi_step"),
    ]
    return out


def filled(path: Path, corrections: list[Correction]) -> SqliteCorrectionStore:
    store = SqliteCorrectionStore.at_path(path)
    for c in corrections:
        store.add(c)
    with sqlite3.connect(path) as conn:  # a row another program wrote: invalid, rejected
        conn.execute("INSERT INTO classifier_corrections (text, routed_provider, correct_provider) VALUES (NULL, 'x', 'y')")
    conn.close()
    return store


class Counting(LearningClassifier):
    """Lists the corrections the guard runs on (the rest are adopted). Its module is part of the digest, so
    every learner of these tests is one."""

    def __init__(self, *args, **kwargs) -> None:
        self.considered: list[int] = []
        super().__init__(*args, **kwargs)

    def _consider(self, state, correction, previous=None):
        self.considered.append(correction.id)
        return super()._consider(state, correction, previous)


def learner(path: Path, base, eval_items, **kwargs) -> Counting:
    return Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items, **kwargs)


def probes(eval_items: list[dict]) -> list[str]:
    return [PARAPHRASE, TEXT, "write unit tests for the parser of the compiler", *(it["text"] for it in eval_items)]


def assert_same(fast: LearningClassifier, full: LearningClassifier, eval_items: list[dict]) -> None:
    assert fast.decisions() == full.decisions()
    for text in probes(eval_items):
        assert fast.classify(text) == full.classify(text), text


def saved(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT correction_id, digest, history, accepted, reason, task_type"
                            " FROM classifier_decisions ORDER BY correction_id").fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize("text", [
    "Fix the login bug: don't refactor the session module, only patch it.",
    "résumé: Überprüfe die Analyse der Umsätze 2024 und schreibe einen Bericht",
    "把这个函数重构一下，并且写单元测试",
    "```python\ndef f(x): return x\n```\nwhy does this fail with python3?",
    " ".join(f"word{n} alpha{n}" for n in range(120)),  # past the head and tail kept
    "",
])
def test_the_fingerprint_is_the_word_and_character_features(text):
    assert fingerprint(text) == word_and_character_features(text)


def test_the_fingerprint_agrees_on_the_evaluation_texts(eval_items):
    for item in eval_items:
        assert fingerprint(item["text"]) == word_and_character_features(item["text"])


def word_and_character_features(text: str) -> frozenset[str]:
    """The classifier's word features of ``text`` and their character n-grams of the fingerprint's sizes (3-5;
    the classifier's own are 5-grams only)."""
    words = [f[2:] for f in F.features(text) if f[0] == "w"]
    return frozenset([f"w|{w}" for w in words] + [g for w in words for g in F.char_ngrams(w, F.FINGERPRINT_NGRAM_SIZES)])


def test_a_process_adopting_saved_decisions_reaches_what_a_full_replay_does(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    full = learner(path, base, eval_items, reuse_decisions=False)
    decisions = full.decisions()
    assert {r.accepted for r in decisions.values()} == {True, False}  # the set has rejected ones
    assert any("already learned" in r.reason for r in decisions.values())
    assert saved(path) == []  # a full replay neither reads nor saves
    first = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert first.considered == list(decisions)  # nothing saved yet: the guard on every correction
    assert [row[0] for row in saved(path)] == list(decisions)
    second = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert second.considered == []  # all adopted
    assert_same(first, full, eval_items)
    assert_same(second, full, eval_items)
    assert second._state.accepted == full._state.accepted  # learned the same, in the same order


@pytest.mark.parametrize("eval_size", [None, 12])  # more adopted than evaluation texts: looked up the other way
def test_the_guard_after_adopted_decisions_decides_as_after_a_full_replay(base, eval_items, tmp_path, eval_size):
    # An evaluation text corrected to its label, then the same text sent elsewhere: rejected, since it would
    # undo the first on that text. The adopted first correction must count in the guard's view.
    item = next(it for it in eval_items if base.classify(it["text"]).primary_provider != it["provider"])
    other = next(p for p in PROVIDERS if p != item["provider"])
    path = tmp_path / "state.db"
    filled(path, [*varied(eval_items), Correction(item["text"], other, item["provider"], item["task_type"])])
    if eval_size:
        eval_items = [item, *(it for it in eval_items if it is not item)][:eval_size]
    learner(path, base, eval_items)  # saves
    fast = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert fast.considered == []
    result = fast.record(item["text"], item["provider"], other)
    assert fast.considered == [result.correction_id]
    assert not result.accepted, result.reason
    full = learner(path, base, eval_items, reuse_decisions=False)
    assert_same(fast, full, eval_items)
    assert fast._eval_best(fast._state) == full._eval_best(full._state)
    assert eval_size is None or len(fast._state.accepted) > 2 * eval_size


def test_after_a_forget_the_guard_runs_only_after_the_forgotten_correction(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    store = filled(path, varied(eval_items))
    running = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    ids = list(running.decisions())
    victim = next(i for i in ids[len(ids) // 2:] if running.decisions()[i].accepted)
    store.forget([victim])  # by another process that does not replay (nothing saved after it)
    running.considered = []
    running.refresh()
    assert running.considered == [i for i in ids if i > victim]  # the rest keep their saved decisions
    full = learner(path, base, eval_items, reuse_decisions=False)
    assert_same(running, full, eval_items)
    # Those the guard re-ran were saved under the new history: the next process adopts them all.
    later = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert later.considered == []
    assert_same(later, full, eval_items)


def test_a_forget_that_changes_a_later_decision_is_replayed_alike_by_every_process(base, eval_items, tmp_path):
    # The first misrouted evaluation text whose second correction is rejected only because of the first (which
    # texts do depends on the weights: with those of 2026-11 the first misrouted one's second correction stays
    # rejected for a reason of its own).
    for n, item in enumerate(it for it in eval_items if base.classify(it["text"]).primary_provider != it["provider"]):
        routed = base.classify(item["text"]).primary_provider
        other = next(p for p in PROVIDERS if p not in (item["provider"], routed))
        path = tmp_path / f"state{n}.db"
        filled(path, varied(eval_items))
        writer, reader = learner(path, base, eval_items), learner(path, base, eval_items)
        first = writer.record(item["text"], routed, item["provider"], item["task_type"])
        second = writer.record(item["text"], item["provider"], other)
        if not (first.accepted and not second.accepted):
            continue
        forgotten = writer.forget([first.correction_id])
        if forgotten.changed:
            break
    else:
        pytest.skip("no evaluation text makes one correction depend on the other")
    assert [r.correction_id for r in forgotten.changed] == [second.correction_id]
    reader.refresh()
    full = learner(path, base, eval_items, reuse_decisions=False)
    assert reader.decisions()[second.correction_id].accepted
    assert_same(reader, full, eval_items)
    assert_same(writer, full, eval_items)


def test_a_decision_saved_under_another_digest_or_history_is_not_trusted(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    honest = learner(path, base, eval_items)
    digest = honest.decision_digest()
    target = next(i for i, r in honest.decisions().items() if r.accepted and "already" not in r.reason)
    history = next(row[2] for row in saved(path) if row[0] == target)
    forged = StoredDecision(target, history, False, "rejected: forged", None)
    store = SqliteCorrectionStore.at_path(path)

    store.save_decisions("another digest", [forged])  # other weights, code or evaluation set
    assert learner(path, base, eval_items).decisions()[target] == honest.decisions()[target]
    store.save_decisions(digest, [StoredDecision(target, "another history", False, "rejected: forged", None)])
    assert learner(path, base, eval_items).decisions()[target] == honest.decisions()[target]
    # Under its own digest and history a saved decision is adopted as it is: what the two keys protect.
    store.save_decisions(digest, [forged])
    assert learner(path, base, eval_items).decisions()[target].reason == "rejected: forged"


def test_the_digest_covers_the_evaluation_set_threshold_and_weights(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    digest = learner(path, base, eval_items).decision_digest()
    assert digest == learner(path, base, list(eval_items)).decision_digest()  # the same, recomputed
    fewer = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items[:-1])
    assert fewer.decision_digest() != digest and fewer.considered  # the guard ran: nothing adopted
    stricter = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items, threshold=0.8)
    assert stricter.decision_digest() != digest and stricter.considered
    unknown = TrainedClassifier(type(base.model)({
        "classes": base.model.classes, "bias": base.model.bias, "words": {}, "chars": {}, "pairs": {},
        "first": {}, "markers": {},
    }))
    assert LearningClassifier(unknown, MemoryCorrectionStore(), eval_items=eval_items).decision_digest() is None


def test_a_row_changed_in_place_is_decided_again(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    learner(path, base, eval_items)
    with sqlite3.connect(path) as conn:  # the same row, now sent elsewhere (the generation moves too)
        conn.execute("UPDATE classifier_corrections SET correct_provider = 'codex', task_type = 'debugging'"
                     " WHERE text = ?", (TEXT,))
    conn.close()
    changed = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    first_changed = min(c.id for c in SqliteCorrectionStore.at_path(path).read().corrections if c.text == TEXT)
    assert changed.considered[0] == first_changed
    assert_same(changed, learner(path, base, eval_items, reuse_decisions=False), eval_items)


def test_two_learners_on_one_database_agree(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    corrections = varied(eval_items)
    filled(path, corrections[:20])
    a, b = learner(path, base, eval_items), learner(path, base, eval_items)
    for n, c in enumerate(corrections[20:]):  # recorded by one or the other, each refreshing in between
        (a if n % 2 else b).record(c.text, c.routed_provider, c.correct_provider, c.task_type)
    a.forget([5])
    b.refresh()
    b.forget([30])
    a.refresh()
    full = learner(path, base, eval_items, reuse_decisions=False)
    assert_same(a, full, eval_items)
    assert_same(b, full, eval_items)
    assert a._state.history == b._state.history == full._state.history


def test_learners_building_at_once_save_the_same_decisions(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    built: list[LearningClassifier] = []
    threads = [threading.Thread(target=lambda: built.append(learner(path, base, eval_items))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    full = learner(path, base, eval_items, reuse_decisions=False)
    for one in built:
        assert_same(one, full, eval_items)
    rows = saved(path)
    assert [r[0] for r in rows] == list(full.decisions())
    assert [(bool(r[3]), r[4], r[5]) for r in rows] == [(d.accepted, d.reason, d.task_type)
                                                        for d in full.decisions().values()]


def test_a_save_that_arrives_after_a_forget_is_not_trusted(base, eval_items, tmp_path):
    # A process decided before the forget and saves after it: its decisions name the old history.
    path = tmp_path / "state.db"
    store = filled(path, varied(eval_items))
    late: list[tuple[str, list[StoredDecision]]] = []

    class Late(SqliteCorrectionStore):
        def save_decisions(self, digest, decisions):
            late.append((digest, list(decisions)))

    slow = Counting(base, Late(lambda: sqlite3.connect(path), close_after_use=True), eval_items=eval_items)
    victim = next(i for i, r in slow.decisions().items() if r.accepted and i > 3)
    store.forget([victim])
    (digest, decisions), = late
    store.save_decisions(digest, decisions)
    assert victim not in [row[0] for row in saved(path)]  # not saved for a correction no longer stored
    adopting = Counting(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert adopting.considered == [i for i in slow.decisions() if i > victim]
    assert_same(adopting, learner(path, base, eval_items, reuse_decisions=False), eval_items)


def test_forgetting_a_correction_drops_its_saved_decision(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    store = filled(path, varied(eval_items))
    learner(path, base, eval_items)
    store.forget([3])
    assert 3 not in [row[0] for row in saved(path)]


def test_upgrading_adds_the_decisions_table_and_a_store_made_one_is_kept(base, eval_items, tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:8])
        old = Database(path)
        old.close()
    filled(path, varied(eval_items)[:10])  # a store on the version-8 file makes the table itself
    learner(path, base, eval_items)
    before = saved(path)
    assert before
    new = Database(path)
    try:
        assert new.schema_version == len(MIGRATIONS) >= 9
        store = SqliteCorrectionStore(new.connection, faults=new.faults)
        assert saved(path) == before
        adopting = Counting(base, store, eval_items=eval_items)
        assert adopting.considered == []
        store.forget([2])
        assert 2 not in [row[0] for row in saved(path)]
    finally:
        new.close()
    fresh = tmp_path / "fresh.db"
    Database(fresh).close()
    with sqlite3.connect(fresh) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'classifier_decisions'").fetchone()
    conn.close()


def test_a_saved_accepted_flag_that_is_not_0_or_1_is_not_trusted(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    filled(path, varied(eval_items))
    full = learner(path, base, eval_items)
    rejected = next(i for i, r in full.decisions().items() if not r.accepted and r.task_type)
    with sqlite3.connect(path) as conn:  # another program's row: bool('no') read as accepted
        conn.execute("UPDATE classifier_decisions SET accepted = 'no' WHERE correction_id = ?", (rejected,))
    conn.close()
    again = learner(path, base, eval_items)
    assert rejected in again.considered
    assert again.decisions() == full.decisions()


def test_a_classify_call_never_waits_to_save_decisions(base, eval_items, tmp_path):
    # Saving takes the write lock: a classify call that picked up another process's correction waited up to the
    # busy timeout behind any writer. Only record, forget and start-up save.
    path = tmp_path / "state.db"
    clock = [0.0]
    reader = learner(path, base, eval_items, clock=lambda: clock[0])
    writer = learner(path, base, eval_items, reuse_decisions=False)
    writer.record(TEXT, "gemini", "claude", "planning")  # stored, not saved (no reuse)
    clock[0] += 3600
    reader.classify(PARAPHRASE)
    assert reader.considered and saved(path) == []


def test_the_digest_is_of_the_code_imported_not_of_what_is_on_disk_later(base, eval_items, tmp_path, monkeypatch):
    # An upgrade in place under a running server: a digest read from disk later would tie this process's
    # decisions to the new code, and the new code's processes would adopt them.
    import router_core.classifier.saved_decisions as saved

    def plain(name: str) -> LearningClassifier:  # not Counting: a test module's source is read when needed
        return LearningClassifier(base, SqliteCorrectionStore.at_path(tmp_path / name), eval_items=eval_items)

    before = plain("a.db").decision_digest()
    real = saved.sources_digest(["router_core.classifier.features"])
    monkeypatch.setattr(saved.Path, "read_bytes", lambda self: b"code of another version")
    assert saved.sources_digest(["router_core.classifier.features"]) != real  # the disk now reads differently
    assert before is not None and plain("b.db").decision_digest() == before
