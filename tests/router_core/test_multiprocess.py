"""Several real processes sharing one state database and one audit directory at the same time.

Workers run in "spawn" children on the system clock; nothing here asserts on durations.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from router_core.audit import JsonlAuditLog
from router_core.budget import BudgetLedger
from router_core.clock import SystemClock
from router_core.errors import BudgetExceeded
from router_core.leases import AgentLeases
from router_core.settings import AuditSettings, BudgetSettings
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.store.ledger import to_micro
from router_core.usage import UsageTracker

pytestmark = pytest.mark.slow

WORKERS = 4
OPS = 50
PRICE = 0.03
BUDGET = BudgetSettings(daily_total=100.0, allocations=(("codex", 1.00), ("claude", 30.0)))
AUDIT = AuditSettings(max_bytes=300_000)  # small, so writers rotate parts while racing
LEASE_LIMIT = 2
ctx = multiprocessing.get_context("spawn")


def _pad(writer: int, i: int) -> str:
    return chr(ord("A") + writer) * (20_000 + 97 * i)  # 20-25 KB lines, far above PIPE_BUF


def _worker(db_path: Path, audit_dir: Path, writer: int, barrier, results) -> None:
    clock, holder = SystemClock(), current_holder()
    db = Database(db_path)
    usage = UsageTracker(db, clock, window_seconds=3600)
    ledger = BudgetLedger(db, clock, BUDGET, holder)
    leases = AgentLeases(db, clock, holder)
    audit = JsonlAuditLog(audit_dir, AUDIT, clock)
    won = leases_won = 0
    peak_committed = peak_leases = 0
    barrier.wait()
    for i in range(OPS):
        usage.record("codex", requests=1, tokens=7 + writer)
        try:
            reservation = ledger.reserve("codex", PRICE)
        except BudgetExceeded:
            pass
        else:
            won += 1
            seen = ledger.snapshot().provider("codex")
            peak_committed = max(peak_committed, to_micro(seen.spent) + to_micro(seen.reserved))
            ledger.settle(reservation.id, PRICE)
        lease = leases.acquire("coder", LEASE_LIMIT)
        if lease is not None:
            leases_won += 1
            peak_leases = max(peak_leases, leases.in_use().get("coder", 0))
            leases.release(lease)
        audit.append({"writer": writer, "i": i, "pad": _pad(writer, i)})
    results.put({"won": won, "peak_committed": peak_committed, "leases_won": leases_won, "peak_leases": peak_leases})


def test_processes_racing_lose_nothing_and_overspend_nothing(tmp_path: Path) -> None:
    db_path, audit_dir = tmp_path / "state.db", tmp_path / "audit"
    db = Database(db_path)
    ledger = BudgetLedger(db, SystemClock(), BUDGET, current_holder())
    day_before = ledger.day()
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(db_path, audit_dir, n, barrier, results)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    reports = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0

    window = UsageTracker(db, SystemClock(), window_seconds=3600).window("codex")
    assert (window.requests, window.tokens) == (WORKERS * OPS, sum(OPS * (7 + n) for n in range(WORKERS)))

    assert all(r["peak_committed"] <= to_micro(1.00) for r in reports)
    snap = ledger.snapshot().provider("codex")
    assert to_micro(snap.spent) + to_micro(snap.reserved) <= to_micro(1.00)
    if ledger.day() == day_before:  # a midnight during the run would open a second day's allocation
        assert sum(r["won"] for r in reports) == int(round(1.00 / PRICE, 6))  # 33 reservations fit
        assert snap.spent == pytest.approx(33 * PRICE)

    assert all(r["peak_leases"] <= LEASE_LIMIT for r in reports)
    assert sum(r["leases_won"] for r in reports) > 0
    assert AgentLeases(db, SystemClock(), current_holder()).in_use() == {}

    audit = JsonlAuditLog(audit_dir, AUDIT, SystemClock())
    records = [r for day in audit.days() for r in audit.read_day(day)]
    assert audit.skipped_lines == 0
    assert len(records) == WORKERS * OPS
    assert {(r["writer"], r["i"]) for r in records} == {(n, i) for n in range(WORKERS) for i in range(OPS)}
    assert all(r["pad"] == _pad(r["writer"], r["i"]) for r in records)
    parts = [p for day in audit.days() for p in audit.parts(day)]
    assert len(parts) > 1  # rotation happened under the race...
    assert all(p.stat().st_size <= AUDIT.max_bytes for p in parts)  # ...and writers agreed on the target part
    db.close()


def _reserve_then_die(db_path: Path, mode: str, pipe) -> None:
    clock, holder = SystemClock(), current_holder()
    db = Database(db_path)
    reservation = BudgetLedger(db, clock, BUDGET, holder).reserve("claude", 25.0)
    lease = AgentLeases(db, clock, holder).acquire("coder", 1)
    pipe.send((reservation.id, lease))
    if mode == "exit":
        os._exit(0)  # no settle, no release, no cleanup
    signal.pause()  # wait to be killed


@pytest.mark.parametrize("mode", ["exit", "sigkill"])
def test_a_dead_process_gives_back_its_reservation_and_lease(tmp_path: Path, mode: str) -> None:
    db = Database(tmp_path / "state.db")
    ledger = BudgetLedger(db, SystemClock(), BUDGET, current_holder())
    leases = AgentLeases(db, SystemClock(), current_holder())
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_reserve_then_die, args=(db.path, mode, theirs))
    child.start()
    reservation_id, lease_id = ours.recv()
    assert lease_id is not None
    if mode == "sigkill":
        assert ledger.snapshot().provider("claude").reserved == 25.0  # alive: it counts
        assert leases.acquire("coder", 1) is None
        os.kill(child.pid, signal.SIGKILL)
    child.join(60)
    status = db.query("SELECT status FROM budget_reservations WHERE id = ?", (reservation_id,))[0][0]
    assert status == "live"  # nobody has looked yet

    assert ledger.snapshot().provider("claude").reserved == 0.0
    assert db.query("SELECT status FROM budget_reservations WHERE id = ?", (reservation_id,))[0][0] == "expired"
    assert leases.in_use() == {}
    assert leases.acquire("coder", 1) is not None
    ledger.reserve("claude", 30.0)  # the whole allocation is free again
    db.close()
