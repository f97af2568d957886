"""An answer whose settlement the state database could not take (locked past its busy timeout, a full disk) is
returned with a warning; its cost reaches the budget once the database can be written again, exactly once."""

from __future__ import annotations

import sqlite3

import pytest

from router_core.budget_text import money
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep
from tests.fakes.lock_wait import short_busy_timeout

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex first


class LockedAfterAnswering(ScriptedAdapter):
    """Answers; the first time, another process takes the state database's write lock as the answer arrives."""

    def __init__(self, provider, path) -> None:
        super().__init__(provider)
        self.path = path
        self.other: sqlite3.Connection | None = None

    async def complete(self, request):
        completion = await super().complete(request)
        if self.other is None:
            self.other = sqlite3.connect(self.path, isolation_level=None)
            self.other.execute("BEGIN IMMEDIATE")
        return completion

    def unlock(self) -> None:
        self.other.execute("COMMIT")


def locked_executor(settings, clock):
    core = make_core(settings, clock)
    short_busy_timeout(core.db, 0.05)  # give up on the lock at once, not after 15 s
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("gemini", "claude")}
    adapters["codex"] = LockedAfterAnswering(settings.provider("codex"), core.db.path)
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5), adapters["codex"]


def codex_budget(core):
    return next(p for p in core.budget().providers if p.provider == "codex")


async def test_an_answer_whose_settle_failed_is_returned_and_its_cost_recorded_once_later(settings, clock):
    # The settle's error went up through the dispatch: the answer, paid for, was lost to the caller, and the
    # reservation was released as the turn ended, so its cost never reached the budget either.
    core, ex, codex = locked_executor(settings, clock)
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert (o.status, o.provider, o.text, o.backend) == ("success", "codex", "codex answer", "api")
    assert o.cost_usd > 0
    assert "could not be recorded in the budget" in o.warning and "Do not run the task again" in o.warning
    assert f"its cost ({money(o.cost_usd)})" in o.warning  # as every message says an amount (it had six decimals)
    assert r.audit["execution_metrics"]["warning"] == o.warning
    codex.unlock()
    held = codex_budget(core)
    assert held.spent == 0 and held.reserved >= o.cost_usd  # still counted, at the reservation
    clock.advance(60)
    core.ledger.heartbeat()  # the heartbeats of a task waiting for room (Executor.wait)
    core.leases.heartbeat()
    assert core.leases.in_use() == {}  # the agent's lease, released with the answer, goes all the same
    settled = codex_budget(core)
    assert (settled.spent, settled.reserved) == (pytest.approx(o.cost_usd, abs=1e-6), 0)
    core.ledger.heartbeat()
    second = (await dispatch(core, ex, CODE_TASK)).outcome  # the next reservation has nothing left to settle
    assert second.status == "success" and second.warning is None
    assert codex_budget(core).spent == pytest.approx(o.cost_usd + second.cost_usd, abs=1e-6)
    rows = core.db.query("SELECT COUNT(*) FROM budget_spend WHERE provider = 'codex'")
    assert rows[0][0] == 2


async def test_the_next_reservation_records_the_cost_of_an_answer_whose_settle_failed(settings, clock):
    core, ex, codex = locked_executor(settings, clock)
    first = (await dispatch(core, ex, CODE_TASK)).outcome
    codex.unlock()
    second = (await dispatch(core, ex, CODE_TASK)).outcome
    assert first.warning and second.warning is None
    codex_now = codex_budget(core)
    assert codex_now.spent == pytest.approx(first.cost_usd + second.cost_usd, abs=1e-6)
    assert codex_now.reserved == 0
