"""Agent leases: a per-agent concurrency limit shared by every process."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from router_core.clock import FakeClock
from router_core.leases import UNATTENDED_SECONDS, AgentLeases
from router_core.store.db import Database
from router_core.store.holders import current_holder

T0 = 1_772_445_600.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def leases(db: Database, clock: FakeClock) -> AgentLeases:
    return AgentLeases(db, clock, current_holder(), ttl_seconds=600)


def test_acquire_up_to_the_limit_then_none(leases: AgentLeases) -> None:
    first = leases.acquire("coder", 2, task_id="t1")
    second = leases.acquire("coder", 2)
    assert first and second and first != second
    assert leases.acquire("coder", 2) is None
    assert leases.acquire("reviewer", 2) is not None  # another agent has its own limit
    assert leases.in_use() == {"coder": 2, "reviewer": 1}


def test_release_frees_a_slot_and_is_idempotent(leases: AgentLeases) -> None:
    lease = leases.acquire("coder", 1)
    leases.release(lease)
    leases.release(lease)
    leases.release("unknown")
    assert leases.in_use() == {}
    assert leases.acquire("coder", 1) is not None


def test_a_zero_limit_never_grants(leases: AgentLeases) -> None:
    assert leases.acquire("coder", 0) is None


def test_leases_expire_after_the_ttl_unless_renewed(leases: AgentLeases, db: Database, clock: FakeClock) -> None:
    other = AgentLeases(db, clock, "elsewhere.example:1:1", ttl_seconds=600)
    leases.acquire("coder", 5)
    other.acquire("coder", 5)
    clock.advance(500)
    leases.heartbeat()
    clock.advance(100)  # the other holder's lease reaches its expiry
    assert leases.in_use() == {"coder": 1}
    assert db.query("SELECT holder FROM agent_leases")[0][0] == current_holder()  # the expired row is gone
    clock.advance(499)
    assert leases.in_use() == {"coder": 1}
    clock.advance(1)
    assert leases.in_use() == {}


def test_leases_of_dead_processes_do_not_count(leases: AgentLeases, db: Database, clock: FakeClock) -> None:
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc: a reused pid cannot be told from a live one here")
    dead = AgentLeases(db, clock, f"{socket.gethostname()}:{os.getpid()}:1")
    assert dead.acquire("coder", 1) is not None
    assert leases.acquire("coder", 1) is not None  # the dead holder's lease was dropped
    assert leases.in_use() == {"coder": 1}


def test_threads_never_exceed_the_limit(leases: AgentLeases) -> None:
    held: list[str] = []
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal peak
        for _ in range(30):
            lease = leases.acquire("coder", 3)
            if lease is None:
                continue
            with lock:
                held.append(lease)
                peak = max(peak, leases.in_use().get("coder", 0))
            leases.release(lease)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert held and peak <= 3
    assert leases.in_use() == {}


def test_a_handed_over_lease_that_lapsed_is_not_revived_by_a_later_heartbeat(
    leases: AgentLeases, db: Database, clock: FakeClock
) -> None:
    lease = leases.acquire("coder", 1)
    leases.hand_over(lease)  # the host runs it: it lapses after UNATTENDED_SECONDS
    clock.advance(UNATTENDED_SECONDS + 1)
    leases.heartbeat()  # a later task of this process waits (pacing, backoff) before anyone read the leases
    assert leases.in_use() == {}
    assert leases.acquire("coder", 1) is not None  # the slot is free again



def test_a_handed_over_lease_outlives_the_process_that_routed_it_until_its_expiry(
    leases: AgentLeases, db: Database, clock: FakeClock
) -> None:
    # The host holds the agent for UNATTENDED_SECONDS. Before, another process dropped the lease as a dead
    # process's as soon as the one that routed it exited (a `switchboard run --route-only` at once, a server
    # when it stopped), and gave the agent's only slot to another task while the host still ran the first.
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc: a reused pid cannot be told from a live one here")
    exited = AgentLeases(db, clock, f"{socket.gethostname()}:{os.getpid()}:1")  # a process no longer running
    handed = exited.acquire("coder", 1, task_id="t1")
    exited.hand_over(handed)
    assert leases.in_use() == {"coder": 1}
    assert leases.acquire("coder", 1) is None  # the host still runs it
    clock.advance(UNATTENDED_SECONDS - 1)
    leases.heartbeat()  # another process's heartbeat does not extend it either
    assert leases.in_use() == {"coder": 1}
    clock.advance(1)
    assert leases.in_use() == {}
    assert leases.acquire("coder", 1) is not None
    assert db.query("SELECT COUNT(*) FROM agent_leases")[0][0] == 1  # the lapsed row is gone


def test_a_handed_over_lease_is_never_extended_by_its_own_process(leases: AgentLeases, clock: FakeClock) -> None:
    lease = leases.acquire("coder", 1)
    leases.hand_over(lease)
    clock.advance(UNATTENDED_SECONDS - 10)
    leases.heartbeat()  # a later task of this process heartbeats its own leases
    clock.advance(10)
    assert leases.in_use() == {}


def test_a_release_that_failed_is_deleted_by_the_next_heartbeat_not_extended(tmp_path, clock: FakeClock) -> None:
    # A release that met a locked database (or a full disk) raised, and every later heartbeat of the process
    # extended the lease: its agent stayed a slot short for as long as the process ran.
    import sqlite3

    db = Database(tmp_path / "state.db", busy_timeout_seconds=0.05)
    leases = AgentLeases(db, clock, current_holder(), ttl_seconds=600)
    lease = leases.acquire("coder", 1)
    other = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing past our busy timeout
    with pytest.raises(Exception, match="locked|busy"):
        leases.release(lease)
    other.execute("COMMIT")
    other.close()
    assert leases.in_use() == {"coder": 1}
    clock.advance(500)
    leases.heartbeat()
    assert leases.in_use() == {}
    assert leases.acquire("coder", 1) is not None
    db.close()


def test_taking_a_full_agents_lease_says_why_and_what_to_do(leases: AgentLeases) -> None:
    from router_core.leases import AgentLease, AgentTaken

    assert leases.take(AgentLease("code-reviewer", 1, "t1")) is not None
    with pytest.raises(AgentTaken) as taken:
        leases.take(AgentLease("code-reviewer", 1, "t2"))
    assert "code-reviewer" in str(taken.value) and "try again when one of them ends" in str(taken.value)


def test_a_lease_handed_over_while_a_heartbeat_waits_for_the_lock_is_not_extended(
    leases: AgentLeases, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The executor's heartbeat runs in a worker thread, and waits there for the write lock while another process
    # holds it; meanwhile the event loop hands a lease over (dispatch with execute=false) and commits first. Before,
    # the heartbeat had read which leases were handed over before that wait, and extended this one by the TTL:
    # held an hour, not 15 minutes. (Here the hand-over runs as the heartbeat begins its transaction.)
    lease = leases.acquire("coder", 1)
    transaction = db.transaction

    def handed_over_first():
        monkeypatch.setattr(db, "transaction", transaction)
        leases.hand_over(lease)
        return transaction()

    monkeypatch.setattr(db, "transaction", handed_over_first)
    leases.heartbeat()
    assert db.query("SELECT expires_at FROM agent_leases")[0][0] == clock.now() + UNATTENDED_SECONDS
