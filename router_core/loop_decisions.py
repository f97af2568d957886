"""A decision made by a coroutine on the event loop (dispatch, recommend_provider, a batch's plan): its reads run
there, its writes, when it has any, in a worker thread.

A decision mostly reads, and WAL readers never wait for a writer. Now and then it writes: rows repaired after a clock
step back, the maintenance a read found due (reservations of dead processes expired, dead leases deleted, old usage
events pruned), a budget alert claimed, and the agent's lease when it takes one. A write waits for the state
database's write lock, and SQLite's busy handler sleeps in the calling thread while another process holds it (up to
the busy timeout: a sqlite3 shell left inside BEGIN, a process stopped in a debugger); on the event loop that froze
every session of an HTTP server, its pings and its dashboard. So these writes go to a worker thread, as the sync
tools' do (tools/_context.in_worker), and only when there are some: the common decision (nothing due, no lease)
costs no thread hop (~0.2 ms; tools/routing.py says what one cost the stdio round trip).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from router_core.slot_init import slot_init

if TYPE_CHECKING:
    from router_core.capacity_view import CapacityView
    from router_core.core import RouterCore
    from router_core.decision import RoutingDecision
    from router_core.models import Classification, CostEstimate, Recommendation


@slot_init
@dataclass(frozen=True, slots=True)
class Routed:
    """A decision's reads (RouterCore.route), which RouterCore.conclude makes the decision of, with its writes."""

    text: str
    task_id: str | None
    repo: str | None
    classification: Classification
    costs: dict[str, CostEstimate]
    view: CapacityView
    in_use: dict[str, int]  # agents' live leases, from the same snapshot
    recommendation: Recommendation
    at: float  # when it was made


async def decide_on_loop(core: RouterCore, task: str, *, lease_agent: bool = False, audit: bool = True,
                         event: str = "recommendation", **route: str | float | None) -> tuple[RoutingDecision, CapacityView]:
    """RouterCore.decide_with_capacity for a coroutine on the event loop: its writes, if any, in a worker thread.
    ``route``: repo, task_id, provider, max_cost (RouterCore.route)."""
    if core.clock_steps.stepped_back():
        await repair_clock_steps(core)
    routed = core.route(task, **route)
    if core.decision_writes_due(routed, lease_agent=lease_agent):
        conclude = functools.partial(core.conclude, routed, lease_agent=lease_agent, audit=audit, event=event)
        return await anyio.to_thread.run_sync(conclude)
    return core.conclude(routed, lease_agent=lease_agent, audit=audit, event=event)


async def capacity_on_loop(core: RouterCore) -> CapacityView:
    """RouterCore.capacity for a coroutine on the event loop: the writes its read found due in a worker thread."""
    await repair_clock_steps(core)
    view = core.capacity(maintain=False)
    if core.maintenance_due():
        await anyio.to_thread.run_sync(core.maintain)
    return view


async def release_agent_on_loop(core: RouterCore, lease_id: str) -> None:
    """Give an agent lease back from a coroutine: its write lock waited for on the loop (store/scopes.py), shielded (a
    cancelled task's release is written too); remembered first, so the next lease heartbeat deletes it should the
    wait time out or the delete fail (the error propagates)."""
    core.leases.release_later(lease_id)
    async with core.db.async_transaction(shield=True):
        core.release_agent(lease_id)


async def repair_clock_steps(core: RouterCore) -> None:
    """The repair after a clock set back (clock_steps.py), in a worker thread, before a read on the loop that
    would make it."""
    if core.clock_steps.stepped_back():
        await anyio.to_thread.run_sync(core.clock_steps.check)
