"""Push resource updates to subscribed clients when usage or budget changes in any process.

Changes made by other server processes arrive through the shared SQLite database, so a poller compares a
fingerprint of each live resource once a second and publishes the URIs whose content changed; a tool that changed
usage or budget has them checked ``COALESCE_SECONDS`` later, once for all the changes made meanwhile (a batch's
dispatches), not once per call. Both publish to both protocol eras: the subscription bus for 2026-07-28 clients
(subscriptions/listen) and resources/subscribe connections for 2025-era clients. Either refuses a URI that is not
one of them (INVALID_PARAMS, naming those that are): accepted, it would never fire.

The SDK builds a new ServerSession for every request, so a 2025-era subscription is kept per
connection (the session's ``_connection``, as the SDK's migration guide does), not per session:
otherwise resources/unsubscribe could never find the subscription it cancels, a second subscribe
doubled every notification, and a connection that ended stayed referenced for the server's life.
A connection's subscriptions are dropped when it closes (its ``exit_stack``).

While nobody is subscribed (no resources/subscribe URI, no subscriptions/listen for resources) nothing is read: a
check cost each dispatch_agent called through MCP 1.9M of its 8.1M instructions. Who listens is counted where the
subscriptions are taken (the SDK's bus does not say). The first subscriber takes a fresh baseline before its
subscription is answered, so it hears of every change after it, and of none before.

Each connection is notified concurrently, within ``notify_timeout``: the check waits for this fan-out, so one
teammate's client that stopped reading its stream must not hold up every other teammate's updates. A connection
that does not take an update in time misses it (a warning says so) and is stalled: later changes give it only
``STALLED_TIMEOUT``, until it takes one again.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import MCPError
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp.types import (
    INVALID_PARAMS,
    EmptyResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
)

from resources.views import usage_summary
from router_core.budget_view import budget_view
from router_core.core import RouterCore
from router_core.settings import PROVIDER_NAMES

log = logging.getLogger(__name__)

# The resources whose changes are pushed (live_documents' keys); the others are read on demand.
LIVE_URIS = ("usage://summary", *(f"usage://{name}" for name in PROVIDER_NAMES), "budget://today")


def live_documents(core: RouterCore) -> dict[str, str]:
    """The live resources' content without timestamps, keyed by URI."""
    summary = usage_summary(core)
    docs: dict[str, Any] = {}
    for name, view in summary["providers"].items():
        docs[f"usage://{name}"] = {k: v for k, v in view.items() if k != "timestamp"}
    docs["usage://summary"] = docs.copy()
    docs["budget://today"] = budget_view(core.budget())
    return {uri: json.dumps(doc, sort_keys=True, default=str) for uri, doc in docs.items()}


NOTIFY_TIMEOUT = 2.0  # seconds a subscribed connection has to take one update
STALLED_TIMEOUT = 0.05  # ... once it has let one time out: it is not reading, every call would wait for it
COALESCE_SECONDS = 0.25  # a tool's change is checked this long after it, with the others made meanwhile


def _check_live(uri: str) -> None:
    """Refuse a subscription to ``uri`` when no update is ever pushed for it: accepted, it would never fire."""
    if uri not in LIVE_URIS:
        raise MCPError(INVALID_PARAMS, f"no updates are pushed for {uri}: subscribe to one of "
                                       f"{', '.join(LIVE_URIS)}; read other resources when needed")


