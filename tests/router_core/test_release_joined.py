"""A release joined to a caller's transaction (a settlement's, a turn's end) that then rolls back, or whose COMMIT
fails: the reservation or lease is released by the next heartbeat, as after a release whose own write failed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.leases import AgentLeases
from router_core.store.db import Database
from tests.router_core.test_budget import ME, SETTINGS, T0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


class Boom(Exception):
    pass


@contextmanager
def raising(db: Database) -> Iterator[None]:
    """An outer transaction whose body raises after the release: it rolls back."""
    with pytest.raises(Boom), db.transaction():
        yield
        raise Boom


@contextmanager
def commit_failing(db: Database) -> Iterator[None]:
    """An outer transaction whose COMMIT fails (a deferred constraint stands in for a full disk or an I/O error)."""
    db.connection().executescript(
        "CREATE TABLE IF NOT EXISTS t_parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE IF NOT EXISTS t_child (p INTEGER REFERENCES t_parent (id) DEFERRABLE INITIALLY DEFERRED);"
    )
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as conn:
        yield
        conn.execute("INSERT INTO t_child (p) VALUES (1)")  # no such parent: refused at COMMIT


OUTER = pytest.mark.parametrize("outer", [raising, commit_failing], ids=["outer-raises", "outer-commit-fails"])


@OUTER
def test_a_reservation_released_in_a_transaction_that_fails_is_released_by_the_next_heartbeat(
    db: Database, clock: FakeClock, outer: Callable[[Database], AbstractContextManager[None]]
) -> None:
    # Before: the joined release forgot its mark as its (joined, no-op) scope ended, the outer transaction's
    # failure undid the release, and the heartbeat refreshed the reservation: 20 USD held until the process ended.
    ledger = BudgetLedger(db, clock, SETTINGS, ME)
    r = ledger.reserve("codex", 20.0)
    with outer(db):
        ledger.release(r.id)
    assert ledger.snapshot().provider("codex").reserved == 20.0  # rolled back with the outer transaction
    ledger.heartbeat()
    assert ledger.snapshot().provider("codex").reserved == 0.0


@OUTER
def test_a_lease_released_in_a_transaction_that_fails_is_deleted_by_the_next_heartbeat(
    db: Database, clock: FakeClock, outer: Callable[[Database], AbstractContextManager[None]]
) -> None:
    leases = AgentLeases(db, clock, ME, ttl_seconds=600)
    lease = leases.acquire("coder", 1)
    with outer(db):
        leases.release(lease)
    assert leases.in_use() == {"coder": 1}
    leases.heartbeat()
    assert leases.in_use() == {}


def test_a_release_joined_to_a_transaction_that_commits_is_forgotten_then(db: Database, clock: FakeClock) -> None:
    ledger = BudgetLedger(db, clock, SETTINGS, ME)
    leases = AgentLeases(db, clock, ME, ttl_seconds=600)
    r, lease = ledger.reserve("codex", 20.0), leases.acquire("coder", 1)
    with db.transaction():
        ledger.release(r.id)
        leases.release(lease)
        assert (ledger._released, leases._released) == ({r.id}, {lease})  # kept until the outer one commits
    assert (ledger._released, leases._released) == (set(), set())
    assert ledger.snapshot().provider("codex").reserved == 0.0 and leases.in_use() == {}


def test_after_commit_runs_at_once_outside_a_transaction_and_never_after_a_rollback(db: Database) -> None:
    ran: list[str] = []
    db.after_commit(lambda: ran.append("now"))
    with pytest.raises(Boom), db.transaction():
        db.after_commit(lambda: ran.append("rolled back"))
        raise Boom
    with db.transaction():
        with db.transaction():  # joined
            db.after_commit(lambda: ran.append("committed"))
        assert ran == ["now"]
    assert ran == ["now", "committed"]
