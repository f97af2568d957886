"""A damaged state dir is a StateUnusable naming the path and the fix, not a sqlite3 or OS error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from router_core.audit import JsonlAuditLog
from router_core.clock import FakeClock
from router_core.errors import RouterError, StateUnusable
from router_core.settings import AuditSettings
from router_core.store.db import Database


def test_a_file_that_is_not_sqlite_is_state_unusable(tmp_path: Path):
    db = tmp_path / "switchboard.db"
    db.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(StateUnusable) as err:
        Database(db)
    assert isinstance(err.value, RouterError)
    assert str(db) in str(err.value) and "move it aside" in str(err.value)
    assert db.read_bytes() == b"\x00garbage" * 512  # never overwritten


def test_a_state_dir_blocked_by_a_file_is_state_unusable(tmp_path: Path):
    (tmp_path / "state").write_text("")
    with pytest.raises(StateUnusable, match="cannot create the state directory .* is not a directory"):
        Database(tmp_path / "state" / "switchboard.db")


def test_a_file_where_the_audit_dir_goes_is_state_unusable(tmp_path: Path):
    (tmp_path / "audit").write_text("")
    with pytest.raises(StateUnusable) as err:
        JsonlAuditLog(tmp_path / "audit", AuditSettings(), FakeClock(0.0))
    assert str(tmp_path / "audit") in str(err.value) and "move it aside" in str(err.value)


def test_a_healthy_state_dir_still_opens(tmp_path: Path):
    db = Database(tmp_path / "state" / "switchboard.db")
    assert db.schema_version > 0
    db.close()
    JsonlAuditLog(tmp_path / "state" / "audit", AuditSettings(), FakeClock(0.0)).close()


# -- faults after the database opened: the disk fills, the file turns read-only ---------------------------


def _ledger(db: Database):
    from router_core.budget import BudgetLedger
    from router_core.settings import BudgetSettings

    return BudgetLedger(db, FakeClock(0.0), BudgetSettings(1e9, (("codex", 1e9),)), "me")


def test_a_full_disk_while_running_is_state_unusable_and_writes_nothing(tmp_path: Path):
    db = Database(tmp_path / "switchboard.db")
    ledger = _ledger(db)
    ledger.settle(ledger.reserve("codex", 1.0).id, 1.0)
    pages = db.query("PRAGMA page_count")[0][0]
    db.connection().execute(f"PRAGMA max_page_count = {pages}")  # this connection may not grow the file
    with pytest.raises(StateUnusable) as err:
        for _ in range(10_000):
            ledger.settle(ledger.reserve("codex", 0.01).id, 0.01)
    assert "is full" in str(err.value) and str(db.path) in str(err.value) and "SWITCHBOARD_HOME" in str(err.value)
    assert not db.in_transaction and db.query("PRAGMA integrity_check")[0][0] == "ok"
    spent = db.query("SELECT SUM(micro_usd) FROM budget_spend")[0][0]
    assert db.query("SELECT spent FROM budget_day_totals")[0][0] == spent  # the failed call left no half
    db.close()


def test_a_read_only_database_while_running_is_state_unusable(tmp_path: Path):
    db = Database(tmp_path / "switchboard.db")
    db.connection().execute("PRAGMA query_only = 1")  # SQLite's answer for a file it may not write
    with pytest.raises(StateUnusable, match="cannot be written .*writable by the user running Switchboard"):
        _ledger(db).reserve("codex", 1.0)
    assert not db.in_transaction
    db.close()


def test_a_database_file_this_user_may_not_write_is_refused_at_open(tmp_path: Path, monkeypatch):
    path = tmp_path / "switchboard.db"
    Database(path).close()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == path else real_access(p, mode))
    with pytest.raises(StateUnusable, match=r"switchboard\.db is read-only for this process"):
        Database(path)


def test_a_state_dir_this_user_may_not_write_is_refused_at_open(tmp_path: Path, monkeypatch):
    # SQLite must create the database, or its -wal and -shm once every process closed it, in the directory: in one
    # left read-only (made by a run under sudo, a read-only mount) it failed with 'unable to open database file',
    # said as 'check that <dir> still exists and its disk works', which it does.
    state = tmp_path / "state"
    state.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == state else real_access(p, mode))
    with pytest.raises(StateUnusable, match=r"state is read-only for this process.*writable by the user running"):
        Database(state / "switchboard.db")
    monkeypatch.undo()
    Database(state / "switchboard.db").close()  # closed: its -wal and -shm are gone
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == state else real_access(p, mode))
    with pytest.raises(StateUnusable, match="read-only for this process"):
        Database(state / "switchboard.db")
    monkeypatch.undo()
    running = Database(state / "switchboard.db")
    running.query("SELECT 1")  # another process has it open: nothing needs creating, so it opens
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == state else real_access(p, mode))
    Database(state / "switchboard.db").close()
    running.close()


def test_other_sqlite_errors_are_not_storage_faults(tmp_path: Path):
    import sqlite3

    db = Database(tmp_path / "switchboard.db")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        db.query("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        conn.execute("INSERT INTO kv (key) VALUES ('a')")
        conn.execute("INSERT INTO kv (key) VALUES ('a')")
    db.close()


def test_a_deleted_shm_file_stops_the_process_before_it_writes(tmp_path: Path):
    """SQLite keeps the WAL's index and locks in the -shm file: a process still on a deleted one and a process
    that created a new one overwrite each other's writes (seen: 'row missing from index' after a delete
    under two running writers). The process that lost its file refuses; a restart (a fresh open) works."""
    path = tmp_path / "switchboard.db"
    db = Database(path)
    ledger = _ledger(db)
    ledger.settle(ledger.reserve("codex", 1.0).id, 1.0)
    Path(f"{path}-shm").unlink()
    with pytest.raises(StateUnusable, match=r"switchboard\.db-shm file .* deleted or replaced .* restart every"):
        ledger.reserve("codex", 1.0)
    with pytest.raises(StateUnusable, match="deleted or replaced"):
        db.query("SELECT COUNT(*) FROM budget_spend")
    assert not db.in_transaction
    db.close()
    restarted = Database(path)
    _ledger(restarted).reserve("codex", 1.0)
    assert restarted.query("PRAGMA integrity_check")[0][0] == "ok"
    assert restarted.query("SELECT COUNT(*) FROM budget_spend")[0][0] == 1
    restarted.close()


def test_an_shm_file_replaced_by_another_is_seen(tmp_path: Path):
    path = tmp_path / "switchboard.db"
    db = Database(path)
    db.query("SELECT 1")
    shm = Path(f"{path}-shm")
    data = shm.read_bytes()
    shm.unlink()
    shm.write_bytes(data)  # what another process opening the database after the delete leaves: a new file
    with pytest.raises(StateUnusable, match="deleted or replaced"), db.transaction():
        pass
    db.close()


def test_a_full_disk_while_recording_feedback_is_state_unusable(tmp_path: Path):
    # The corrections store runs its statements on the connection itself, outside Database.transaction.
    from router_core.classifier.corrections import Correction, SqliteCorrectionStore

    db = Database(tmp_path / "switchboard.db")
    store = SqliteCorrectionStore(db.connection, faults=db.faults)
    store.add(Correction("fix the login bug", "codex", "codex"))
    pages = db.query("PRAGMA page_count")[0][0]
    db.connection().execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StateUnusable, match="is full"):
        for n in range(10_000):
            store.add(Correction(f"fix the login bug number {n} " + "x" * 500, "codex", "codex"))
    assert db.query("PRAGMA integrity_check")[0][0] == "ok"
    db.close()


def test_a_database_sqlite_will_not_put_in_wal_mode_is_state_unusable(tmp_path: Path, monkeypatch):
    # Where WAL cannot work SQLite answers PRAGMA journal_mode = WAL with the mode it keeps, no error. Before, the
    # store ran on in that mode: readers blocked the writers, and the cross-process guarantees did not hold. A
    # temporary database (SQLite's "" path) is one that refuses WAL this way, keeping 'delete'.
    import sqlite3

    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kwargs: connect("", **kwargs))
    db = tmp_path / "switchboard.db"
    with pytest.raises(StateUnusable) as err:
        Database(db)
    message = str(err.value)
    assert str(db) in message and "WAL" in message and "'delete'" in message
    assert "local disk" in message and "SWITCHBOARD_HOME" in message


def _io_error(name: str, code: int):
    import sqlite3

    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode, exc.sqlite_errorname = code, name  # as SQLite raised it when a full tmpfs stopped the -shm
    return exc


def test_an_io_error_on_a_full_disk_says_the_disk_is_full(tmp_path: Path, monkeypatch):
    # A state dir on a full tmpfs: the WAL index (-shm) could not grow, and SQLite said 'disk I/O error'
    # (SQLITE_IOERR_SHMSIZE), which read 'check that <dir> still exists and its disk works'.
    from collections import namedtuple

    from router_core.store.faults import storage_fault

    shm_size = _io_error("SQLITE_IOERR_SHMSIZE", 4874)
    path = tmp_path / "switchboard.db"
    assert "its disk works" in str(storage_fault(path, shm_size))  # a disk with room: some other I/O fault
    statvfs = namedtuple("statvfs", "f_bavail f_frsize")
    real_statvfs = os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda p: statvfs(3, 4096) if Path(p) == tmp_path else real_statvfs(p))
    said = str(storage_fault(path, shm_size))
    assert "is full (12 KiB free" in said and "SWITCHBOARD_HOME" in said and str(path) in said


def test_a_database_deleted_while_running_is_not_recreated_by_a_new_thread(tmp_path: Path):
    # `rm -rf` of the state dir under a running server: the next tool call's worker thread opened a new connection,
    # which made an empty switchboard.db, and get_budget failed with 'no such table: budget_reservations', said to
    # the assistant only as 'Error executing tool get_budget'.
    import threading

    state = tmp_path / "state"
    db = Database(state / "switchboard.db")
    db.query("SELECT COUNT(*) FROM budget_reservations")
    for name in ("switchboard.db", "switchboard.db-wal", "switchboard.db-shm"):
        (state / name).unlink(missing_ok=True)
    raised: list[BaseException] = []

    def new_thread() -> None:
        try:
            db.query("SELECT COUNT(*) FROM budget_reservations")
        except BaseException as exc:  # noqa: BLE001 (handed to the test's thread)
            raised.append(exc)

    worker = threading.Thread(target=new_thread)
    worker.start()
    worker.join()
    assert len(raised) == 1 and isinstance(raised[0], StateUnusable)
    assert "was deleted or replaced while this Switchboard process was running" in str(raised[0])
    assert not (state / "switchboard.db").exists()
    db.close()
