"""A reservation_ttl_seconds lowered while a server runs: the tasks waiting keep their reservations alive.

The ledger counts against an edited [budget] at once (RouterCore.refresh_settings), but the executor, made once
per process, heartbeat every third of the TTL it started with: 900 s lowered to 240 s, it refreshed waiting
tasks' reservations every 300 s, so each went stale between two beats and any snapshot (another session's, or
this server's own live poller) expired it: the budget stopped counting what the task would spend.
"""

from __future__ import annotations

from dataclasses import replace

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.execution.executor import Executor
from router_core.shared_budget import adopt


def moving_sleep(clock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return sleep


async def test_a_lowered_ttl_is_heartbeaten_within_by_the_running_executor(settings, clock):
    assert settings.budget.reservation_ttl_seconds == 900.0
    lowered = replace(settings, budget=replace(settings.budget, reservation_ttl_seconds=240.0))
    edits = [lowered]
    core = RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                            settings_updates=lambda: edits.pop() if edits else None)
    adopt(core.db, lowered)  # `switchboard budget adopt`: every process on the state dir must use the same TTL
    ex = Executor(core, {}, sleep=moving_sleep(clock), random=lambda: 0.5)  # made before the edit
    assert core.budget().total == settings.budget.daily_total  # the edit is applied here
    assert core.ledger.settings.reservation_ttl_seconds == 240.0
    reservation = core.ledger.reserve("codex", 1.0)
    await ex.wait(600.0)  # a task waiting for room
    assert core.budget().provider("codex").reserved == 1.0
    core.ledger.settle(reservation.id, 0.5)
    assert core.budget().provider("codex").spent == 0.5
