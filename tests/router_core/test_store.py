"""The state database: pragmas, migrations, transactions across threads and connections; holder names."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from router_core.store import db as db_module
from router_core.store.db import Database, split_statements
from router_core.store.holders import current_holder, holder_alive
from router_core.store.schema import MIGRATIONS


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "nested" / "dir" / "state.db")
    yield database
    database.close()


def test_opens_in_wal_with_the_chosen_pragmas(db: Database) -> None:
    assert db.path.parent.is_dir()
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert db.query("PRAGMA synchronous")[0][0] == 1  # NORMAL
    assert db.query("PRAGMA foreign_keys")[0][0] == 1
    assert db.query("PRAGMA busy_timeout")[0][0] == 15000


def test_a_new_database_has_small_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    # Each page a commit changes is written whole to the WAL: 1 KiB pages, not SQLite's 4 KiB default.
    fresh = Database(tmp_path / "fresh.db")
    assert fresh.query("PRAGMA page_size")[0][0] == db_module.PAGE_SIZE == 1024
    fresh.close()
    old_path = tmp_path / "old.db"  # made by an earlier version, at SQLite's default page size, in WAL mode
    old = sqlite3.connect(old_path, isolation_level=None)
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE earlier (x INTEGER)")
    old.execute("INSERT INTO earlier VALUES (7)")
    assert old.execute("PRAGMA page_size").fetchone()[0] == 4096
    existing = Database(old_path)
    assert existing.query("PRAGMA page_size")[0][0] == 4096
    assert existing.query("SELECT x FROM earlier")[0][0] == 7
    assert existing.schema_version == len(MIGRATIONS)
    with existing.transaction() as conn:  # and it is written to as before, while the other connection still reads
        conn.execute("INSERT INTO earlier VALUES (8)")
    assert old.execute("SELECT COUNT(*) FROM earlier").fetchone()[0] == 2
    existing.close()
    old.close()


def test_schema_is_at_the_latest_migration_with_every_table(db: Database) -> None:
    assert db.schema_version == len(MIGRATIONS)
    tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "usage_events", "usage_observations", "budget_reservations", "budget_spend", "budget_alerts",
        "agent_leases", "classifier_corrections", "kv",
    } <= tables
    columns = [r["name"] for r in db.query("PRAGMA table_info(classifier_corrections)")]
    assert columns == ["id", "created_at", "text", "routed_provider", "correct_provider", "task_type", "holder"]
    assert [r["name"] for r in db.query("PRAGMA table_info(kv)")] == ["key", "value", "updated_at"]


def test_reopening_keeps_data_and_does_not_migrate_again(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 0)")
    again = Database(db.path)
    assert again.schema_version == len(MIGRATIONS)
    assert again.query("SELECT value FROM kv WHERE key = 'a'")[0][0] == "1"
    again.close()


def test_a_new_migration_is_applied_once_on_open(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = "CREATE TABLE extra (x INTEGER); INSERT INTO extra (x) VALUES (7);"
    monkeypatch.setattr(db_module, "MIGRATIONS", (*MIGRATIONS, extra))
    first = Database(db.path)
    second = Database(db.path)
    assert second.schema_version == len(MIGRATIONS) + 1
    assert second.query("SELECT x FROM extra")[0][0] == 7
    assert len(second.query("SELECT x FROM extra")) == 1
    first.close()
    second.close()


def test_a_newer_schema_is_reported_not_rejected(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    db.query(f"PRAGMA user_version = {len(MIGRATIONS) + 3}")
    with caplog.at_level(logging.WARNING, logger="router_core.store.db"):
        Database(db.path).close()
    assert "newer than this Switchboard" in caplog.text


def test_transaction_commits_or_rolls_back(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('kept', 'x')")
    with pytest.raises(ZeroDivisionError), db.transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('lost', 'x')")
        raise ZeroDivisionError
    assert [r[0] for r in db.query("SELECT key FROM kv")] == ["kept"]
    assert not db.connection().in_transaction


def test_nested_transaction_joins_the_outer_one(db: Database) -> None:
    with pytest.raises(KeyError), db.transaction() as outer:
        outer.execute("INSERT INTO kv (key) VALUES ('outer')")
        with db.transaction() as inner:
            assert inner is outer
            inner.execute("INSERT INTO kv (key) VALUES ('inner')")
        raise KeyError
    assert db.query("SELECT key FROM kv") == []


def test_a_nested_scope_costs_no_new_object_and_an_error_in_it_still_rolls_back(db: Database) -> None:
    # A dispatch's settle opens five scopes inside its transaction: each joins it through this thread's one joiner.
    with pytest.raises(KeyError), db.transaction() as outer:
        joined = db.transaction()
        assert db.read() is joined and db.transaction() is joined
        with joined as inner, db.read() as reader:
            assert inner is reader is outer
            inner.execute("INSERT INTO kv (key) VALUES ('inner')")
            raise KeyError
    assert db.query("SELECT key FROM kv") == []
    assert db.transaction() is not db.transaction()  # outside one, each begins its own
    with db.read():
        assert db.read() is db.read()
    assert not db.connection().in_transaction


def test_write_inside_read_is_refused(db: Database) -> None:
    with db.read(), pytest.raises(RuntimeError, match="inside a read"), db.transaction():
        pass
    assert not db.connection().in_transaction


def test_read_sees_one_snapshot_while_another_connection_writes(db: Database) -> None:
    other = Database(db.path)
    with db.read() as conn:
        before = conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
        with other.transaction() as w:  # WAL: the writer is not blocked by the reader
            w.execute("INSERT INTO kv (key) VALUES ('new')")
        assert conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0] == before
    assert db.query("SELECT COUNT(*) FROM kv")[0][0] == before + 1
    other.close()


def test_each_thread_gets_its_own_connection(db: Database) -> None:
    seen: list[sqlite3.Connection] = []

    def work(i: int) -> None:
        seen.append(db.connection())
        with db.transaction() as conn:
            conn.execute("INSERT INTO kv (key) VALUES (?)", (f"t{i}",))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 4
    assert db.query("SELECT COUNT(*) FROM kv")[0][0] == 4


def test_connections_of_finished_threads_are_closed(db: Database) -> None:
    seen: list[sqlite3.Connection] = []
    finished = threading.Thread(target=lambda: seen.append(db.connection()))
    finished.start()
    finished.join()
    opener = threading.Thread(target=lambda: seen.append(db.connection()))
    opener.start()
    opener.join()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        seen[0].execute("SELECT 1")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_opens_its_own_connection(db: Database) -> None:
    parent_conn = db.connection()
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's connection
        ok = False
        with contextlib.suppress(BaseException):
            ok = db.connection() is not parent_conn
            with db.transaction() as conn:
                conn.execute("INSERT INTO kv (key) VALUES ('from-child')")
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.connection() is parent_conn
    assert db.query("SELECT key FROM kv")[0][0] == "from-child"


def test_concurrent_increments_from_threads_lose_nothing(db: Database) -> None:
    db.query("INSERT INTO kv (key, value) VALUES ('n', '0')")

    def bump() -> None:
        for _ in range(50):
            with db.transaction() as conn:
                n = int(conn.execute("SELECT value FROM kv WHERE key = 'n'").fetchone()[0])
                conn.execute("UPDATE kv SET value = ? WHERE key = 'n'", (str(n + 1),))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.query("SELECT value FROM kv WHERE key = 'n'")[0][0] == "200"


def test_split_statements_keeps_semicolons_inside_strings() -> None:
    script = "CREATE TABLE a (x TEXT); INSERT INTO a VALUES ('x;y');\n -- done\n"
    assert split_statements(script) == ["CREATE TABLE a (x TEXT);", "INSERT INTO a VALUES ('x;y');"]


# -- holders ---------------------------------------------------------------------------------------


def test_current_holder_names_host_pid_and_start() -> None:
    host, pid, start = current_holder().rsplit(":", 2)
    assert host == socket.gethostname()
    assert int(pid) == os.getpid()
    assert start
    assert holder_alive(current_holder())


def test_a_reused_pid_with_another_start_time_is_dead() -> None:
    host, pid, _ = current_holder().rsplit(":", 2)
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc: start times cannot be compared on this system")
    assert not holder_alive(f"{host}:{pid}:1")


def test_other_hosts_are_assumed_alive_and_garbage_is_dead() -> None:
    assert holder_alive("some-other-host.example:1:123")
    assert not holder_alive("not a holder")
    assert not holder_alive(f"{socket.gethostname()}:0:1")


def _report_holder(queue) -> None:  # runs in a spawned child
    queue.put(current_holder())


def test_a_finished_process_is_dead() -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_report_holder, args=(queue,))
    child.start()
    holder = queue.get(timeout=60)
    child.join(60)
    assert holder != current_holder()
    assert not holder_alive(holder)


def test_the_wal_shrinks_back_after_a_burst(tmp_path):
    # Without journal_size_limit a WAL grown by a burst of writers kept its size for good.
    db = Database(tmp_path / "state.db")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE blob (b BLOB)")
        conn.executemany("INSERT INTO blob VALUES (?)", [(os.urandom(4096),) for _ in range(4000)])  # ~16 MB
    wal = tmp_path / "state.db-wal"
    assert wal.stat().st_size > db_module.WAL_SIZE_LIMIT
    db.query("PRAGMA wal_checkpoint(PASSIVE)")  # as the automatic checkpoint does
    with db.transaction() as conn:  # the next write restarts the log, and cuts the file to the limit
        conn.execute("INSERT INTO blob VALUES (x'00')")
    assert wal.stat().st_size <= db_module.WAL_SIZE_LIMIT
    db.close()


def test_a_write_locked_out_past_the_busy_timeout_says_so_and_loses_nothing(tmp_path: Path) -> None:
    # Another process inside a long write transaction (a sqlite3 shell left in BEGIN, a backup tool): the
    # CLI printed a bare "sqlite3.OperationalError: database is locked" traceback.
    from router_core.errors import StateUnusable

    db = Database(tmp_path / "state.db", busy_timeout_seconds=0.05)
    with db.transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('before', '1')")
    other = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    locked_out = pytest.raises(StateUnusable, match="stayed locked by another process's write.*nothing of this call")
    with locked_out, db.transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('during', '1')")
    assert [r[0] for r in db.query("SELECT key FROM kv")] == ["before"]  # reads go on meanwhile (WAL)
    other.execute("ROLLBACK")
    other.close()
    with db.transaction() as conn:  # usable again once the lock goes
        conn.execute("INSERT INTO kv (key, value) VALUES ('after', '1')")
    assert sorted(r[0] for r in db.query("SELECT key FROM kv")) == ["after", "before"]
