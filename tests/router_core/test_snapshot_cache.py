"""Routing reuses its last read of the shared state only while a fresh read would find the same.

The reference is a second RouterCore on the same state whose cache is cleared before every read: after
any mix of writes (this process's, another connection's), clock moves onto and past every boundary
(events leaving the window, holds, reservations, leases, observations, the budget day) and process
deaths, the cached view must equal the fresh one.
"""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from router_core.budget import BudgetLedger
from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.errors import BudgetExceeded
from router_core.execution.holds import ProviderHolds
from router_core.leases import AgentLeases
from router_core.store.db import Database
from router_core.store.holders import _proc_start_ticks
from router_core.usage import UsageTracker
from tests.router_core.sql_trace import traced

TASK = "Design distributed system architecture"
REMOTE = "elsewhere.example:1:1"  # a holder on another host: taken to be alive


def build(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers))


def test_a_state_nobody_changed_is_not_read_again(keyword_core):
    keyword_core.decide(TASK, audit=False)
    _, statements = traced(keyword_core, lambda: keyword_core.decide(TASK, audit=False))
    assert statements == ["BEGIN", "PRAGMA data_version", "COMMIT"]


def test_a_commit_on_another_connection_is_seen_at_once(keyword_core, clock, settings):
    keyword_core.capacity()
    other = Database(keyword_core.db.path)  # its own connection, as another process has
    try:
        UsageTracker(other, clock).record("gemini", requests=7, tokens=700)
    finally:
        other.close()
    assert keyword_core.capacity().usage["gemini"].requests_used == 7


def test_this_process_s_own_writes_are_seen_at_once(keyword_core):
    keyword_core.capacity()
    keyword_core.ledger.record_spend("codex", 2.5)
    assert keyword_core.capacity().budget.provider("codex").spent == 2.5


def test_a_clock_that_goes_back_reads_again(keyword_core, clock):
    ProviderHolds(keyword_core.db, clock).hold("codex", "rate_limit", clock.now() + 5, "held")
    clock.advance(10)
    assert keyword_core.capacity().availability["codex"].available  # lapsed
    clock.advance(-8)  # the wall clock was set back: the hold is in force again
    assert not keyword_core.capacity().availability["codex"].available


def test_a_refilling_figure_is_read_again_each_time_it_comes_down_and_only_then(settings, clock):
    # Headers: 600 requests spent, back evenly over a minute (a unit every 0.1 s), and 900 tokens over 20 s.
    core, reference = build(settings, clock), build(settings, clock)
    core.usage_tracker.observe("codex", requests_used=600, tokens_used=0, source="headers",
                               valid_until=clock.now() + 60, observed_at=clock.now() - 0.05)
    core.usage_tracker.observe("claude", requests_used=0, tokens_used=900, source="headers",
                               valid_until=clock.now() + 20, observed_at=clock.now())
    end, seen, hits = clock.now() + 61, set(), 0
    for step in [0.03, 0.049, 0.001, 0.0995, 0.0004, 0.00005, 0.02] * 40 + [1.3, 7, 11, 19.95, 1]:
        with core.db.read():
            _, statements = traced(core, core.shared.read)
        hits += statements == ["PRAGMA data_version"]
        reference.shared.forget()
        with core.db.read(), reference.db.read():
            assert core.shared.read() == reference.shared.read(), clock.now()
        assert core.capacity() == reference.capacity(), clock.now()
        seen.add(core.capacity().usage["codex"].requests_used)
        clock.set(min(end, clock.now() + step))
    assert len(seen) > 50 and hits > 0  # it came down, read from the cache while it stood still


@pytest.mark.parametrize("holds", ["reservation", "leases"])  # each alone: either read must notice the death
def test_a_holder_that_dies_stops_counting_with_no_write(keyword_core, clock, holds):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = f"{socket.gethostname()}:{child.pid}:{_proc_start_ticks(child.pid)}"
        if holds == "reservation":
            BudgetLedger(keyword_core.db, clock, keyword_core.settings.budget, holder).reserve("claude", 2.0)
        else:
            leases = AgentLeases(keyword_core.db, clock, holder)
            for _ in range(2):  # both of its slots
                assert leases.acquire("system-architect", 2) is not None
        first = keyword_core.decide(TASK, audit=False)
        assert first.budget.provider("claude").reserved == (2.0 if holds == "reservation" else 0.0)
        assert (first.agent.agent.id == "system-architect") == (holds == "reservation")  # its slots are taken
    finally:
        child.kill()
        child.wait()
    again = keyword_core.decide(TASK, audit=False)
    assert again.budget.provider("claude").reserved == 0.0
    assert again.agent.agent.id == "system-architect"


