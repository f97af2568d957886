"""What a tool's change costs the live updates: nothing while nobody is subscribed; with subscribers, one check
shortly after, for all the changes made meanwhile. The check is best effort and the tool does not wait for it:
the change is made and answered even when that check fails, and the poller pushes it once it works again."""

from __future__ import annotations

import functools
import logging

import anyio
import pytest
from mcp import Client
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp.types import ResourceUpdatedNotification

import server.live
from router_core.errors import StateUnusable
from server.app import build_server
from server.live import LiveUpdates


def collector() -> tuple[list[str], anyio.Event, object]:
    got: list[str] = []
    seen = anyio.Event()

    async def handler(msg) -> None:
        if isinstance(msg, ResourceUpdatedNotification):
            got.append(msg.params.uri)
            seen.set()

    return got, seen, handler


async def subscribe_and_spend(c: Client, seen: anyio.Event) -> None:
    """Subscribe (legacy) to usage://codex and budget://today, spend on claude, and wait for the notice it causes
    (the ping after it: any other notice would have arrived before the ping's answer)."""
    await c.subscribe_resource("usage://codex")
    await c.subscribe_resource("budget://today")
    await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
    with anyio.fail_after(30):
        await seen.wait()
    await c.send_ping()


def count_reads(monkeypatch) -> list[int]:
    """How many times the live documents are built (each: the usage summary and budget views, JSON-dumped)."""
    reads = [0]
    real = server.live.live_documents

    def counted(core):
        reads[0] += 1
        return real(core)

    monkeypatch.setattr(server.live, "live_documents", counted)
    return reads


