"""When a hold ends, the requests that waited for it go one after another at the provider's rate (ramp.py)."""

from __future__ import annotations

import pytest

from router_core.execution.batch import run_batch
from router_core.execution.executor import Executor
from router_core.execution.holds import QUOTA, RATE_LIMITED
from router_core.execution.pacing import PaceTicket, PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import ordered_sleep, with_limits

CODE = "Implement a JWT login endpoint in Flask"


async def test_tasks_parked_on_a_hold_do_not_all_send_in_the_instant_it_ends(
        settings, build_executor, fake, clock):
    """Every parked task woke at the hold's end and the window (60 a minute, nearly empty) let all six through
    in the same instant: a burst at the provider that had just said to slow down, which it may enforce as 1 a
    second."""
    s = with_limits(settings, codex=(60, 500_000))
    core, ex = build_executor(s)
    ex.sleep = ordered_sleep(clock, core.db)  # concurrent sleepers wake in order
    holds = core.execution_state.holds
    start = clock.now()
    holds.hold("codex", RATE_LIMITED, start + 10.0, "rate limited: retry after 10s")
    for p in ("gemini", "claude"):
        holds.hold(p, QUOTA, start + 3600.0, "quota exhausted")
    run = await run_batch(core, ex, [(f"t{i}", f"{CODE} (part {i})") for i in range(6)])
    assert [(o.status, o.provider) for o in run.outcome.outcomes] == [("success", "codex")] * 6
    answered = [r[0] - start for r in core.db.query("SELECT at FROM usage_events WHERE provider = 'codex'"
                                                    " ORDER BY at")]
    assert answered == pytest.approx([10.0, 11.0, 12.0, 13.0, 14.0, 15.0], abs=0.01)  # one a second: 60 a minute
    assert fake.stats("codex").requests == 6


def test_slots_after_a_hold_are_one_sequence_across_processes(settings, clock):
    s = with_limits(settings, codex=(60, 500_000))
    pacers = [Executor(make_core(s, clock), {}).pacer for _ in range(2)]  # two processes, one state database
    start = clock.now()
    make_core(s, clock).execution_state.holds.hold("codex", RATE_LIMITED, start + 10.0, "rate limited")
    assert pacers[0].try_acquire("codex", 10).hold == RATE_LIMITED
    clock.advance(10.0)
    first = pacers[0].try_acquire("codex", 10)
    assert isinstance(first, PaceTicket)  # the first goes at the hold's end
    waits = [pacers[i % 2].try_acquire("codex", 10) for i in range(4)]
    assert all(isinstance(w, PaceWait) and w.hold is None for w in waits)
    assert [w.slot - start for w in waits] == pytest.approx([11.0, 12.0, 13.0, 14.0], abs=1e-6)
    clock.advance(waits[0].seconds)  # the first slot is due: its holder goes, a newcomer queues behind the rest
    assert isinstance(pacers[0].try_acquire("codex", 10, slot=waits[0].slot), PaceTicket)
    late = pacers[1].try_acquire("codex", 10)
    assert isinstance(late, PaceWait) and late.slot - start == pytest.approx(15.0, abs=1e-6)
    not_yet = pacers[1].try_acquire("codex", 10, slot=waits[1].slot)
    assert isinstance(not_yet, PaceWait) and not_yet.slot == waits[1].slot  # not yet due: it keeps its place


def test_a_slot_from_before_a_later_hold_does_not_skip_the_queue(settings, clock):
    s = with_limits(settings, codex=(60, 500_000))
    core = make_core(s, clock)
    pacer = Executor(core, {}).pacer
    start = clock.now()
    core.execution_state.holds.hold("codex", RATE_LIMITED, start + 1.0, "rate limited")
    clock.advance(1.0)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)
    stale = pacer.try_acquire("codex", 10)
    assert isinstance(stale, PaceWait) and stale.slot - start == pytest.approx(2.0, abs=1e-6)
    core.execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 5.0, "rate limited again")
    clock.advance(5.0)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)  # the new hold's first slot
    again = pacer.try_acquire("codex", 10, slot=stale.slot)
    assert isinstance(again, PaceWait) and again.slot - clock.now() == pytest.approx(1.0, abs=1e-6)


def test_a_window_after_the_hold_ended_requests_are_no_longer_spaced(settings, clock):
    s = with_limits(settings, codex=(60, 500_000))
    core = make_core(s, clock)
    pacer = Executor(core, {}).pacer
    core.execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 1.0, "rate limited")
    clock.advance(1.0 + pacer.window)
    assert all(isinstance(pacer.try_acquire("codex", 10), PaceTicket) for _ in range(5))


def test_slots_nobody_came_back_for_delay_a_newcomer_by_at_most_the_ramp(settings, clock):
    # A process killed with 100 tasks queued after a hold left 100 slots a second apart: a newcomer in
    # another process waited 100 s with nothing in flight, while one asking a minute later went at once.
    s = with_limits(settings, codex=(60, 500_000))
    gone, other = (Executor(make_core(s, clock), {}).pacer for _ in range(2))
    start = clock.now()
    make_core(s, clock).execution_state.holds.hold("codex", RATE_LIMITED, start + 10.0, "rate limited")
    clock.advance(10.0)
    assert isinstance(gone.try_acquire("codex", 10), PaceTicket)
    assert all(isinstance(gone.try_acquire("codex", 10), PaceWait) for _ in range(100))
    clock.advance(1.0)
    newcomer = other.try_acquire("codex", 10)
    assert isinstance(newcomer, PaceWait) and newcomer.slot - start <= 10.0 + other.window + 1e-6


def test_a_slot_passed_back_a_little_early_keeps_its_place(settings, clock):
    # Woken 0.2 s early (a clock stepped back a little), a request went to the back of the queue.
    s = with_limits(settings, codex=(60, 500_000))
    pacer = Executor(make_core(s, clock), {}).pacer
    make_core(s, clock).execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 10.0, "rate limited")
    clock.advance(10.0)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)
    waits = [pacer.try_acquire("codex", 10) for _ in range(5)]
    clock.advance(waits[0].seconds - 0.2)
    again = pacer.try_acquire("codex", 10, slot=waits[0].slot)
    assert isinstance(again, PaceWait) and again.slot == waits[0].slot


async def test_an_outage_probe_does_not_queue_for_a_slot(settings, build_executor, fake, clock):
    # The probe dropped each slot it was given and took a new one when it came back: sent only once the
    # ramp was over (at 70 s, not at the hold's end), each try claiming the probe and a slot again.
    s = with_limits(settings, codex=(60, 500_000))
    core, ex = build_executor(s)
    circuits = core.execution_state.circuits
    for _ in range(circuits.threshold):
        circuits.record_failure("codex", "503")
    start = clock.now()
    core.execution_state.holds.hold("codex", RATE_LIMITED, start + 10.0, "rate limited")
    clock.advance(10.0)
    other = Executor(make_core(s, clock), {}).pacer  # requests that waited for the hold elsewhere
    assert isinstance(other.try_acquire("codex", 10), PaceTicket)
    assert all(isinstance(other.try_acquire("codex", 10), PaceWait) for _ in range(4))
    circuits.reschedule_probe("codex", clock.now())
    assert await ex.probe_due() == ["codex"]
