"""RatePacer: shared sliding-window admission, settling to actual tokens, headers, holds and floors."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from router_core.execution.holds import RATE_LIMITED
from router_core.execution.pacing import GUARD_SECONDS, PRUNE_AT_STALE_ROWS, PaceTicket, PaceWait, RatePacer
from router_core.execution.tables import ensure_tables
from router_core.providers.base import RateLimitObservation
from router_core.providers.ratelimit_headers import anthropic_rate_limits
from router_core.store.db import Database
from tests.execution.conftest import make_core
from tests.execution.fakes import with_limits


@pytest.fixture
def paced(settings, clock):
    s = with_limits(settings, codex=(3, 10_000))
    core = make_core(s, clock)
    return core, RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)


def test_admits_up_to_the_limit_then_says_when_the_window_has_room(paced, clock):
    core, pacer = paced
    tickets = [pacer.try_acquire("codex", 100) for _ in range(3)]
    assert all(isinstance(t, PaceTicket) for t in tickets)
    clock.advance(1.0)
    for t in tickets:
        pacer.settle(t, 80)
    wait = pacer.try_acquire("codex", 100)
    assert wait == PaceWait(pytest.approx(60.0 + GUARD_SECONDS))
    clock.advance(wait.seconds)
    assert isinstance(pacer.try_acquire("codex", 100), PaceTicket)
    assert core.usage_tracker.window("codex").tokens == 100  # the settled 240 left the window


def test_an_unanswered_request_holds_its_place_whatever_its_latency(settings, clock):
    s = with_limits(settings, codex=(3, 10_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=125.0)
    tickets = [pacer.try_acquire("codex", 10) for _ in range(3)]
    clock.advance(80.0)  # longer than the window, within the timeout: still in flight
    assert pacer.try_acquire("codex", 10).seconds == pacer.poll_seconds
    pacer.settle(tickets[0], 10)  # answered now: counts for one window from now
    assert pacer.try_acquire("codex", 10).seconds == pytest.approx(60.0 + GUARD_SECONDS)
    pacer.failed(tickets[1])
    pacer.settle(tickets[2], 10)
    clock.advance(59.0)
    assert pacer.try_acquire("codex", 10).seconds == pytest.approx(1.0 + GUARD_SECONDS)


def test_tokens_are_settled_to_the_actual_count(settings, clock):
    s = with_limits(settings, codex=(100, 1_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    first = pacer.try_acquire("codex", 600)
    assert isinstance(first, PaceTicket)
    assert not isinstance(pacer.try_acquire("codex", 600), PaceTicket)
    pacer.settle(first, 150)
    assert isinstance(pacer.try_acquire("codex", 600), PaceTicket)
    assert core.usage_tracker.window("codex").tokens == 750


def test_a_request_larger_than_the_window_goes_alone(settings, clock):
    s = with_limits(settings, codex=(100, 1_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    small = pacer.try_acquire("codex", 10)
    pacer.settle(small, 10)
    assert pacer.try_acquire("codex", 5_000).seconds == pytest.approx(60.0 + GUARD_SECONDS)
    clock.advance(60.0 + GUARD_SECONDS)
    assert isinstance(pacer.try_acquire("codex", 5_000), PaceTicket)


def test_headers_lower_the_limit_and_count_other_tools(paced, clock):
    core, pacer = paced
    ticket = pacer.try_acquire("codex", 10)
    obs = RateLimitObservation(requests_limit=2, requests_remaining=1, tokens_limit=None, tokens_remaining=None,
                               requests_reset_at=clock.now() + 20, tokens_reset_at=None)
    pacer.settle(ticket, 10, obs)
    # The provider allows 2 per window, not the configured 3; one is ours, so one more fits, and the
    # third waits for ours to leave the window: the reported limit outlives the reported usage.
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)
    assert pacer.try_acquire("codex", 10).seconds == pytest.approx(60.0 + GUARD_SECONDS)


def test_usage_reported_by_headers_beyond_ours_is_another_tool(settings, clock):
    s = with_limits(settings, codex=(10, 10_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    ticket = pacer.try_acquire("codex", 10)
    obs = RateLimitObservation(requests_limit=10, requests_remaining=2, tokens_limit=10_000, tokens_remaining=9_000,
                               requests_reset_at=clock.now() + 30, tokens_reset_at=clock.now() + 30)
    pacer.settle(ticket, 10, obs)  # 8 used by the provider's count, 1 by ours: 7 are someone else's
    admitted = 0
    while isinstance(pacer.try_acquire("codex", 10), PaceTicket):
        admitted += 1
    assert admitted == 2  # 10 - 8 reported
    window = core.usage_tracker.window("codex")
    assert (window.source, window.requests) == ("headers", 10)  # the 8 reported, and our 2 sent after them
    # The 8 come back at 10 a window (not sooner, whatever the reset says), one every 6 s; our two new
    # requests, sent after the reported one, are counted on top of them.
    assert pacer.try_acquire("codex", 10).seconds == pytest.approx(6.0 + GUARD_SECONDS)
    clock.advance(6.0 + GUARD_SECONDS)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)
    assert pacer.try_acquire("codex", 10).seconds == pytest.approx(6.0)


def test_a_limit_reported_spent_comes_back_at_its_refill_rate_not_at_its_reset(settings, clock):
    """OpenAI's 429 "Limit 500, Used 500, Requested 1. Please try again in 120ms" (provider-apis.md 1.6) comes
    with x-ratelimit-remaining-requests 0 and a reset of up to a minute: the time until the limit is back to its
    initial state, refilling all along. Counted as spent until that reset, every task waited the whole minute,
    and the limit's 500 a minute came as one burst a minute."""
    s = with_limits(settings, codex=(500, 10**6))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    ticket = pacer.try_acquire("codex", 10)
    obs = RateLimitObservation(requests_limit=500, requests_remaining=0, tokens_limit=None, tokens_remaining=None,
                               requests_reset_at=clock.now() + 60.0, tokens_reset_at=None)
    pacer.settle(ticket, 10, obs)
    start = clock.now()
    for k in range(1, 4):  # one request every 60 / 500 s: ours sent since count on top of what is still out
        wait = pacer.try_acquire("codex", 10)
        assert isinstance(wait, PaceWait) and clock.now() + wait.seconds == pytest.approx(start + 0.12 * k + GUARD_SECONDS, abs=1e-6)
        clock.advance(wait.seconds)
        assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)


