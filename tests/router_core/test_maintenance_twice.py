"""Maintenance run twice on the same finds (two worker threads of one process both taking the to-do list a decision's
read left, or two processes) changes the store once: each write is guarded by the row's state under the write lock."""

from __future__ import annotations

import os
import socket

import pytest

from router_core.budget import BudgetLedger
from router_core.clock import FakeClock
from router_core.store.db import Database
from tests.router_core.test_budget import ME, SETTINGS, T0

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="tells a dead holder by /proc")


def test_a_dead_call_expired_by_two_maintenances_is_charged_once(db: Database) -> None:
    clock = FakeClock(T0)
    dead = f"{socket.gethostname()}:{os.getpid()}:1"  # this pid, but another start time
    theirs = BudgetLedger(db, clock, SETTINGS, dead)
    in_call = theirs.reserve("claude", 10.0)
    theirs.calling(in_call.id, 2.5)
    first, second = BudgetLedger(db, clock, SETTINGS, ME), BudgetLedger(Database(db.path), clock, SETTINGS, ME)
    with db.read():  # found stale in a read: expired by maintenance after it, not by the read
        first.snapshot()
    with second._db.read():
        second.snapshot()
    assert first.maintenance_due and second.maintenance_due  # both hold the same find
    first.maintain()
    second.maintain()
    snap = first.snapshot()
    assert (snap.provider("claude").spent, snap.provider("claude").reserved) == (pytest.approx(2.5), 0.0)
    second._db.close()
