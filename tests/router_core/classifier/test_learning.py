"""Self-learning: corrections persist across processes, reroute near paraphrases, and are guarded."""

from __future__ import annotations

import sqlite3

import pytest

from router_core.classifier.corrections import Correction, MemoryCorrectionStore, SqliteCorrectionStore
from router_core.classifier.learning import LearningClassifier
from router_core.classifier.near import fingerprint
from router_core.clock import FakeClock
from router_core.store.db import Database

TEXT = "summarize the quarterly board deck for the sales team"
PARAPHRASE = "please summarise the quarterly board deck for our sales team"
UNRELATED = "add a dark mode toggle to the settings screen"


def accuracy(clf, items: list[dict]) -> tuple[int, int]:
    results = [clf.classify(it["text"]) for it in items]
    return (
        sum(r.primary_provider == it["provider"] for r, it in zip(results, items, strict=True)),
        sum(r.task_type == it["task_type"] for r, it in zip(results, items, strict=True)),
    )


def test_a_correction_reroutes_the_text_and_near_paraphrases(base, eval_items):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    before = learner.classify(TEXT)
    assert before.primary_provider == "gemini"
    result = learner.record(TEXT, "gemini", "claude", "planning")
    assert result.accepted, result.reason
    for text in (TEXT, PARAPHRASE):
        after = learner.classify(text)
        assert (after.primary_provider, after.task_type) == ("claude", "planning")
        assert after.reasons[0].startswith(f"correction #{result.correction_id} (similarity")
    assert learner.classify(UNRELATED) == base.classify(UNRELATED)


def test_without_task_type_the_best_type_of_the_correct_provider_is_used(base, eval_items):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    result = learner.record(TEXT, "gemini", "codex")
    assert result.accepted
    probs = base.task_type_probabilities(TEXT)
    codex_types = ["code_generation", "code_review", "refactoring", "debugging", "testing", "performance_optimization"]
    assert result.task_type == max(codex_types, key=probs.__getitem__)


