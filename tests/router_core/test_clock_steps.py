"""A wall clock set back (an NTP step, a resumed VM) leaves rows stamped in the future: they are brought back."""

from __future__ import annotations

from router_core.clock_steps import RETRY_SECONDS
from router_core.execution.holds import QUOTA, RATE_LIMITED, UNAVAILABLE
from router_core.execution.pacing import PaceTicket, PaceWait, RatePacer
from tests.fakes.lock_wait import OtherWriter, short_busy_timeout

STEP = 2 * 3600.0


def gemini_window_full(core) -> int:
    limit = core.settings.provider("gemini").requests_per_minute
    for _ in range(limit):
        core.usage_tracker.record("gemini", requests=1, tokens=10)
    return limit


def test_a_window_filled_before_the_clock_went_back_empties_one_window_later(keyword_core, clock):
    core = keyword_core
    gemini_window_full(core)
    holds = core.execution_state.holds
    holds.hold("claude", RATE_LIMITED, clock.now() + 30, "rate limited: retry after 30s")
    holds.hold("codex", QUOTA, clock.now() + 3600, "quota exhausted")
    lease = core.leases.acquire("code-reviewer", 5)
    clock.advance(-STEP)
    d = core.decide("Analyze the error logs from last week")  # a decision notices the step and repairs first
    assert d.availability["claude"].available  # the hold, lifted, did not block this decision
    assert core.capacity().usage["gemini"].requests_used == core.settings.provider("gemini").requests_per_minute
    assert holds.active("claude") == {}  # a 30 s hold had become two hours; a new 429 would set it again
    assert holds.active("codex")["codex"].until == clock.now() + 3600 + STEP  # within a day: left as it was
    clock.advance(61)
    assert core.capacity().usage["gemini"].requests_used == 0  # before: still full for two hours
    assert lease in {r["id"] for r in core.db.query("SELECT id FROM agent_leases")}


def test_the_pacer_waits_one_window_not_the_step(keyword_core, clock):
    core = keyword_core
    pacer = RatePacer(core.db, clock, core.settings, core.usage_tracker, in_flight_seconds=125.0,
                      clock_steps=core.clock_steps)
    gemini_window_full(core)
    clock.advance(-STEP)
    wait = pacer.try_acquire("gemini", 10)
    assert isinstance(wait, PaceWait) and wait.seconds <= 61  # before: ~7,260 s of 50 ms polls
    clock.advance(wait.seconds)
    assert isinstance(pacer.try_acquire("gemini", 10), PaceTicket)


def test_no_repair_without_a_step_and_requests_in_flight_keep_counting(keyword_core, clock):
    core = keyword_core
    pacer = RatePacer(core.db, clock, core.settings, core.usage_tracker, in_flight_seconds=125.0,
                      clock_steps=core.clock_steps)
    ticket = pacer.try_acquire("codex", 100)
    assert isinstance(ticket, PaceTicket)
    clock.advance(-2)  # a slew, not a step
    assert core.clock_steps.repair(clock.now()) == 0  # a ticket stamped within its in-flight horizon stays
    clock.advance(100)
    assert core.capacity().usage["codex"].requests_used == 1


def test_a_503_hold_and_an_outage_probe_do_not_last_the_step(keyword_core, clock):
    # A 503's 60 s hold and a probe due in 5 minutes both became two hours and more after the clock went back.
    core = keyword_core
    holds, circuits = core.execution_state.holds, core.execution_state.circuits
    holds.hold("claude", UNAVAILABLE, clock.now() + 60, "unavailable (503): retry after 60s")
    for _ in range(circuits.threshold):
        circuits.record_failure("gemini", "503")
    assert core.clock_steps.repair(clock.now()) == 0  # within their horizons: left as they are
    due = circuits.state("gemini").next_probe_at
    assert due > clock.now()
    clock.advance(-STEP)
    core.decide("Analyze the error logs from last week")  # notices the step and repairs first
    assert holds.active("claude") == {}
    assert circuits.state("gemini").next_probe_at == clock.now()  # due: a probe finds out whether it is over


def test_a_process_started_after_the_clock_went_back_repairs_too(keyword_core, clock, settings):
    # Each process noticed a step only against the latest time it had seen itself: a server or CLI started after
    # the step (the sessions reopened, the next `switchboard run`) took the rows two hours ahead as they were.
    from router_core.core import RouterCore

    gemini_window_full(keyword_core)
    keyword_core.execution_state.holds.hold("claude", RATE_LIMITED, clock.now() + 30, "rate limited: retry after 30s")
    clock.advance(-STEP)
    later = RouterCore.build(settings, clock=clock, classifier=keyword_core.classifier)
    assert later.capacity().availability["claude"].available  # the 30 s hold had become two hours
    clock.advance(61)
    assert later.capacity().usage["gemini"].requests_used == 0  # before: still full for two hours
    assert later.clock_steps.repair(clock.now()) == 0


