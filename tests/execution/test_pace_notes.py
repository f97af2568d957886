"""A task waiting for room at its provider says so (pace_notes.py): which provider, why, how long; once per episode.

Before, a batch paced on a full rate window (or a task waiting out a 429's retry-after) waited up to a minute with no
word: `switchboard batch` and the MCP tools' progress looked hung.
"""

from __future__ import annotations

import pytest

from router_core.clock import FakeClock
from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from router_core.execution.holds import RATE_LIMITED
from router_core.execution.pace_notes import NOTICE_SECONDS, QUIET_SECONDS, PaceNotes
from router_core.execution.pacing import PaceWait
from tests.execution.fakes import fake_environ, fake_limits, fake_server, with_limits
from tests.fakes.fake_script import Fault

CODE = [f"Implement the CSV export endpoint, part {i}" for i in range(12)]


async def paced_batch(settings, build_executor, clock, limits: tuple[int, int]):
    s = with_limits(settings, codex=limits)
    with fake_server(clock, limits=fake_limits(s, s.execution.rate_window_seconds)) as fake:
        core, ex = build_executor(s, providers=("codex",), environ=fake_environ(fake, ("codex",)))
        told = []
        run = await run_batch(core, ex, [(f"t{i}", t) for i, t in enumerate(CODE)], parallel=4,
                              on_pace=lambda *notice: told.append(notice))
        assert fake.stats("codex").limit_429 == 0
    assert [o.status for o in run.outcome.outcomes] == ["success"] * len(CODE)
    return told


async def test_a_batch_paced_on_a_full_requests_window_says_so_once(settings, build_executor, clock):
    # 12 tasks at 2 requests a minute: some five minutes of waiting, said once, not once a task (nor a wait)
    start = clock.now()
    [(task_id, provider, seconds, why)] = await paced_batch(settings, build_executor, clock, (2, 1_000_000))
    assert clock.now() - start >= 5 * 60
    assert task_id in {f"t{i}" for i in range(len(CODE))} and provider == "codex"
    assert seconds >= NOTICE_SECONDS
    assert why == "its rate window is full (2 requests/min)"


async def test_a_full_tokens_window_is_named_as_such(settings, build_executor, clock):
    told = await paced_batch(settings, build_executor, clock, (1_000, 4_000))
    [(_, provider, _, why)] = told
    assert provider == "codex" and why == "its rate window is full (4,000 tokens/min)"


async def test_a_retry_after_a_429_says_how_long_and_why(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=20.0)])
    told = []
    r = await dispatch(core, ex, CODE[0], provider="codex", wait=True, on_pace=lambda *n: told.append(n))
    assert r.outcome.status == "success"
    [(task_id, provider, seconds, why)] = told
    assert task_id == r.outcome.task_id and provider == "codex" and seconds == pytest.approx(20.0, abs=1)
    assert why.startswith("retrying (rate limited (429)")


def notes(clock: FakeClock) -> tuple[PaceNotes, list[tuple]]:
    told: list[tuple] = []
    return PaceNotes(lambda *n: told.append(n), clock, 60.0), told


async def test_short_waits_are_not_told_and_an_episode_ends_when_the_waits_do(clock):
    paced, told = notes(clock)
    short = PaceWait(0.4, full="requests", limit=3)
    await paced.paced("a", "codex", short, 0.0)
    await paced.paced("a", "codex", short, 0.5)  # waited 0.9 s in all: still not noticed
    assert told == []
    await paced.paced("b", "codex", PaceWait(30.0, full="requests", limit=3), 0.0)
    for task in "cdefg":  # the same episode: other tasks of the call wait on the same window
        clock.advance(5.0)
        await paced.paced(task, "codex", PaceWait(30.0, full="requests", limit=3), 0.0)
    await paced.paced("h", "gemini", PaceWait(2.0, full="tokens", limit=9000), 0.0)  # another provider
    await paced.paced("i", "codex", PaceWait(12.0, RATE_LIMITED), 0.0)  # a hold on the same: news
    assert [(t, p) for t, p, _, _ in told] == [("b", "codex"), ("h", "gemini"), ("i", "codex")]
    assert told[2][3] == "held after a 429 (rate limited) until its retry-after"
    clock.advance(30.0 + QUIET_SECONDS + 1)  # no wait since the last one ended: the next is a new episode
    await paced.paced("j", "codex", PaceWait(3.0, full="requests", limit=3), 0.0)
    assert told[-1] == ("j", "codex", 3.0, "its rate window is full (3 requests/min)")


async def test_a_wait_for_answers_in_flight_is_told_once_it_has_lasted(clock):
    paced, told = notes(clock)
    poll = PaceWait(0.05, full="requests", limit=3, unanswered=True)
    for i in range(40):  # 2 s of polls of 50 ms: told once, after a second, without a length (it is not known)
        await paced.paced("a", "codex", poll, i * 0.05)
        clock.advance(0.05)
    [(task_id, provider, seconds, why)] = told
    assert seconds is None and "requests still being answered" in why
