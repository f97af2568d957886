"""A transaction scope whose database is closed before it ends (Database.close in another thread, as at shutdown):
a write that meant to commit says nothing of it was recorded (StateUnusable), a read ends quietly, and an exception
already on its way out is the one raised. Before, each raised AttributeError ('_thread._local' object has no
attribute 'committed') from the per-thread state close() had emptied, hiding what happened."""

from __future__ import annotations

import threading

import pytest

from router_core.errors import StateUnusable
from router_core.store.db import Database


class Boom(Exception):
    pass


def close_elsewhere(db: Database) -> None:
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join()


def test_a_write_whose_database_is_closed_under_it_says_nothing_was_recorded(db: Database) -> None:
    with pytest.raises(StateUnusable, match="closed while this write transaction was open"), db.transaction() as conn:
        conn.execute("CREATE TABLE t (x)")
        close_elsewhere(db)
    assert db.query("SELECT name FROM sqlite_master WHERE name = 't'") == []  # rolled back, as it said


async def test_a_coroutines_write_whose_database_is_closed_under_it_says_nothing_was_recorded(db: Database) -> None:
    with pytest.raises(StateUnusable, match="nothing of it was recorded"):
        async with db.async_transaction() as conn:
            conn.execute("CREATE TABLE t (x)")
            close_elsewhere(db)


def test_a_read_whose_database_is_closed_under_it_ends_quietly(db: Database) -> None:
    with db.read() as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
        close_elsewhere(db)
    assert db.query("SELECT 2")[0][0] == 2  # and the database opens a connection again for the next use


def test_the_exception_of_a_scope_whose_database_is_closed_under_it_is_the_one_raised(db: Database) -> None:
    with pytest.raises(Boom), db.transaction():
        close_elsewhere(db)
        raise Boom


def test_a_write_whose_connection_is_closed_before_its_commit_says_nothing_was_recorded(db: Database) -> None:
    # Database.close closes the connections before it empties the per-thread state: a COMMIT in between meets a
    # closed connection (sqlite3.ProgrammingError, before).
    with pytest.raises(StateUnusable, match="nothing of it was recorded"), db.transaction() as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.close()
    again = Database(db.path)  # (this one's per-thread state still names the closed connection, as mid-close)
    assert again.query("SELECT name FROM sqlite_master WHERE name = 't'") == []
    again.close()


def test_after_commit_actions_of_a_closed_write_never_run(db: Database) -> None:
    ran: list[str] = []
    with pytest.raises(StateUnusable), db.transaction():
        db.after_commit(lambda: ran.append("committed"))
        close_elsewhere(db)
    assert ran == []
