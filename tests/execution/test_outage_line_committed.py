"""The "outage" audit line is written once the transaction that opens the circuit commits: one that rolls back (a
settlement that fails after it, a COMMIT refused by a full disk) opened nothing, and its line said it had; the next
failure opened the circuit again and wrote a second line for the one outage."""

from __future__ import annotations

import sqlite3

import pytest

from router_core.errors import ProviderUnavailable
from router_core.execution.failures import after_failure


class Boom(Exception):
    pass


def outage_lines(core) -> list[dict]:
    return [r for r in core.audit.tail(20) if r.get("event") == "outage"]


def unavailable() -> ProviderUnavailable:
    return ProviderUnavailable("503 from codex", provider="codex", status_code=503)


def fail(core, ex, times: int) -> None:
    for retry in range(times):
        with core.db.transaction():
            after_failure(ex, "codex", unavailable(), retry)


def test_an_outage_whose_transaction_rolls_back_writes_no_line(settings, build_executor, caplog):
    core, ex = build_executor(settings)
    threshold = settings.execution.outage_failure_threshold
    fail(core, ex, threshold - 1)
    with pytest.raises(Boom), core.db.transaction():
        after_failure(ex, "codex", unavailable(), threshold - 1)  # opens the circuit...
        raise Boom  # ...in a transaction that rolls back
    assert not core.execution_state.circuits.state("codex").is_open
    assert outage_lines(core) == []  # before: an "outage" line for an outage the store never recorded
    assert "outage after" not in caplog.text  # nor its warning
    fail(core, ex, 1)  # the failure that does open it, committed
    assert core.execution_state.circuits.state("codex").is_open
    assert len(outage_lines(core)) == 1  # before: two lines for one outage


def test_an_outage_whose_commit_fails_writes_no_line(settings, build_executor):
    core, ex = build_executor(settings)
    threshold = settings.execution.outage_failure_threshold
    fail(core, ex, threshold - 1)
    core.db.connection().executescript(  # a deferred constraint stands in for a full disk at COMMIT
        "CREATE TABLE t_parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE t_child (p INTEGER REFERENCES t_parent (id) DEFERRABLE INITIALLY DEFERRED);"
    )
    with pytest.raises(sqlite3.IntegrityError), core.db.transaction() as conn:
        after_failure(ex, "codex", unavailable(), threshold - 1)
        conn.execute("INSERT INTO t_child (p) VALUES (1)")  # refused at COMMIT
    assert not core.execution_state.circuits.state("codex").is_open
    assert outage_lines(core) == []


def test_a_committed_outage_writes_its_line_once(settings, build_executor):
    core, ex = build_executor(settings)
    fail(core, ex, settings.execution.outage_failure_threshold)
    [line] = outage_lines(core)
    assert line["provider"] == "codex" and line["consecutive_failures"] == settings.execution.outage_failure_threshold
