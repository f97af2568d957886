"""A coroutine's write transaction waits for another connection's write lock on the event loop, not in SQLite's
busy handler, which sleeps in the thread and froze every other task of the loop for up to the busy timeout."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from router_core.errors import StateUnusable
from router_core.store.db import Database
from tests.fakes.lock_wait import OtherWriter, lock_waits


@pytest.fixture
def other(db: Database) -> OtherWriter:
    writer = OtherWriter(db.path)
    yield writer
    writer.close()


def keys(db: Database) -> list[str]:
    return sorted(r[0] for r in db.query("SELECT key FROM kv"))


async def test_a_write_waits_for_another_connections_lock_while_other_coroutines_run(db: Database, other) -> None:
    other.lock()
    events = []
    with lock_waits() as waits:
        async def write() -> None:
            async with db.async_transaction() as conn:
                conn.execute("INSERT INTO kv (key, value) VALUES ('mine', '1')")
            events.append("written")

        async def release_once_it_waits() -> None:
            await waits.started.wait()  # runs while the write waits: the loop is not blocked
            events.append("released")
            other.release()

        async with anyio.create_task_group() as tg:
            tg.start_soon(write)
            tg.start_soon(release_once_it_waits)
    assert events == ["released", "written"]
    assert keys(db) == ["mine"]
    assert db.query("PRAGMA busy_timeout")[0][0] == 15000  # reads and blocking writes still wait as before


async def test_a_write_without_contention_does_not_wait_and_nested_code_joins_it(db: Database) -> None:
    with lock_waits() as waits:
        async with db.async_transaction() as conn:
            conn.execute("INSERT INTO kv (key, value) VALUES ('outer', '1')")
            with db.transaction() as inner:  # sync code called inside joins the transaction
                assert inner is conn
                inner.execute("INSERT INTO kv (key, value) VALUES ('inner', '1')")
            assert db.in_transaction
        assert waits.count == 0
    assert not db.in_transaction and keys(db) == ["inner", "outer"]
    with pytest.raises(ValueError, match="boom"):
        async with db.async_transaction() as conn:
            conn.execute("INSERT INTO kv (key, value) VALUES ('rolled back', '1')")
            raise ValueError("boom")
    assert keys(db) == ["inner", "outer"]
    with db.read(), pytest.raises(RuntimeError, match="inside a read"):
        async with db.async_transaction():
            pass


async def test_a_lock_held_past_the_busy_timeout_says_what_to_do_and_writes_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "state.db", busy_timeout_seconds=0.05)
    other = OtherWriter(db.path)
    other.lock()
    with pytest.raises(StateUnusable, match="stayed locked by another process's write.*nothing of this call "
                                            "was recorded: try again.*fuser"):
        async with db.async_transaction() as conn:
            conn.execute("INSERT INTO kv (key, value) VALUES ('during', '1')")
    assert not db.in_transaction and keys(db) == []
    other.close()
    async with db.async_transaction() as conn:  # usable again once the lock goes
        conn.execute("INSERT INTO kv (key, value) VALUES ('after', '1')")
    assert keys(db) == ["after"] and db.query("PRAGMA busy_timeout")[0][0] == 50
    db.close()


async def test_a_write_cancelled_while_it_waits_began_nothing(db: Database, other) -> None:
    other.lock()
    with lock_waits() as waits:
        async with anyio.create_task_group() as tg:
            async def write() -> None:
                async with db.async_transaction() as conn:
                    conn.execute("INSERT INTO kv (key, value) VALUES ('never', '1')")

            tg.start_soon(write)
            await waits.started.wait()
            tg.cancel_scope.cancel()
    assert not db.in_transaction and not db.connection().in_transaction
    other.release()
    async with db.async_transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('next', '1')")
    assert keys(db) == ["next"]


async def test_a_shielded_write_cancelled_while_it_waits_is_still_written(db: Database, other) -> None:
    # A billed answer's settlement: its cancellation is delivered once it is written.
    other.lock()
    events = []
    with lock_waits() as waits:
        async with anyio.create_task_group() as tg:
            async def settle() -> None:
                async with db.async_transaction(shield=True) as conn:
                    conn.execute("INSERT INTO kv (key, value) VALUES ('settled', '1')")
                events.append("written")
                await anyio.sleep_forever()

            tg.start_soon(settle)
            await waits.started.wait()
            tg.cancel_scope.cancel()
            other.release()
    assert events == ["written"] and keys(db) == ["settled"]


async def test_reads_and_blocking_writes_after_a_coroutines_write_wait_for_locks_as_before(db: Database) -> None:
    # The coroutine's write leaves SQLite's busy handler off (turning it on and off around each write cost 1.4% of
    # a dispatch's CPU); the thread's next read or blocking write turns it back on, so they wait as they did.
    def busy_timeout(conn) -> int:
        return conn.execute("PRAGMA busy_timeout").fetchone()[0]

    async with db.async_transaction() as conn:
        assert busy_timeout(conn) == 0
    with db.read() as conn:
        assert busy_timeout(conn) == 15000
    async with db.async_transaction():
        pass
    with db.transaction() as conn:
        assert busy_timeout(conn) == 15000
    async with db.async_transaction():
        pass
    assert db.query("PRAGMA busy_timeout")[0][0] == 15000


async def test_the_corrections_store_waits_for_locks_after_a_coroutines_write(db: Database) -> None:
    # The store begins its own transactions on the thread's connection (the classifier reads new corrections on the
    # event loop, after a dispatch's writes): with the busy handler left off, its BEGIN failed at once on another
    # process's lock, as "stayed locked ... longer than the busy timeout", and the classifier skipped the refresh.
    from router_core.feedback import correction_store

    async with db.async_transaction():
        pass
    store = correction_store(db, "me")
    handlers = []
    store._run(lambda conn: handlers.append(conn.execute("PRAGMA busy_timeout").fetchone()[0]))
    store._run(lambda conn: handlers.append(conn.execute("PRAGMA busy_timeout").fetchone()[0]), write=True)
    assert handlers == [15000, 15000]


async def test_a_closed_connection_is_said_as_such_not_as_a_missing_attribute(db: Database) -> None:
    # A ProgrammingError ("Cannot operate on a closed database") carries no sqlite_errorcode: reading it raised
    # AttributeError, which hid the real error.
    async with db.async_transaction():  # leaves the busy handler off: the next write goes straight to BEGIN
        pass
    db.connection().close()
    with pytest.raises(Exception) as raised:
        async with db.async_transaction():
            pass
    assert not isinstance(raised.value, AttributeError)
    assert "closed" in str(raised.value)


async def test_the_snapshot_version_is_read_only_inside_a_transaction_with_the_busy_handler_on(db: Database) -> None:
    # Before, version() ran anywhere: outside a transaction, after a coroutine's write left the busy handler off,
    # its statement could fail at once on another process's WAL recovery, and its token named no snapshot.
    async with db.async_transaction() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('mine', '1')")
    with pytest.raises(RuntimeError, match="inside db.read"):
        db.version()
    with db.read() as conn:
        version = db.version()
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 15000  # the read turned it back on
    async with db.async_transaction(), db.read():  # a read joined to a write: the write lock is held
        assert db.version() == version