def test_a_process_starting_without_a_step_leaves_long_holds_and_requests_in_flight_alone(keyword_core, clock,
                                                                                          settings):
    # A 503 may ask for longer than the probe interval, and a ticket is stamped a timeout ahead: neither is a sign
    # of a step, so a process starting beside them changes nothing.
    from router_core.core import RouterCore

    core = keyword_core
    pacer = RatePacer(core.db, clock, core.settings, core.usage_tracker, in_flight_seconds=3600.0)  # a long timeout
    assert isinstance(pacer.try_acquire("codex", 100), PaceTicket)
    interval = core.settings.execution.outage_probe_interval_seconds
    core.execution_state.holds.hold("claude", UNAVAILABLE, clock.now() + 2 * interval, "unavailable (503)")
    RouterCore.build(settings, clock=clock, classifier=core.classifier)
    assert core.execution_state.holds.active("claude")["claude"].until == clock.now() + 2 * interval
    assert core.db.query("SELECT at FROM usage_events")[0][0] == clock.now() + 3600.0


def test_requests_answered_before_the_step_tell_a_later_process_of_it(keyword_core, clock, settings):
    from router_core.core import RouterCore

    core = keyword_core
    pacer = RatePacer(core.db, clock, core.settings, core.usage_tracker, in_flight_seconds=125.0)
    limit = core.settings.provider("gemini").requests_per_minute
    for _ in range(limit):
        pacer.settle(pacer.try_acquire("gemini", 10), 10)
    clock.advance(-STEP)
    later = RouterCore.build(settings, clock=clock, classifier=core.classifier)
    assert later.capacity().usage["gemini"].requests_used == limit
    clock.advance(61)
    assert later.capacity().usage["gemini"].requests_used == 0  # before: still full for two hours


def test_usage_observed_before_the_clock_went_back_lapses_one_window_later(keyword_core, clock):
    # An observation (a provider's rate-limit headers, or usage entered by hand) holds one window at most: after the
    # clock went back two hours it held two hours and a window, the provider full all that time for every process.
    from router_core.providers.base import RateLimitObservation

    core = keyword_core
    pacer = RatePacer(core.db, clock, core.settings, core.usage_tracker, in_flight_seconds=125.0,
                      clock_steps=core.clock_steps)
    ticket = pacer.try_acquire("gemini", 10)
    assert isinstance(ticket, PaceTicket)
    limit = core.settings.provider("gemini").tokens_per_minute
    pacer.settle(ticket, 10, RateLimitObservation(None, None, limit, 0, None, clock.now() + 60))  # no tokens left
    core.record_usage("codex", requests=7, tokens=None, manual=True)
    clock.advance(-STEP)
    core.decide("Analyze the error logs from last week")  # notices the step and repairs first
    assert core.capacity().usage["gemini"].tokens_used == limit  # still counts, for one window
    assert core.capacity().usage["codex"].requests_used == 7
    assert isinstance(pacer.try_acquire("gemini", 20), PaceWait)
    clock.advance(61)
    usage = core.capacity().usage
    assert (usage["gemini"].tokens_used, usage["codex"].requests_used) == (0, 0)  # before: for two hours
    assert isinstance(pacer.try_acquire("gemini", 20), PaceTicket)  # before: the pacer waited two hours too


def test_a_repair_that_fails_is_tried_again_by_the_next_check(keyword_core, clock):
    # The step was forgotten before the repair was written: one that failed (the database locked by another process
    # past the busy timeout) was never tried again by this process, and the window stayed full for the step.
    core = keyword_core
    limit = gemini_window_full(core)
    clock.advance(-STEP)
    other = OtherWriter(core.db.path)
    short_busy_timeout(core.db, 0.0)  # gives up at once on the other connection's lock: no wait, no timing
    other.lock()
    try:
        core.clock_steps.check()  # fails: logged, not raised (the read that checked goes on)
        assert core.capacity().usage["gemini"].requests_used == limit  # reads go on, no wait on the lock
    finally:
        other.close()
    assert core.clock_steps.stepped_back()  # still to repair
    clock.advance(RETRY_SECONDS)
    core.clock_steps.check()
    clock.advance(61)
    assert core.capacity().usage["gemini"].requests_used == 0 != limit  # before: full for two hours
