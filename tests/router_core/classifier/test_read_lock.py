"""Reading the saved corrections takes no write lock: a server starting while another process holds a long write
(a batch's settlement, a migration, `feedback forget`) builds its classifier at once instead of waiting out the
busy timeout."""

from __future__ import annotations

import sqlite3

from router_core.classifier.corrections import Correction, SqliteCorrectionStore
from router_core.classifier.learning import LearningClassifier
from router_core.store.db import Database

TEXT = "summarize the quarterly board deck for the sales team"


def test_a_write_lock_held_elsewhere_does_not_stop_a_new_process_reading_the_corrections(base, eval_items, tmp_path):
    path = tmp_path / "switchboard.db"
    Database(path).close()  # made and migrated, as by any earlier server
    SqliteCorrectionStore.at_path(path).add(Correction(TEXT, "codex", "claude", "documentation"))
    earlier = LearningClassifier(base, SqliteCorrectionStore.at_path(path), eval_items=eval_items)  # saves decisions
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's long write, held throughout
    try:
        db = Database(path, busy_timeout_seconds=0.05)  # a lock asked for would fail at once, not wait
        store = SqliteCorrectionStore(db.connection, faults=db.faults)
        assert [c.text for c in store.read().corrections] == [TEXT]
        learner = LearningClassifier(base, store, eval_items=eval_items)  # as a core builds it
        assert learner.classify(TEXT) == earlier.classify(TEXT)  # the same decisions, adopted
        db.close()
    finally:
        writer.rollback()
        writer.close()


def test_a_bare_file_still_gets_the_tables_made(tmp_path):
    store = SqliteCorrectionStore.at_path(tmp_path / "bare.db")
    assert store.read().corrections == ()
    assert store.add(Correction(TEXT, "codex", "claude", None)) == 1
