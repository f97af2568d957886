"""2025-era resources/subscribe: one subscription per connection, cancelled by unsubscribe, dropped on close."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client, MCPError
from mcp.types import ResourceUpdatedNotification

from server.app import build_server


def collector() -> tuple[list[str], object]:
    got: list[str] = []

    async def handler(msg) -> None:
        if isinstance(msg, ResourceUpdatedNotification):
            got.append(msg.params.uri)

    return got, handler


async def spend_and_check(parts, client: Client) -> None:
    await client.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
    await parts.live.check()
    await client.send_ping()  # the notification, if any, arrives before the ping's answer


async def test_subscribing_twice_notifies_once(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("budget://today")
        await c.subscribe_resource("budget://today")
        await spend_and_check(parts, c)
    assert got == ["budget://today"]


async def test_unsubscribe_stops_notifications(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("budget://today")
        await c.unsubscribe_resource("budget://today")
        await spend_and_check(parts, c)
    assert got == []
    assert parts.live.subscribers("budget://today") == []


async def test_a_closed_connection_is_forgotten(settings, keyword_core):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(parts.mcp, mode="legacy") as c:
        for uri in ("usage://summary", "usage://codex", "usage://gemini", "usage://claude"):
            await c.subscribe_resource(uri)
        await c.subscribe_resource("budget://today")
        assert len(parts.live.subscribers("budget://today")) == 1
    assert parts.live.subscribers("budget://today") == []
    assert parts.live._legacy == {}


async def test_a_subscription_that_would_never_fire_is_refused(settings, keyword_core):
    # Accepted silently before: a typo (usage://mistral) or audit://recent never heard of an update.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        for uri in ("usage://mistral", "audit://recent", "agents://pool", "nope://x"):
            with pytest.raises(MCPError, match="budget://today") as caught:
                await c.subscribe_resource(uri)
            assert caught.value.code == -32602 and uri in caught.value.message
        assert parts.live._legacy == {} or all(not uris for uris in parts.live._legacy.values())
        await c.subscribe_resource("usage://claude")  # the connection goes on
        await spend_and_check(parts, c)
    assert got == ["usage://claude"]


def test_the_subscribable_uris_are_the_ones_checked_for_changes(keyword_core):
    from server.live import LIVE_URIS, live_documents

    assert set(LIVE_URIS) == set(live_documents(keyword_core))


class StuckConnection:
    """A subscribed connection whose client stopped reading: every notify blocks."""

    def __init__(self) -> None:
        self.outbound = self
        self.attempts = 0

    async def notify(self, method: str, params: dict) -> None:
        self.attempts += 1
        await anyio.Event().wait()


async def test_a_client_that_stopped_reading_does_not_hold_up_the_others(settings, keyword_core, caplog):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    parts.live._notify_timeout = 0.05
    stuck = StuckConnection()
    parts.live._legacy[stuck] = {"budget://today"}
    got, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("budget://today")
        with anyio.fail_after(30):  # before the bound, this check never returned
            await spend_and_check(parts, c)
    assert got == ["budget://today"]
    assert stuck.attempts == 1
    assert "missed budget://today" in caplog.text
    assert stuck in parts.live._stalled


async def test_a_stalled_client_gets_only_a_short_wait_until_it_reads_again(settings, keyword_core, monkeypatch):
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    parts.live._notify_timeout = 3600.0  # a check that gave the stalled connection this long would not return
    stuck = StuckConnection()
    parts.live._legacy[stuck] = {"budget://today"}
    parts.live.prime(keyword_core)  # as its subscribing did
    parts.live._stalled.add(stuck)
    async with Client(parts.mcp, mode="legacy") as c:
        with anyio.fail_after(30):
            await spend_and_check(parts, c)
    assert stuck.attempts == 1 and stuck in parts.live._stalled

    async def reads_again(method: str, params: dict) -> None:
        stuck.attempts += 1

    monkeypatch.setattr(stuck, "notify", reads_again)
    async with Client(parts.mcp, mode="legacy") as c:
        await spend_and_check(parts, c)
    assert stuck.attempts == 2 and stuck not in parts.live._stalled


async def test_a_lasting_poll_failure_is_logged_once_not_every_second(keyword_core, caplog):
    # A state database that stays unusable (its -shm deleted, a full disk, a lock held for minutes) used to log
    # a traceback of some 20 lines at every poll: 86,400 a day into the host's MCP log.
    from mcp.server.subscriptions import InMemorySubscriptionBus

    from router_core.errors import StateUnusable
    from server.live import LiveUpdates

    broken = [True]

    def get_core():
        if broken[0]:
            raise StateUnusable("the state database's -shm file was deleted")
        return keyword_core

    polls = [0]

    async def tick(seconds: float) -> None:
        polls[0] += 1
        broken[0] = polls[0] <= 5 or polls[0] > 8  # down, back for a while, down again
        if polls[0] > 12:
            raise anyio.get_cancelled_exc_class()()

    live = LiveUpdates(get_core, InMemorySubscriptionBus())
    live._legacy[object()] = {"budget://today"}  # somebody listens: nobody, and the poller reads nothing
    with pytest.raises(anyio.get_cancelled_exc_class()):
        await live.run(1.0, sleep=tick)
    failures = [r for r in caplog.records if "live update poll failed" in r.getMessage()]
    assert len(failures) == 2  # once per outage, each with its traceback
    assert all(r.exc_info for r in failures)
    assert "works again" in caplog.text


async def test_a_check_that_read_before_a_change_does_not_publish_after_one_that_read_after_it(keyword_core,
                                                                                           monkeypatch):
    # The poller and a tool's check after its change run at once: the poll that read before the change and
    # finished last took its older reading for the current state, published every URI of the change again (it
    # had "changed back") and once more at the next poll: a subscriber re-read three times for one change.
    import threading

    from mcp.server.subscriptions import InMemorySubscriptionBus

    import server.live
    from server.live import LiveUpdates

    bus = InMemorySubscriptionBus()
    published: list[str] = []
    bus.subscribe(lambda event: published.append(event.uri))
    live = LiveUpdates(lambda: keyword_core, bus)
    live.prime(keyword_core)
    read, go_on = threading.Event(), threading.Event()
    real = server.live.live_documents

    def slow_first(core):
        docs = real(core)
        if not read.is_set():  # the poll: it has read, and is slow to come back
            read.set()
            go_on.wait(30)
        return docs

    monkeypatch.setattr(server.live, "live_documents", slow_first)
    async with anyio.create_task_group() as tg:
        tg.start_soon(live.check)
        assert await anyio.to_thread.run_sync(read.wait, 30)
        keyword_core.record_usage("claude", requests=None, tokens=None, cost_usd=1.0, manual=True)
        changed = await live.check()  # the tool's check, after its change
        go_on.set()
    assert "budget://today" in changed and sorted(published) == sorted(changed)
    assert await live.check() == []  # and nothing changed since
    assert sorted(published) == sorted(changed)


async def test_a_listen_for_a_resource_that_would_never_fire_is_refused(settings, keyword_core):
    # A 2026-07-28 client's subscriptions/listen was acknowledged for any URI: a typo (usage://mistral) or
    # audit://recent was honoured and never heard of, as resources/subscribe was before it refused them.
    from mcp.server.subscriptions import ResourceUpdated

    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(parts.mcp) as c:
        for uri in ("usage://mistral", "audit://recent"):
            with pytest.raises(MCPError, match="budget://today") as caught:
                async with c.listen(resource_subscriptions=["usage://claude", uri]):
                    pass
            assert caught.value.code == -32602 and uri in caught.value.message
        async with c.listen(resource_subscriptions=["usage://claude"]) as sub:  # the connection goes on
            await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
            with anyio.fail_after(30):
                assert await sub.__anext__() == ResourceUpdated(uri="usage://claude")
        async with c.listen(tools_list_changed=True):  # no resources: nothing to check
            pass
