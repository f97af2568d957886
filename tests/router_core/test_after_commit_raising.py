"""Database.after_commit: an action that raises once the write has committed is logged, and the actions after it still
run. Before, its exception escaped from a scope whose write had committed (the caller took it for a failed write: a
task's failure path ended without its fallback) and the actions after it never ran (the marks of releases to redo,
the outage line and warnings said once the circuit's change commits)."""

from __future__ import annotations

import logging

import pytest

from router_core.store.db import Database


class Boom(Exception):
    pass


def boom() -> None:
    raise Boom("the audit log went away")


def test_an_action_raising_after_the_commit_is_logged_and_the_others_run(db: Database, caplog) -> None:
    ran: list[str] = []
    with caplog.at_level(logging.ERROR, logger="router_core.store.scopes"), db.transaction() as conn:
        conn.execute("CREATE TABLE t (x)")
        db.after_commit(lambda: ran.append("first"))
        db.after_commit(boom)
        db.after_commit(lambda: ran.append("last"))
    assert ran == ["first", "last"]
    assert db.query("SELECT name FROM sqlite_master WHERE name = 't'") != []  # committed, as the scope's end says
    assert "the audit log went away" in caplog.text


async def test_a_coroutines_write_ends_as_committed_too(db: Database, caplog) -> None:
    ran: list[str] = []
    with caplog.at_level(logging.ERROR, logger="router_core.store.scopes"):
        async with db.async_transaction() as conn:
            conn.execute("CREATE TABLE t (x)")
            db.after_commit(boom)
            db.after_commit(lambda: ran.append("last"))
    assert ran == ["last"]
    assert db.query("SELECT name FROM sqlite_master WHERE name = 't'") != []
    assert "the audit log went away" in caplog.text


def test_an_action_outside_a_transaction_runs_at_once_under_the_same_rule(db: Database, caplog) -> None:
    ran: list[str] = []

    def noted_then_boom() -> None:
        ran.append("ran")
        boom()

    with caplog.at_level(logging.ERROR, logger="router_core.store.scopes"):
        db.after_commit(noted_then_boom)  # nothing to wait for: run now, and logged as after a commit
    assert ran == ["ran"]
    assert "the audit log went away" in caplog.text


def test_an_interrupt_is_not_swallowed(db: Database) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), db.transaction():
        db.after_commit(interrupt)
