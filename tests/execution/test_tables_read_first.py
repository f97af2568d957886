"""The execution tables are looked for in a read before any write: a process starting (every CLI command, every
server) while another holds a long write (a sqlite3 shell inside BEGIN, a backup) does not wait out the busy
timeout to create tables an earlier process made, then fail; a file without them still gets them made."""

from __future__ import annotations

from router_core.execution.tables import ensure_tables
from router_core.store.db import Database
from tests.fakes.lock_wait import OtherWriter


def test_tables_made_earlier_need_no_write_lock(tmp_path):
    path = tmp_path / "switchboard.db"
    first = Database(path)
    ensure_tables(first)  # made by an earlier process
    first.close()
    writer = OtherWriter(path)
    writer.lock()  # another process's long write, held throughout
    try:
        db = Database(path, busy_timeout_seconds=0.05)  # a lock asked for would fail at once, not wait
        ensure_tables(db)
        assert db.query("SELECT COUNT(*) FROM execution_circuits")[0][0] == 0
        db.close()
    finally:
        writer.close()


def test_a_file_without_them_gets_them_made(tmp_path):
    db = Database(tmp_path / "switchboard.db")
    ensure_tables(db)
    names = {row[0] for row in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"execution_circuits", "execution_holds", "execution_headroom", "execution_token_ratios",
            "execution_ramp"} <= names
    db.close()


def test_a_column_added_later_is_added_to_an_older_table(tmp_path):
    db = Database(tmp_path / "switchboard.db")
    ensure_tables(db)
    db.close()
    older = Database(tmp_path / "switchboard.db")
    with older.transaction() as conn:  # as a process from before the column shipped left it
        conn.execute("ALTER TABLE execution_headroom DROP COLUMN counted_event")
    ensure_tables(older)
    assert "counted_event" in {row[1] for row in older.query("PRAGMA table_info(execution_headroom)")}
    older.close()