class LiveUpdates:
    def __init__(
        self, get_core: Callable[[], RouterCore], bus: InMemorySubscriptionBus, *, notify_timeout: float = NOTIFY_TIMEOUT
    ) -> None:
        self._get_core = get_core
        self._bus = bus
        self._notify_timeout = notify_timeout
        self._legacy: dict[Any, set[str]] = {}  # a connection -> the URIs it subscribed to
        self._stalled: set[Any] = set()  # connections that let their last update time out
        self._listens = 0  # open subscriptions/listen streams with resource URIs (the SDK's bus has no count)
        self._arriving = 0  # resources/subscribe calls taking their baseline
        self._baseline_taken: anyio.Event | None = None  # set when the baseline being taken is, for those waiting
        self._changed = anyio.Event()  # a tool changed something since the last check began
        self._last: dict[str, str] = {}  # the baseline, while anybody listens; {} when nobody does
        self._reads = 0  # checks that started reading
        self._compared = 0  # the latest-started of them whose reading is _last

    @property
    def listening(self) -> bool:
        """Whether any client is subscribed to a live URI (or subscribing): without one, nothing is checked."""
        return bool(self._listens or self._arriving or any(self._legacy.values()))

    def install(self, mcp: MCPServer) -> None:
        """resources/subscribe for 2025-era clients (MCPServer only serves subscriptions/listen), and the URIs of a
        listen checked as a subscribe's are. Both count who listens, and the first takes a baseline."""

        async def subscribe(ctx: ServerRequestContext, params: SubscribeRequestParams) -> EmptyResult:
            _check_live(params.uri)
            connection = ctx.session._connection
            self._arriving += 1
            try:
                await self._arrive()
                if connection not in self._legacy:
                    self._legacy[connection] = set()
                    connection.exit_stack.callback(self._forget, connection)
                self._legacy[connection].add(params.uri)
            finally:
                self._arriving -= 1
                self._left()
            return EmptyResult()

        async def unsubscribe(ctx: ServerRequestContext, params: UnsubscribeRequestParams) -> EmptyResult:
            self._legacy.get(ctx.session._connection, set()).discard(params.uri)
            self._left()
            return EmptyResult()

        lowlevel = mcp._lowlevel_server
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
        listen = lowlevel._request_handlers.get("subscriptions/listen")
        if listen is not None:  # the SDK's, for 2026-07-28 clients: it acknowledges any URI

            async def checked_listen(ctx: ServerRequestContext, params: SubscriptionsListenRequestParams) -> Any:
                uris = params.notifications.resource_subscriptions or ()
                for uri in uris:
                    _check_live(uri)
                if not uris:  # tools/prompts list changes only: nothing of ours to check for it
                    return await listen.handler(ctx, params)
                self._listens += 1
                try:  # the SDK's handler is on the bus before its first await: no change falls in between
                    await self._arrive()
                    return await listen.handler(ctx, params)
                finally:
                    self._listens -= 1
                    self._left()

            lowlevel.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, checked_listen)

    def _forget(self, connection: Any) -> None:
        self._legacy.pop(connection, None)
        self._stalled.discard(connection)
        self._left()

    async def _arrive(self) -> None:
        """Before a subscription is registered: a fresh baseline if nobody listened (none was kept meanwhile), so
        the subscriber hears of every change from now on and of none before."""
        while self._baseline_taken is not None:  # another subscriber arriving takes it: one is enough
            await self._baseline_taken.wait()
        if self._last:  # somebody listens: it is kept current
            return
        self._baseline_taken = taken = anyio.Event()  # made here: a server may serve one event loop after another
        try:
            read, current = await self._read()
            if read >= self._compared:
                self._compared = read
                self._last = current
        except Exception as exc:  # the subscription stands; the first check takes the baseline instead
            log.warning("no baseline for resource updates yet (%s: %s); the next check takes one",
                        type(exc).__name__, exc)
        finally:
            self._baseline_taken = None
            taken.set()

    def _left(self) -> None:
        """After a subscription ended: when nobody listens any more, the baseline is dropped (it goes stale
        unchecked), and a check still reading drops its reading rather than keep a stale one."""
        if not self.listening:
            self._last = {}
            self._compared = self._reads + 1

    def subscribers(self, uri: str) -> list[Any]:
        """The open 2025-era connections subscribed to ``uri``."""
        return [connection for connection, uris in list(self._legacy.items()) if uri in uris]

    def prime(self, core: RouterCore) -> None:
        self._last = live_documents(core)

    async def _read(self) -> tuple[int, dict[str, str]]:
        self._reads += 1
        read = self._reads
        return read, await anyio.to_thread.run_sync(lambda: live_documents(self._get_core()))

    async def check(self) -> list[str]:
        """Publish every live URI whose content changed since the last check; return them.

        Checks run at once (the poller, after tools' changes, a baseline): one whose reading is older than one
        already compared (it started first, finished later) is dropped, or it published the change again, undone."""
        read, current = await self._read()
        if read < self._compared:
            return []
        self._compared = read
        if not self._last:  # no baseline yet (taking it failed): this is the baseline, nothing has changed
            self._last = current
            return []
        changed = [uri for uri, doc in current.items() if self._last.get(uri) != doc]
        self._last = current
        for uri in changed:
            await self._bus.publish(ResourceUpdated(uri=uri))
        async with anyio.create_task_group() as group:
            for connection in {c for uri in changed for c in self.subscribers(uri)}:
                uris = [uri for uri in changed if uri in self._legacy.get(connection, ())]
                group.start_soon(self._notify, connection, uris)
        return changed

    async def after_change(self) -> None:
        """A tool changed usage or budget: :meth:`announce` checks it soon, with the other changes made meanwhile.
        Nothing at all while nobody listens. The tool answers without waiting: a failing check (a database locked
        past the busy timeout) cannot turn its change into an error, nor lose a task's result."""
        if self.listening:
            self._changed.set()

    async def announce(self, delay: float = COALESCE_SECONDS, *,
                       sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> None:
        """Check ``delay`` after a tool's change, once for every change made meanwhile (a batch's dispatches)."""
        failing: str | None = None
        pending, self._changed = self._changed.is_set(), anyio.Event()  # of this event loop (HTTP tests run several)
        if pending:
            self._changed.set()
        while True:
            await self._changed.wait()
            await sleep(delay)
            self._changed = anyio.Event()  # a change from now on may be after this check's reading: the next one's
            if self.listening:  # its subscribers may have left meanwhile: a reading kept then would go stale
                failing = await self._logged_check(failing, "resource update check after a change")

    async def run(self, interval: float = 1.0, *, sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> None:
        """Poll for changes made by other processes each ``interval`` while anybody listens."""
        failing: str | None = None  # the failure last logged, until a poll works again
        while True:
            await sleep(interval)
            if self.listening:
                failing = await self._logged_check(failing, "live update poll")

    async def _logged_check(self, failing: str | None, what: str) -> str | None:
        """:meth:`check`, logging a failure (e.g. a locked or unusable database) once per outage, not each time,
        and when it works again; the failure now logged, or None."""
        try:
            await self.check()
        except Exception as exc:
            if f"{type(exc).__name__}: {exc}" != failing:  # a lasting one is logged once, not every second
                log.exception("%s failed (not logged again until it changes or works)", what)
            return f"{type(exc).__name__}: {exc}"
        if failing is not None:
            log.warning("%s works again", what)
        return None

    async def _notify(self, connection: Any, uris: list[str]) -> None:
        """Tell one connection of its changed URIs, giving up after its timeout (short once it has stalled)."""
        stalled = connection in self._stalled
        timeout = STALLED_TIMEOUT if stalled else self._notify_timeout
        sent = 0
        with anyio.move_on_after(timeout) as scope:
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):  # closing now
                for uri in uris:
                    await connection.outbound.notify("notifications/resources/updated", {"uri": uri})
                    sent += 1
        if not scope.cancelled_caught:
            self._stalled.discard(connection)
            return
        if not stalled:
            log.warning("a subscribed client took no resource update within %gs (not reading its stream?); "
                        "it missed %s, and later updates wait %gs for it", timeout, ", ".join(uris[sent:]),
                        STALLED_TIMEOUT)
        self._stalled.add(connection)