def test_a_reset_sooner_than_the_limit_allows_does_not_refill_faster(settings, clock):
    # 10 a minute, 10 spent, "reset in 1 s" (a clock ahead of the provider's, or a reset rounded down): they come
    # back at 10 a minute all the same, the first after 6 s.
    s = with_limits(settings, codex=(10, 10**6))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    obs = RateLimitObservation(requests_limit=10, requests_remaining=0, tokens_limit=None, tokens_remaining=None,
                               requests_reset_at=clock.now() + 1.0, tokens_reset_at=None)
    pacer.settle(pacer.try_acquire("codex", 10), 10, obs)
    assert pacer.try_acquire("codex", 10) == PaceWait(pytest.approx(6.0 + GUARD_SECONDS))


def test_a_headroom_row_from_an_earlier_version_counts_other_tools_until_its_time(settings, clock):
    # A process from before refills, sharing the database, wrote other tools' usage beyond its own count, valid
    # until a time: it has no refill rate, so it counts whole until then.
    s = with_limits(settings, codex=(10, 10**6))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    core.db.query("INSERT INTO execution_headroom (provider, requests_limit, tokens_limit, external_requests,"
                  " external_tokens, valid_until, tokens_valid_until) VALUES ('codex', 10, NULL, 10, 0, ?, ?)",
                  (clock.now() + 20, clock.now() + 20))
    assert pacer.try_acquire("codex", 10) == PaceWait(pytest.approx(20.0 + GUARD_SECONDS))


def test_a_hold_stops_admission_until_it_ends(paced, clock):
    core, pacer = paced
    core.execution_state.holds.hold("codex", RATE_LIMITED, clock.now() + 5.0, "rate limited: retry after 5s")
    assert pacer.try_acquire("codex", 10) == PaceWait(pytest.approx(5.0 + GUARD_SECONDS), RATE_LIMITED)
    assert isinstance(pacer.try_acquire("gemini", 10), PaceTicket)
    clock.advance(5.0 + GUARD_SECONDS)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)


def test_manual_usage_is_a_floor(paced, clock):
    core, pacer = paced
    core.record_usage("codex", requests=3, tokens=0, manual=True)
    assert pacer.try_acquire("codex", 10) == PaceWait(pytest.approx(60.0 + GUARD_SECONDS))


