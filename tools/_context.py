"""The one place that reads the server's lifespan state from a tool or resource context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver import Context

from router_core.core import RouterCore
from router_core.execution.stopping import Stopping
from tools.progress import HEARTBEAT_SECONDS

T = TypeVar("T")


@dataclass
class AppState:
    """What the server's lifespan hands every tool and resource."""

    # The process's core, built on first use (the server warms it in the background at start-up).
    get_core: Callable[[], RouterCore]
    # Set by the server: called after a tool changes usage or budget so subscribers hear of it.
    notify_changed: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
    # The core if it is built, else None, without waiting (get_core waits for a build in progress, or builds).
    built: Callable[[], RouterCore | None] = lambda: None
    # Seconds without progress after which dispatch_agent and run_batch say what they are doing (tools.progress).
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    # The server is stopping: run_batch starts no task, and answers with what it has (execution/stopping.py).
    stopping: Stopping = field(default_factory=Stopping)

    @property
    def core(self) -> RouterCore:
        """The core, for code in a worker thread (sync tools, resources); coroutines use :meth:`ready_core`."""
        return self.get_core()

    async def ready_core(self) -> RouterCore:
        """The core, for a coroutine: at once once built; until then it is built, or its build waited for, in a
        worker thread. The event loop, which every session of an HTTP server shares, never waits for a build (a
        second or two, longer on a slow disk) nor runs a retry of a failed one."""
        core = self.built()
        return core if core is not None else await anyio.to_thread.run_sync(self.get_core)


def state_from(ctx: Context) -> AppState:
    return ctx.request_context.lifespan_context


def core_from(ctx: Context) -> RouterCore:
    """The core, for a sync tool or resource (a worker thread)."""
    return state_from(ctx).core


async def core_of(ctx: Context) -> RouterCore:
    """The core, for an async tool: see AppState.ready_core."""
    return await state_from(ctx).ready_core()


async def in_worker(work: Callable[[], T]) -> T:
    """``work`` (core calls that may write the shared database) run in a worker thread, for an async tool.

    A write waits for the database's write lock, held by whichever process writes, for up to the busy timeout
    (15 s); on the event loop that wait stalled every session of an HTTP server, its dashboard and its pings.
    The thread keeps its own SQLite connection and snapshot cache (store/db.py, store/snapshot_cache.py), the
    request's context variables (the audit's session) go with it, and a cancelled call waits for ``work`` to
    end: a transaction is never left half done."""
    return await anyio.to_thread.run_sync(work)