class LoggedEvent(logging.Handler):
    """Set once a record containing ``text`` is logged (on the event loop's thread, where the checks log)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


async def test_nothing_is_read_while_nobody_listens(settings, keyword_core, monkeypatch):
    # Every dispatch_agent and record_usage rebuilt the usage summary and budget views and JSON-dumped them
    # (1.9M of the 8.1M instructions an MCP dispatch cost), and the poller did each second, for nobody.
    reads = count_reads(monkeypatch)
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(parts.mcp, mode="legacy") as c:
        for _ in range(3):
            r = await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
            assert not r.is_error, r.content[0].text
        await c.send_ping()
    assert reads[0] == 0 and not parts.live._changed.is_set()  # and nothing is left to check later

    polls = [0]

    async def tick(seconds: float) -> None:
        polls[0] += 1
        if polls[0] > 5:
            raise anyio.get_cancelled_exc_class()()

    with pytest.raises(anyio.get_cancelled_exc_class()):
        await parts.live.run(1.0, sleep=tick)
    assert reads[0] == 0


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_subscriber_arriving_later_hears_of_the_next_change_and_of_none_before(settings, keyword_core, mode):
    # Its baseline is taken as it subscribes: a change made before (here one no check saw, as another process's
    # between two polls) is not announced to it as if it were new; the next change is.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, seen, handler = collector()
    async with Client(parts.mcp, mode=mode, message_handler=handler) as c:
        await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})  # nobody listens yet
        keyword_core.usage_tracker.record("codex", requests=3, tokens=300)
        if mode == "legacy":
            await subscribe_and_spend(c, seen)
            assert got == ["budget://today"]
        else:
            async with c.listen(resource_subscriptions=["usage://codex", "usage://claude"]) as sub:
                await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
                with anyio.fail_after(30):
                    assert await sub.__anext__() == ResourceUpdated(uri="usage://claude")


async def test_a_subscriber_coming_back_hears_of_the_next_change_and_of_none_while_away(settings, keyword_core):
    # Nobody listening, the baseline is not kept current: it is dropped when the last subscriber leaves, and the
    # next one takes a fresh one.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, seen, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.call_tool("get_budget", {})  # the core is built
        await c.subscribe_resource("usage://codex")
        await c.unsubscribe_resource("usage://codex")
        keyword_core.usage_tracker.record("codex", requests=3, tokens=300)  # while nobody listens
        await subscribe_and_spend(c, seen)
    assert got == ["budget://today"]


class RecordingConnection:
    """A subscribed 2025-era connection that reads its stream."""

    def __init__(self) -> None:
        self.outbound = self
        self.sent: list[str] = []
        self.took = anyio.Event()

    async def notify(self, method: str, params: dict) -> None:
        self.sent.append(params["uri"])
        self.took.set()


async def test_a_burst_of_changes_is_checked_and_announced_once(keyword_core, monkeypatch):
    # A batch's dispatches each checked for updates after their change: 500 tasks, 500 readings, and a
    # subscriber told of budget://today up to 500 times in a few seconds.
    live = LiveUpdates(lambda: keyword_core, InMemorySubscriptionBus())
    connection = RecordingConnection()
    live._legacy[connection] = {"budget://today"}
    live.prime(keyword_core)  # as its subscribing did
    reads = count_reads(monkeypatch)
    burst_over = anyio.Event()

    async def until_the_burst_is_over(seconds: float) -> None:
        await burst_over.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(functools.partial(live.announce, sleep=until_the_burst_is_over))
        for _ in range(20):
            keyword_core.record_usage("claude", requests=None, tokens=None, cost_usd=0.01, manual=True)
            await live.after_change()
        burst_over.set()
        with anyio.fail_after(30):
            await connection.took.wait()
        assert reads[0] == 1 and connection.sent == ["budget://today"]

        connection.took = anyio.Event()  # a change after that check has one of its own
        keyword_core.record_usage("claude", requests=None, tokens=None, cost_usd=0.01, manual=True)
        await live.after_change()
        with anyio.fail_after(30):
            await connection.took.wait()
        tg.cancel_scope.cancel()
    assert reads[0] == 2 and connection.sent == ["budget://today"] * 2


async def test_a_failing_update_check_does_not_turn_a_recorded_change_into_a_tool_error(settings, keyword_core,
                                                                                       monkeypatch):
    # The check reads the whole live state again (and writes its upkeep): a database locked past the busy
    # timeout, say, made record_usage answer an error after its spend was recorded, and a model that tried
    # again counted it twice; dispatch_agent lost the result of a task that had run and been paid for.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, _, handler = collector()
    real = server.live.live_documents
    failed = LoggedEvent("resource update check after a change failed")
    logging.getLogger(server.live.__name__).addHandler(failed)

    def locked(core):
        raise StateUnusable("the state database is locked")

    try:
        async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
            await c.subscribe_resource("budget://today")  # the baseline is taken
            monkeypatch.setattr(server.live, "live_documents", locked)
            r = await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
            assert not r.is_error, r.content[0].text
            assert keyword_core.budget().spent == pytest.approx(1.0)
            with anyio.fail_after(30):
                await failed.event.wait()
            monkeypatch.setattr(server.live, "live_documents", real)
            assert "budget://today" in await parts.live.check()  # the next poll pushes the change
            await c.send_ping()
    finally:
        logging.getLogger(server.live.__name__).removeHandler(failed)
    assert got == ["budget://today"]


async def test_a_baseline_that_fails_leaves_the_subscription_and_the_core_standing(settings, keyword_core,
                                                                                  monkeypatch, caplog):
    # The baseline for change notifications was taken inside the build: when it failed, the core just built was
    # dropped (its database connection left open) and built again for every request, each failing the same way.
    # It is now taken by the first subscription, which stands; the first check that works takes it instead.
    built: list[object] = []

    def factory():
        built.append(keyword_core)
        return keyword_core

    def locked(core):
        raise StateUnusable("the state database is locked")

    monkeypatch.setattr(server.live, "live_documents", locked)
    parts = build_server(settings, core_factory=factory, live_interval=None)
    async with Client(parts.mcp, mode="legacy") as c:
        await c.subscribe_resource("budget://today")
        for _ in range(2):
            r = await c.call_tool("classify_task", {"task": "Fix the login bug"})
            assert not r.is_error, r.content[0].text
        assert parts.live.subscribers("budget://today")
    assert len(built) == 1 and "no baseline for resource updates yet" in caplog.text


async def test_a_change_whose_subscriber_left_before_its_check_keeps_no_baseline(keyword_core):
    # The check after a change ran even when its only subscriber had left meanwhile: nobody listening, it read
    # the live state for nobody and kept that reading as the baseline, which nothing kept current after it. The
    # next subscriber then found a baseline and took none of its own, and was told, as new, of every change
    # made while nobody listened (here codex's usage).
    live = LiveUpdates(lambda: keyword_core, InMemorySubscriptionBus())
    first, later = RecordingConnection(), RecordingConnection()
    live._legacy[first] = {"usage://codex", "budget://today"}
    live.prime(keyword_core)  # as its subscribing did
    reads = [0]

    async def read_at_once() -> tuple[int, dict[str, str]]:  # no thread: each step below ends where it is awaited
        reads[0] += 1
        live._reads += 1
        return live._reads, server.live.live_documents(keyword_core)

    async def the_subscriber_leaves(seconds: float) -> None:  # while the check waits for the burst to end
        live._forget(first)

    live._read = read_at_once
    async with anyio.create_task_group() as tg:
        tg.start_soon(functools.partial(live.announce, sleep=the_subscriber_leaves))
        keyword_core.record_usage("claude", requests=None, tokens=None, cost_usd=0.01, manual=True)
        await live.after_change()
        await anyio.wait_all_tasks_blocked()  # announce has woken, waited, and is waiting for the next change
        assert not live.listening and reads[0] == 0 and live._last == {}

        keyword_core.usage_tracker.record("codex", requests=3, tokens=300)  # while nobody listens
        await live._arrive()  # a subscriber comes back: a baseline of its own
        live._legacy[later] = {"usage://codex", "budget://today"}
        keyword_core.record_usage("claude", requests=None, tokens=None, cost_usd=0.01, manual=True)
        assert "usage://codex" not in await live.check()
        tg.cancel_scope.cancel()
    assert later.sent == ["budget://today"]


@pytest.fixture
def backends(monkeypatch, clock):
    """Keys and URLs of the fake providers, as a shell would hold them."""
    from tests.execution.fakes import fake_environ, fake_server

    with fake_server(clock) as fake:
        for var, value in fake_environ(fake).items():
            monkeypatch.setenv(var, value)
        yield fake


@pytest.mark.parametrize(("tool", "args"), [
    ("dispatch_agent", {"task": "Implement a CSV export endpoint for the reports API"}),
    ("run_batch", {"tasks": [{"task": "Implement a CSV export endpoint for the reports API"}], "dry_run": False}),
])
async def test_a_task_run_by_a_tool_is_announced_to_a_subscriber_without_a_poll(settings, keyword_core, backends,
                                                                              tool, args):
    # The calls it made and their cost are a change of usage://<provider> and budget://today: checked just after
    # the tool ends (with the other changes made meanwhile), not at the next poll (there is none here).
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got, seen, handler = collector()
    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("usage://codex")
        await c.subscribe_resource("budget://today")
        r = await c.call_tool(tool, args)
        assert not r.is_error, r.content[0].text
        assert backends.stats("codex").requests == 1  # it ran, on codex
        with anyio.fail_after(30):  # a bound for a loaded machine, not a measurement
            await seen.wait()
        await c.send_ping()  # any other notice arrives before the ping's answer
    assert sorted(got) == ["budget://today", "usage://codex"]
