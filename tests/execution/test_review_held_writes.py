"""What a dispatch holds (an agent lease, a billed try's charge) when something goes wrong between taking it and
recording what became of it: a cancellation while the hand-over waits for the write lock, a bug in what a failed
try's record does after its charge is settled in the same transaction, a hand-over that times out on the lock."""

from __future__ import annotations

import anyio
import pytest

from router_core.errors import StateUnusable
from router_core.execution import attempts
from router_core.execution import dispatch as dispatch_module
from router_core.execution.dispatch import dispatch
from router_core.leases import UNATTENDED_SECONDS
from tests.fakes.fake_provider import Fault
from tests.fakes.lock_wait import OtherWriter, lock_waits, short_busy_timeout

CODE_TASK = "Implement a JWT login endpoint in Flask"


def locked_once_decided(core, monkeypatch, *, busy_timeout: float) -> OtherWriter:
    """Another process takes the write lock as soon as the dispatch has routed and leased its agent (returned, to
    release); ``core``'s blocking writes give up on it after ``busy_timeout`` seconds."""
    short_busy_timeout(core.db, busy_timeout)
    other = OtherWriter(core.db.path)
    decide = dispatch_module.decide_on_loop

    async def decided_then_locked(*args, **kwargs):
        decided = await decide(*args, **kwargs)
        other.lock()
        return decided

    monkeypatch.setattr(dispatch_module, "decide_on_loop", decided_then_locked)
    return other


async def test_a_dispatch_cancelled_while_its_hand_over_waits_for_the_lock_still_hands_the_lease_over(
    settings, build_executor, clock, monkeypatch
):
    # Before, the hand-over's wait was not shielded: cancelled there, the leased agent was never handed over, and
    # every lease heartbeat of this process extended it by the lease TTL: the agent had a slot fewer for as long
    # as the process ran tasks. Now the wait is shielded, as a release's is: the lease lapses as a handed-over one.
    core, ex = build_executor(settings)
    other = locked_once_decided(core, monkeypatch, busy_timeout=5.0)
    with lock_waits() as waits:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: dispatch(core, ex, CODE_TASK, execute=False))
            await waits.started.wait()  # the hand-over waits for the lock on the loop
            tg.cancel_scope.cancel()  # the host cancels the call
            other.release()
    other.close()
    rows = core.db.query("SELECT expires_at FROM agent_leases")
    assert [r[0] for r in rows] == [clock.now() + UNATTENDED_SECONDS]  # handed over: it lapses, heartbeats aside
    core.leases.heartbeat()
    assert [r[0] for r in core.db.query("SELECT expires_at FROM agent_leases")] == [clock.now() + UNATTENDED_SECONDS]


async def test_a_billed_try_whose_record_fails_with_a_bug_is_still_charged(settings, build_executor, fake,
                                                                         monkeypatch):
    # A failed try's charge and what it says of the provider (a hold, the outage circuit) are one transaction. Before,
    # only a StateUnusable of it left the charge to settle later: a bug after the settlement rolled the charge back,
    # and the reservation, forgotten by the try, stayed live (refreshed by every heartbeat), reserved for good.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.ok(text="", output_tokens=50_000)])  # billed, no text: settled as a failure

    def bug(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(attempts, "after_failure", bug)
    with pytest.raises(KeyError):
        await dispatch(core, ex, CODE_TASK, provider="codex", max_cost=0.002)
    core.ledger.heartbeat()
    budget = core.budget()
    assert budget.reserved == 0 and budget.spent > 0


async def test_a_hand_over_that_times_out_on_the_lock_leaves_its_lease_to_the_next_heartbeat(
    settings, build_executor, clock, monkeypatch
):
    # The hand-over's write gave up on another process's lock (StateUnusable to the host, which will not run the
    # task): the lease stayed this process's, and every heartbeat extended it for as long as the process ran.
    # Now it is remembered as released: the next heartbeat deletes it.
    core, ex = build_executor(settings)
    other = locked_once_decided(core, monkeypatch, busy_timeout=0.3)  # held past the timeout
    with pytest.raises(StateUnusable):
        await dispatch(core, ex, CODE_TASK, execute=False)
    other.release()
    other.close()
    assert len(core.db.query("SELECT id FROM agent_leases")) == 1  # leased, not handed over
    core.leases.heartbeat()
    assert core.db.query("SELECT id FROM agent_leases") == []
