"""The event loop stays free while the routing core is built: every session of an HTTP server shares that loop.

Each test blocks the core's build (or the core itself) on an event and checks from another thread that the
loop still runs callbacks meanwhile. On a blocked loop the check gives up after LOOP_PATIENCE seconds (only so
that the test fails instead of hanging: a free loop answers at once) and then lets the build finish."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable

import anyio
from mcp import Client

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.errors import StateUnusable
from server.app import build_server
from server.dashboard_state import dashboard_state_factory

LOOP_PATIENCE = 10.0  # seconds the watchdog waits for a blocked loop before releasing it


class Watchdog:
    """Once ``entered`` is set (the blocking work began), asks the loop to run a callback, notes whether it
    did, and then sets ``release`` (the blocking work may end)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.entered, self.release, self._alive = threading.Event(), threading.Event(), threading.Event()
        self.loop_ran: bool | None = None
        self._loop = loop
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        if self.entered.wait(60):
            self._loop.call_soon_threadsafe(self._alive.set)
            self.loop_ran = self._alive.wait(LOOP_PATIENCE)
        self.release.set()

    async def join(self) -> None:
        await anyio.to_thread.run_sync(self._thread.join, 60)


def blocking_factory(settings, dog: Watchdog, failed: threading.Event) -> Callable[[], RouterCore]:
    """A core factory whose first build (the warm-up's) fails at once, a state dir not yet mounted, and whose
    next one waits for the watchdog, as a build over 10,000 stored corrections or a slow disk takes a while."""

    def factory() -> RouterCore:
        if not failed.is_set():
            failed.set()
            raise StateUnusable("state dir not mounted yet")
        dog.entered.set()
        dog.release.wait(60)
        return RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))

    return factory


async def test_a_tool_call_building_the_core_leaves_the_loop_free(settings):
    # Before, the tool call built the core again (after the warm-up failed) on the event loop: every other
    # session, the dashboard and even a 401 waited for it, as they did for the warm-up's build.
    dog, failed = Watchdog(asyncio.get_running_loop()), threading.Event()
    parts = build_server(settings, core_factory=blocking_factory(settings, dog, failed), live_interval=None)
    with anyio.fail_after(120):
        async with Client(parts.mcp, raise_exceptions=False) as client:
            await anyio.to_thread.run_sync(failed.wait, 60)  # the warm-up's build failed
            r = await client.call_tool("recommend_provider", {"task": "Write unit tests for the CSV parser"})
            await dog.join()
    assert not r.is_error, r.content
    assert r.structured_content["recommendation"]["provider"] == "codex"
    assert dog.loop_ran is True, "the event loop was blocked while the tool call built the core"


async def test_a_failed_build_is_said_to_the_caller_without_blocking_the_loop(settings):
    dog, failed = Watchdog(asyncio.get_running_loop()), threading.Event()

    def factory() -> RouterCore:
        if failed.is_set():
            dog.entered.set()
            dog.release.wait(60)
        failed.set()
        raise StateUnusable("state dir not mounted yet")

    parts = build_server(settings, core_factory=factory, live_interval=None)
    with anyio.fail_after(120):
        async with Client(parts.mcp, raise_exceptions=False) as client:
            await anyio.to_thread.run_sync(failed.wait, 60)  # the warm-up's build failed
            r = await client.call_tool("get_budget", {})
            await dog.join()
    assert r.is_error and "state dir not mounted yet" in r.content[0].text, r.content
    assert dog.loop_ran is True


async def test_the_dashboard_waiting_for_the_core_leaves_the_loop_free(settings):
    dog = Watchdog(asyncio.get_running_loop())
    core = RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))

    def get_core() -> RouterCore:  # the server's, while the warm-up still builds
        dog.entered.set()
        dog.release.wait(60)
        return core

    get_state = dashboard_state_factory(get_core)
    with anyio.fail_after(120):
        state = await get_state()
        await dog.join()
    assert state["budget"]  # built once the core was
    assert dog.loop_ran is True, "the event loop was blocked while the dashboard waited for the core"


def lock_held_elsewhere(path, dog: Watchdog) -> threading.Thread:
    """Another process's writer (a CLI run, a server on another session) holding the database's write lock until
    the watchdog releases it."""
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        dog.release.wait(60)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(30)
    return thread


async def test_a_tool_waiting_for_the_write_lock_leaves_the_loop_free(settings):
    # Before, record_usage wrote on the event loop: while another process held the write lock, SQLite's busy
    # handler (15 s timeout) held the loop, and every session of the HTTP server stalled with it.
    core = RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))
    dog = Watchdog(asyncio.get_running_loop())
    transaction = core.db.transaction

    def entering_transaction():
        dog.entered.set()  # the tool's write begins: it waits for the lock
        return transaction()

    parts = build_server(settings, core_factory=lambda: core, live_interval=None)
    with anyio.fail_after(120):
        async with Client(parts.mcp, raise_exceptions=False) as client:
            await client.call_tool("get_budget", {})  # the core is built
            holder = lock_held_elsewhere(core.db.path, dog)
            core.db.transaction = entering_transaction
            r = await client.call_tool("record_usage", {"provider": "codex", "cost_usd": 0.25})
            await dog.join()
            await anyio.to_thread.run_sync(holder.join, 60)
    assert not r.is_error, r.content
    assert r.structured_content["spent"] == 0.25
    assert dog.loop_ran is True, "the event loop was blocked while the tool waited for the write lock"