def test_two_pacers_on_one_database_share_the_window(settings, clock):
    s = with_limits(settings, codex=(3, 10_000))
    one = make_core(s, clock)
    two = make_core(s, clock)
    p1 = RatePacer(one.db, clock, s, one.usage_tracker, in_flight_seconds=30.0)
    p2 = RatePacer(two.db, clock, s, two.usage_tracker, in_flight_seconds=30.0)
    got = [p.try_acquire("codex", 10) for p in (p1, p2, p1, p2)]
    assert [isinstance(g, PaceTicket) for g in got] == [True, True, True, False]


def test_events_out_of_the_window_are_deleted_in_batches_and_never_count(settings, clock):
    s = with_limits(settings, codex=(1_000, 10**9))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)

    def stored() -> int:
        return core.db.query("SELECT COUNT(*) FROM usage_events WHERE provider = 'codex'")[0][0]

    for t in [pacer.try_acquire("codex", 10) for _ in range(PRUNE_AT_STALE_ROWS - 1)]:
        pacer.settle(t, 10)
    clock.advance(61.0)
    before = stored()
    assert before < PRUNE_AT_STALE_ROWS
    ticket = pacer.try_acquire("codex", 10)  # fewer stale rows than a batch: kept, but out of the window
    assert isinstance(ticket, PaceTicket) and stored() == before + 1
    assert core.usage_tracker.window("codex").requests == 1
    pacer.settle(ticket, 10)
    clock.advance(61.0)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)  # a full batch: deleted
    assert stored() == 1 and core.usage_tracker.window("codex").requests == 1