def test_a_second_process_sees_corrections_through_sqlite(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    clock = FakeClock()
    writer = LearningClassifier(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    reader = LearningClassifier(
        base, SqliteCorrectionStore.at_path(path), eval_items=eval_items, refresh_seconds=5, clock=clock.monotonic
    )
    assert reader.classify(PARAPHRASE).primary_provider == "gemini"
    assert writer.record(TEXT, "gemini", "claude", "planning").accepted
    assert reader.classify(PARAPHRASE).primary_provider == "gemini"  # not refreshed yet
    clock.advance(5)
    assert reader.classify(PARAPHRASE).primary_provider == "claude"
    fresh = LearningClassifier(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)
    assert fresh.classify(PARAPHRASE).primary_provider == "claude"
    assert fresh.decisions() == writer.decisions()


def test_the_state_database_holds_the_corrections(base, eval_items, tmp_path):
    db = Database(tmp_path / "switchboard.db")
    try:
        learner = LearningClassifier(base, SqliteCorrectionStore(db.connection, holder="test"), eval_items=eval_items)
        assert learner.record(TEXT, "gemini", "claude", "planning").accepted
        rows = db.query("SELECT text, routed_provider, correct_provider, task_type, holder FROM classifier_corrections")
        assert [tuple(r) for r in rows] == [(TEXT, "gemini", "claude", "planning", "test")]
    finally:
        db.close()


def test_poisoning_corrections_that_hurt_evaluation_accuracy_are_rejected(base, eval_items):
    store = MemoryCorrectionStore()
    learner = LearningClassifier(base, store, eval_items=eval_items)
    baseline = accuracy(learner, eval_items)
    wrong = {"codex": "gemini", "gemini": "claude", "claude": "codex"}
    # Items the model gets right: relabelling them (in upper case, so not identical) can only hurt.
    poisoned = [it for it in eval_items[::7] if base.classify(it["text"]).primary_provider == it["provider"]]
    assert len(poisoned) >= 20
    results = [learner.record(it["text"].upper() + "!", it["provider"], wrong[it["provider"]]) for it in poisoned]
    assert not any(r.accepted for r in results)
    assert all(r.reason.startswith("rejected: routing near texts to") for r in results)
    assert accuracy(learner, eval_items) == baseline
    assert len(store.since(0)) == len(poisoned)  # stored, but rejected


def test_accepted_corrections_never_lower_evaluation_accuracy(base, eval_items):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    baseline = accuracy(learner, eval_items)
    for text, provider, task_type in [
        (TEXT, "claude", "planning"),
        ("fix the bug", "gemini", "explanation"),
        ("write tests", "claude", "planning"),
        ("document the api", "codex", "code_generation"),
    ]:
        learner.record(text, "codex", provider, task_type)
    after = accuracy(learner, eval_items)
    assert after[0] >= baseline[0] and after[1] >= baseline[1]


def test_a_confirmation_is_accepted(base, eval_items):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    result = learner.record(UNRELATED, "codex", "codex")
    assert result.accepted and "confirmation" in result.reason


@pytest.mark.parametrize(
    ("routed", "correct", "task_type"),
    [("openai", "codex", None), ("codex", "nobody", None), ("codex", "gemini", "debugging")],
)
def test_invalid_corrections_raise_and_are_not_stored(base, eval_items, routed, correct, task_type):
    store = MemoryCorrectionStore()
    learner = LearningClassifier(base, store, eval_items=eval_items)
    with pytest.raises(ValueError):
        learner.record(TEXT, routed, correct, task_type)
    assert store.since(0) == []


def test_invalid_rows_written_by_others_are_rejected_not_fatal(base, eval_items, tmp_path):
    path = tmp_path / "state.db"
    store = SqliteCorrectionStore.at_path(path)
    store.add(Correction(TEXT, "gemini", "claude", "planning"))
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO classifier_corrections (text, routed_provider, correct_provider) VALUES ('x', 'a', 'b')")
    conn.close()
    learner = LearningClassifier(base, store, eval_items=eval_items)
    decisions = learner.decisions()
    assert decisions[1].accepted and not decisions[2].accepted
    assert "invalid correction" in decisions[2].reason


@pytest.mark.parametrize(
    ("text", "task_type"), [(None, None), (b"fix the login form bug", None), (TEXT, b"planning")]
)
def test_rows_with_a_null_or_non_text_value_are_rejected_not_fatal(base, eval_items, tmp_path, text, task_type):
    # A row with NULL text (another program, another version) raised AttributeError in the replay: the
    # classifier of every process opening the database failed to build, and running ones failed to classify.
    path = tmp_path / "state.db"
    store = SqliteCorrectionStore.at_path(path)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS classifier_corrections (id INTEGER PRIMARY KEY, created_at REAL,"
                     " text TEXT, routed_provider TEXT, correct_provider TEXT, task_type TEXT, holder TEXT)")
        conn.execute("INSERT INTO classifier_corrections (text, routed_provider, correct_provider, task_type)"
                     " VALUES (?, 'gemini', 'claude', ?)", (text, task_type))
    conn.close()
    store.add(Correction(TEXT, "gemini", "claude", "planning"))
    learner = LearningClassifier(base, store, eval_items=eval_items)
    decisions = learner.decisions()
    assert not decisions[1].accepted and "invalid correction" in decisions[1].reason
    assert decisions[2].accepted
    assert learner.classify(TEXT).primary_provider == "claude"


def test_a_row_whose_text_is_not_utf8_is_read_with_replacements_not_fatal(base, eval_items, tmp_path):
    # Text that is not UTF-8 (another program's bytes stored as TEXT) made sqlite3 raise "Could not decode to
    # UTF-8" on every read: no process could build its classifier, so every command, `feedback forget` of
    # that row too, ended in a traceback.
    path = tmp_path / "state.db"
    store = SqliteCorrectionStore.at_path(path)
    store.add(Correction(TEXT, "gemini", "claude", "planning"))
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO classifier_corrections (text, routed_provider, correct_provider, task_type,"
                     " created_at) VALUES (CAST(X'ff666978207468652062726f6b656e206c6f67696e20666f726d' AS TEXT),"
                     " 'codex', CAST(X'ff' AS TEXT), CAST(X'c3' AS TEXT), CAST(X'ff' AS TEXT))")
    conn.close()
    learner = LearningClassifier(base, store, eval_items=eval_items)
    decisions = learner.decisions()
    assert decisions[1].accepted and not decisions[2].accepted and "invalid correction" in decisions[2].reason
    (row,) = [r.correction for r in learner.corrections() if r.correction.id == 2]
    assert (row.text, row.correct_provider, row.task_type) == ("\ufffdfix the broken login form", "\ufffd", "\ufffd")
    assert row.created_at == 0.0  # not a time
    assert learner.classify(TEXT).primary_provider == "claude"
    assert [c.id for c in learner.forget([2]).removed] == [2]


def test_a_later_correction_of_the_same_text_undoes_an_earlier_one(base, eval_items):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    text = "fix the bug in the pagination helper"
    assert learner.record(text, "codex", "gemini", "analysis").accepted
    assert learner.classify(text).primary_provider == "gemini"
    undo = learner.record(text, "gemini", "codex", "debugging")
    assert undo.accepted, undo.reason
    assert (learner.classify(text).primary_provider, learner.classify(text).task_type) == ("codex", "debugging")


@pytest.mark.parametrize("text", ["x", "refactor", "  Fix!  "])
def test_a_correction_of_a_word_or_less_is_kept_but_not_learned(base, eval_items, text):
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    result = learner.record(text, "codex", "claude")
    assert not result.accepted and "too short to learn from" in result.reason
    assert learner.classify(f"{text} the login form") == base.classify(f"{text} the login form")


def test_a_one_word_correction_in_chinese_is_kept_but_not_learned_as_in_english(base, eval_items):
    # "重构" (refactor) is one word in two characters: counted as two (and their pair as a third), it was learned
    # where "refactor" is refused, and rerouted "请重构" (please refactor) and "重构吧" (refactor it).
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    for text in ("重构", "refactor"):
        result = learner.record(text, "codex", "gemini")
        assert not result.accepted and "too short to learn from" in result.reason, text
    for text in ("请重构", "重构吧"):
        assert learner.classify(text) == base.classify(text)
    assert learner.record("修复错误", "codex", "gemini").accepted  # "fix" "bug": two words


@pytest.mark.parametrize("text", ["Optimize this:\n```python\nfor i in range(10):\n    total += i\n```",
                                  "do it for me, will you"])
def test_a_correction_refused_as_too_short_says_what_was_not_counted(base, eval_items, text):
    # Both are several words long as written: "fewer than 2 words" alone sent the user to record them again.
    result = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items).record(text, "codex", "claude")
    assert not result.accepted and "too short to learn from" in result.reason
    assert "not counting fenced code nor words such as 'the', 'do', 'it'" in result.reason


def test_a_repeated_correction_is_learned_once_and_a_flip_back_still_wins(base, eval_items):
    # A host confirming one routing after every task stored thousands of copies, each one more entry every
    # classification compared against.
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=eval_items)
    first = learner.record(TEXT, "gemini", "claude", "planning")
    repeats = [learner.record(TEXT, "gemini", "claude", "planning") for _ in range(3)]
    assert first.accepted and all(r.accepted and f"#{first.correction_id}" in r.reason for r in repeats)
    assert len(learner._state.accepted) == 1
    learner.record(TEXT, "claude", "gemini", "analysis")  # the same text, the other way: the later wins
    learner.record(TEXT, "gemini", "claude", "planning")  # and back again
    assert (learner.classify(PARAPHRASE).primary_provider, learner.classify(TEXT).task_type) == ("claude", "planning")
    assert len(learner._state.accepted) == 3


