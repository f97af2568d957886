"""Outage probes while no task runs (design 9.3): a provider in outage is probed on its interval by a server that
routes but does not execute.

A probe used to be sent only on the way of a task (dispatch, run_batch): in a session that only asks for
recommendations (the host runs the work itself), a circuit another session opened stayed open, the provider
blocked in every recommendation with a lift time in the past, until someone dispatched again. The server checks the
shared circuits every few seconds and, when a probe is due, sends it through the executor, which claims it (one
process probes) and skips a provider it has no backend for (one that has probes it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from tools._context import AppState

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0  # how often the shared circuits are read for a due probe (one cached snapshot read)


async def probe_due_outages(state: AppState) -> list[str]:
    """Probe each open circuit whose probe is due; the providers that recovered. Nothing before the core is built."""
    core = state.built()
    if core is None:
        return []
    snapshot = await anyio.to_thread.run_sync(core.execution_state.snapshot)
    if not snapshot.due_probes(core.clock.now()):
        return []
    from tools.dispatch import executor_of  # the execution stack, loaded only when a probe is due

    return await executor_of(state).probe_due()


async def watch_outages(state: AppState, interval: float = CHECK_SECONDS, *,
                        sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> None:
    """:func:`probe_due_outages` every ``interval`` seconds, for as long as the server runs."""
    failing: str | None = None  # the failure last logged, until a check works again
    while True:
        await sleep(interval)
        try:
            await probe_due_outages(state)
        except Exception as exc:  # keep serving: a locked database, a backend that cannot be built
            if f"{type(exc).__name__}: {exc}" != failing:
                failing = f"{type(exc).__name__}: {exc}"
                log.exception("checking for due outage probes failed (not logged again until it changes or works)")
        else:
            failing = None
