"""The resource-update check a tool runs after it changed usage or budget is best effort: the change is
made and answered even when that check fails, and the poller pushes it once it works again."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.types import ResourceUpdatedNotification

import server.live
from router_core.errors import StateUnusable
from server.app import build_server


async def test_a_failing_update_check_does_not_turn_a_recorded_change_into_a_tool_error(settings, keyword_core,
                                                                                       monkeypatch, caplog):
    # The check reads the whole live state again (and writes its upkeep): a database locked past the busy
    # timeout, say, made record_usage answer an error after its spend was recorded, and a model that tried
    # again counted it twice; dispatch_agent lost the result of a task that had run and been paid for.
    parts = build_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    got: list[str] = []

    async def handler(msg) -> None:
        if isinstance(msg, ResourceUpdatedNotification):
            got.append(msg.params.uri)

    real = server.live.live_documents

    def locked(core):
        raise StateUnusable("the state database is locked")

    async with Client(parts.mcp, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("budget://today")
        await c.read_resource("budget://today")  # the core is built and the baseline taken
        monkeypatch.setattr(server.live, "live_documents", locked)
        r = await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
        assert not r.is_error, r.content[0].text
        assert keyword_core.budget().spent == pytest.approx(1.0)
        assert "the state database is locked" in caplog.text
        monkeypatch.setattr(server.live, "live_documents", real)
        assert "budget://today" in await parts.live.check()  # the next poll pushes the change
        await c.send_ping()
    assert got == ["budget://today"]


async def test_a_core_whose_first_live_snapshot_fails_is_kept_not_built_again_for_each_request(settings, keyword_core,
                                                                                             monkeypatch, caplog):
    # The baseline for change notifications was taken inside the build: when it failed, the core just built was
    # dropped (its database connection left open) and built again for every request, each failing the same way.
    built: list[object] = []

    def factory():
        built.append(keyword_core)
        return keyword_core

    def locked(core):
        raise StateUnusable("the state database is locked")

    monkeypatch.setattr(server.live, "live_documents", locked)
    parts = build_server(settings, core_factory=factory, live_interval=None)
    async with Client(parts.mcp, mode="legacy") as c:
        for _ in range(2):
            r = await c.call_tool("classify_task", {"task": "Fix the login bug"})
            assert not r.is_error, r.content[0].text
    assert len(built) == 1 and "the state database is locked" in caplog.text