def test_an_exhausted_tokens_dimension_outlives_a_sooner_requests_reset(settings, clock):
    # OpenAI on a 200: plenty of requests left (reset in 120ms), tokens used up by another tool (reset in
    # 40s). Once the requests reset passes, the tokens are still used: the next request must wait for its 3,000
    # to come back, at 30,000 a minute (faster than the reset implies would be too fast for the limit): 6 s.
    s = with_limits(settings, codex=(500, 30_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    ticket = pacer.try_acquire("codex", 100)
    obs = RateLimitObservation(requests_limit=500, requests_remaining=499, tokens_limit=30_000, tokens_remaining=0,
                               requests_reset_at=clock.now() + 0.12, tokens_reset_at=clock.now() + 40)
    pacer.settle(ticket, 100, obs)
    clock.advance(0.2)
    assert pacer.try_acquire("codex", 3_000) == PaceWait(pytest.approx(5.8 + GUARD_SECONDS))
    clock.advance(5.8 + GUARD_SECONDS)
    assert isinstance(pacer.try_acquire("codex", 3_000), PaceTicket)


def test_an_anthropic_answer_with_its_output_tokens_spent_holds_the_window_while_they_refill(settings, clock):
    """Anthropic's 200 headers (provider-apis.md 2.6) carry the combined tokens family (input + output: 96000 =
    80000 + 16000) beside the two it sums. Only the combined one was read: with the output tokens spent (0 of
    16000 left, another tool on the key) it still showed 80000 free, so every process sent at once into
    requests Anthropic refuses until enough output tokens are back."""
    s = with_limits(settings, claude=(1000, 100_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    ticket = pacer.try_acquire("claude", 100)

    def at(seconds: float) -> str:
        return datetime.fromtimestamp(clock.now() + seconds, UTC).isoformat().replace("+00:00", "Z")

    family = {"input-tokens": (80000, 80000, 2), "output-tokens": (16000, 0, 40), "tokens": (96000, 80000, 2),
              "requests": (1000, 999, 2)}
    headers = {f"anthropic-ratelimit-{name}-{field}": value for name, (limit, left, reset) in family.items()
               for field, value in (("limit", str(limit)), ("remaining", str(left)), ("reset", at(reset)))}
    pacer.settle(ticket, 100, anthropic_rate_limits(headers, clock.now()))
    clock.advance(2.5)  # the requests and input tokens have reset; the output tokens have not
    # A tenth of the output tokens (their share of 9,600 of 96,000) is back after 6 s at 16,000 a minute.
    assert pacer.try_acquire("claude", 9_600) == PaceWait(pytest.approx(3.5 + GUARD_SECONDS))
    assert core.usage_tracker.window("claude").source == "headers"
    clock.advance(3.5 + GUARD_SECONDS)
    assert isinstance(pacer.try_acquire("claude", 9_600), PaceTicket)


def test_a_headroom_table_from_before_per_dimension_resets_is_upgraded(tmp_path, clock, settings):
    db = Database(tmp_path / "old.db")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE execution_headroom (provider TEXT PRIMARY KEY, requests_limit INTEGER,"
                     " tokens_limit INTEGER, external_requests INTEGER NOT NULL, external_tokens INTEGER NOT NULL,"
                     " valid_until REAL NOT NULL)")
        conn.execute("INSERT INTO execution_headroom VALUES ('codex', 10, 1000, 0, 1000, ?)", (clock.now() + 30,))
    ensure_tables(db)
    assert db.query("SELECT tokens_valid_until FROM execution_headroom")[0][0] is None
    ensure_tables(Database(tmp_path / "old.db"))  # another process: the column is there already


def test_estimates_are_scaled_by_how_far_answers_ran_above_them(settings, clock):
    # Code or CJK text: the provider counts three tokens for each one estimated. After one answer says
    # so, later requests are paced on three times their estimate, and do not overfill the window.
    s = with_limits(settings, codex=(100, 1_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    first = pacer.try_acquire("codex", 100)
    pacer.settle(first, 300)
    admitted = []
    while isinstance(ticket := pacer.try_acquire("codex", 100), PaceTicket):
        admitted.append(ticket)
    assert [t.tokens for t in admitted] == [300, 300]  # 300 + 600 of 1,000: a third would not fit
    for t in admitted:
        pacer.settle(t, 300)
    assert core.usage_tracker.window("codex").tokens == 900


def test_guesses_teach_no_ratio_and_none_lowers_an_estimate(settings, clock):
    s = with_limits(settings, codex=(100, 1_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    pacer.failed(pacer.try_acquire("codex", 100))  # no tokens counted
    pacer.settle(pacer.try_acquire("codex", 100), 400, counted=False)  # a guess (usage missing, a probe)
    pacer.settle(pacer.try_acquire("codex", 100), 20)  # fewer than estimated: still paced on the estimate
    assert pacer.try_acquire("codex", 100).tokens == 100


def test_answers_below_their_estimate_write_no_ratio_until_one_runs_above(settings, clock):
    # The usual answer is under its estimate: its settlement must not write a row it would never use.
    s = with_limits(settings, codex=(100, 10_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=30.0)
    for _ in range(3):
        pacer.settle(pacer.try_acquire("codex", 100), 60)
    assert core.db.query("SELECT COUNT(*) FROM execution_token_ratios")[0][0] == 0
    pacer.settle(pacer.try_acquire("codex", 100), 300)  # 3x: learned
    pacer.settle(pacer.try_acquire("codex", 100), 100)  # at the estimate: folded in, 2x
    assert pacer.try_acquire("codex", 100).tokens == 200


def test_the_tickets_of_a_process_that_ended_count_from_when_they_were_reclaimed(settings, clock):
    # A process killed mid-request never settles its tickets: stamped in_flight_seconds ahead, they kept the
    # window full for that long (125 s here, then a window more), every waiting task polling meanwhile.
    # Reclaimed, a ticket counts from then, not from when it was sent: the provider may have answered (and
    # counted) the request at any time up to now; counted from the send, the window emptied before the
    # provider's did, and the next request got a 429.
    s = with_limits(settings, codex=(1, 10_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=125.0)
    theirs = pacer.try_acquire("codex", 10)
    gone = f"{socket.gethostname()}:{2**22 + 7}:123"  # beyond any pid: a process of this host that ended
    core.db.query("UPDATE usage_events SET holder = ? WHERE id = ?", (gone, theirs.event_id))
    clock.advance(10.0)

    wait = pacer.try_acquire("codex", 10)
    assert wait.seconds == pytest.approx(60.0 + GUARD_SECONDS)  # counted from now (sent 10 s ago)
    clock.advance(55.0)  # the provider, had it answered 5 s after the send, still counts it here
    wait = pacer.try_acquire("codex", 10)
    assert isinstance(wait, PaceWait) and wait.seconds == pytest.approx(5.0 + GUARD_SECONDS)
    clock.advance(wait.seconds)
    assert isinstance(pacer.try_acquire("codex", 10), PaceTicket)


def test_the_tickets_of_a_live_process_stay_in_flight(settings, clock):
    s = with_limits(settings, codex=(1, 10_000))
    core = make_core(s, clock)
    pacer = RatePacer(core.db, clock, s, core.usage_tracker, in_flight_seconds=125.0)
    pacer.try_acquire("codex", 10)  # this process: alive, its request may still be answered
    clock.advance(70.0)
    assert pacer.try_acquire("codex", 10).seconds == pacer.poll_seconds