def _step(rng: random.Random, core: RouterCore, other: Database, clock, log: list[str]) -> None:
    """One random change to the shared state, or a move of the clock (often onto a boundary)."""
    p = rng.choice(["codex", "gemini", "claude"])
    kind = rng.randrange(11)
    log.append(f"{kind}:{p}")
    if kind == 0:
        core.usage_tracker.record(p, requests=rng.randint(1, 40), tokens=rng.randint(0, 60_000))
    elif kind == 1:
        UsageTracker(other, clock).record(p, requests=rng.randint(1, 40), tokens=rng.randint(0, 60_000))
    elif kind == 2:
        holder = rng.choice([core.holder, REMOTE])
        with contextlib.suppress(BudgetExceeded):  # a refusal changes nothing
            BudgetLedger(other, clock, core.settings.budget, holder).reserve(p, rng.choice([0.5, 3.0, 12.0]))
    elif kind == 3:
        live = other.query("SELECT id FROM budget_reservations WHERE status = 'live'")
        if live:
            BudgetLedger(other, clock, core.settings.budget, REMOTE).settle(rng.choice(live)[0], 1.25)
    elif kind == 4:
        holder = rng.choice([core.holder, REMOTE])
        AgentLeases(other, clock, holder, ttl_seconds=rng.choice([30, 90])).acquire(
            rng.choice(["system-architect", "debugger"]), 2
        )
    elif kind == 5:
        until = clock.now() + rng.choice([1, 10, 45])
        ProviderHolds(other, clock).hold(p, "rate_limit", until, "held")
    elif kind == 6:
        tokens_until = rng.choice([None, clock.now() + rng.choice([1, 20, 60])])  # headers: a reset per dimension
        UsageTracker(other, clock).observe(
            p, requests_used=rng.randint(0, 3000), tokens_used=rng.randint(0, 500_000),
            source="manual" if tokens_until is None else "headers", valid_until=clock.now() + rng.choice([1, 5, 60]),
            tokens_valid_until=tokens_until,
        )
    else:  # move the clock: small steps, whole windows, and exactly onto the next boundary
        boundaries = [
            *(r[0] + 60 for r in other.query("SELECT at FROM usage_events")),
            *(r[0] for r in other.query("SELECT until FROM execution_holds")),
            *(r[0] for r in other.query("SELECT expires_at FROM agent_leases")),
            *(r[0] for r in other.query("SELECT valid_until FROM usage_observations")),
            *(r[0] for r in other.query("SELECT tokens_valid_until FROM usage_observations")),
            *(r[0] + core.settings.budget.reservation_ttl_seconds
              for r in other.query("SELECT heartbeat_at FROM budget_reservations WHERE status = 'live'")),
            core.ledger.next_reset_at(),
        ]
        ahead = sorted(b for b in boundaries if b > clock.now())
        choice = rng.randrange(4)
        if choice == 0 and ahead:
            clock.set(ahead[0])
        elif choice == 1 and ahead:
            clock.set(ahead[0] - 0.001)
        elif choice == 2:
            clock.advance(rng.choice([0.5, 7, 61, 3600]))
        else:
            clock.advance(rng.uniform(0, 20))


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Kolkata"])  # the budget day need not end at UTC midnight
@pytest.mark.parametrize("seed", range(6))
def test_the_cached_view_always_equals_a_fresh_read(settings, clock, seed, timezone):
    rng = random.Random(seed)
    settings = replace(settings, budget=replace(settings.budget, timezone=timezone))
    core, reference = build(settings, clock), build(settings, clock)
    clock.set(core.ledger.next_reset_at() - 900)  # the budget day ends within the run
    other = Database(core.db.path)
    log: list[str] = []
    try:
        for _ in range(150):
            _step(rng, core, other, clock, log)
            for _ in range(rng.randint(1, 2)):  # a second look hits the cache when nothing changed
                with core.db.read():
                    cached = core.shared.read()
                reference.shared.forget()
                with reference.db.read():
                    fresh = reference.shared.read()
                assert cached == fresh, log[-5:]
                assert core.capacity() == reference.capacity(), log[-5:]
    finally:
        other.close()