def test_a_text_corrected_back_and_forth_is_compared_once_and_the_latest_wins(base, eval_items):
    # Each flip was one more entry every classification of a near text compared against: a host (or two
    # sessions disagreeing) flipping one text 20,000 times made each such classification take 110 ms.
    store = MemoryCorrectionStore()
    learner = LearningClassifier(base, store, eval_items=eval_items)
    for n in range(40):
        learner.record(TEXT, "gemini", ("claude", "codex")[n % 2])
    assert len(learner._state.accepted) == 40  # each one learned, in its turn
    later = LearningClassifier(base, store, eval_items=eval_items)  # adopts the saved decisions
    for clf in (learner, later):
        assert len(list(clf._state.near.near(fingerprint(TEXT), clf.threshold))) == 1
        assert clf.classify(PARAPHRASE).primary_provider == "codex"
        assert clf.classify(TEXT).reasons[0].startswith("correction #40 ")
    learner.forget([40])
    assert learner.classify(PARAPHRASE).primary_provider == "claude"  # the flip before it again


def test_a_correction_tying_a_learned_one_on_an_evaluation_text_is_guarded_as_classify_routes_it(base):
    # Both extend the evaluation text by a phrase of as many features (92 and 127 features, 92 shared): an
    # exact tie, which classify gives to the later one. The guard compared the similarity it kept, computed
    # with ** 0.5, with the index's (math.sqrt), a bit lower here: it saw no change on the evaluation text and
    # accepted the second correction, which then routed that text wrong.
    text = "lebowa kipu vuzeqedo qesojaqu visijafe"
    items = [{"text": text, "provider": "gemini", "task_type": "documentation"}]
    learner = LearningClassifier(base, MemoryCorrectionStore(), eval_items=items)
    assert learner.record(f"{text} hexe nifizi kibe", "codex", "gemini", "documentation").accepted
    assert learner.classify(text).primary_provider == "gemini"
    result = learner.record(f"{text} sujo vibuka fahu", "gemini", "codex")
    assert not result.accepted and "lower evaluation accuracy" in result.reason
    assert learner.classify(text).primary_provider == "gemini"


def test_classify_routes_by_what_was_learned_when_the_store_cannot_be_read(base, eval_items, caplog):
    # A locked or damaged state database made every classify (and so every routing) fail at its periodic
    # refresh, though the corrections learned so far were in memory.
    from router_core.errors import StateUnusable

    class FailingStore(MemoryCorrectionStore):
        failing = False

        def read(self, after_id: int = 0):
            if self.failing:
                raise StateUnusable("the state database is locked")
            return super().read(after_id)

    clock = FakeClock()
    store = FailingStore()
    learner = LearningClassifier(base, store, eval_items=eval_items, clock=clock.monotonic)
    assert learner.record(TEXT, "gemini", "claude", "planning").accepted
    store.failing = True
    clock.advance(60)
    assert learner.classify(PARAPHRASE).primary_provider == "claude"
    assert learner.classify(UNRELATED) == base.classify(UNRELATED)
    assert "could not read new corrections" in caplog.text and "locked" in caplog.text
    store.failing = False
    clock.advance(60)
    store.add(Correction(UNRELATED, "codex", "gemini", "documentation"))
    assert learner.classify(UNRELATED).primary_provider == "gemini"  # read again once the store answers
