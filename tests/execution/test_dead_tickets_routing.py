"""A process killed mid-call (kill -9) left its paced requests stamped in flight, ahead by the call's timeout
(pacing.py): routing, `switchboard usage` and `recommend` showed the provider BLOCKED until that timeout and a
window more (8.5 minutes at the defaults), and, with routing going elsewhere, no pacer of that provider came to
reclaim them. Whichever process finds the dead process's budget reservations now restamps its requests to then,
as the pacer's reclaim does; a live process's, or a silent one's on another host, stay in flight."""

from __future__ import annotations

import socket

import pytest

from router_core.budget import BudgetLedger
from router_core.execution.pacing import RatePacer
from tests.execution.conftest import make_core
from tests.execution.fakes import with_limits

IN_FLIGHT = 125.0


def _in_flight_of(core, clock, settings, holder: str, calls: int) -> None:
    """``holder`` (another process) reserved and sent ``calls`` codex calls, none answered yet."""
    pacer = RatePacer(core.db, clock, settings, core.usage_tracker, in_flight_seconds=IN_FLIGHT)
    theirs = BudgetLedger(core.db, clock, settings.budget, holder)
    for _ in range(calls):
        reservation = theirs.reserve("codex", 0.01)
        theirs.calling(reservation.id, 0.01)
        ticket = pacer.try_acquire("codex", 10)
        core.db.query("UPDATE usage_events SET holder = ? WHERE id = ?", (holder, ticket.event_id))


def test_a_killed_process_requests_leave_the_window_a_window_after_it_is_found(settings, clock):
    s = with_limits(settings, codex=(2, 10_000))
    core = make_core(s, clock)
    gone = f"{socket.gethostname()}:{2**22 + 7}:123"  # beyond any pid: a process of this host that ended
    _in_flight_of(core, clock, s, gone, 2)
    clock.advance(10.0)
    core.capacity()  # finds its reservations: charged at the estimates, its requests restamped
    found = clock.now()
    assert core.capacity().availability["codex"].lifts_at == pytest.approx(found + 60.0, abs=0.01)
    assert core.budget().provider("codex").spent == pytest.approx(0.02)


def test_a_live_process_requests_stay_in_flight(settings, clock):
    s = with_limits(settings, codex=(2, 10_000))
    core = make_core(s, clock)
    elsewhere = "elsewhere.example:1:1"  # another host's: trusted until its reservations' TTL
    _in_flight_of(core, clock, s, elsewhere, 2)
    clock.advance(10.0)
    core.capacity()
    sent = clock.now() - 10.0
    assert core.capacity().availability["codex"].lifts_at == pytest.approx(sent + IN_FLIGHT + 60.0, abs=0.01)
