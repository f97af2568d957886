"""record_feedback refuses a routed_provider Switchboard does not route the task to, and learns nothing."""

from __future__ import annotations

import pytest
from mcp import Client

from router_core.core import RouterCore
from server.app import create_server


@pytest.fixture
def core(settings, clock) -> RouterCore:
    return RouterCore.build(settings, clock=clock)  # the default (trained, learning) classifier


@pytest.fixture
def server(settings, core):
    return create_server(settings, core_factory=lambda: core, live_interval=None)


@pytest.fixture(params=["auto", "legacy"])
def mode(request) -> str:
    return request.param


async def test_a_false_confirmation_is_a_tool_error_and_routing_is_unchanged(server, mode, core):
    async with Client(server, mode=mode, raise_exceptions=mode != "legacy") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        r = await client.call_tool("record_feedback", {"task": "explain the auth flow", "routed_provider": "codex",
                                                       "correct_provider": "codex"})
        after = await client.call_tool("classify_task", {"task": "explain the login flow"})
    assert r.is_error
    text = r.content[0].text
    assert "Switchboard routes this task to gemini/explanation, not to codex" in text
    assert "record a correction: routed_provider='gemini', correct_provider='codex'" in text
    assert after.structured_content["primary_provider"] == "gemini"
    assert core.feedback_corrections() == []
    described = tools["record_feedback"]
    assert "routed_provider must be where Switchboard routes the task now" in described.description
    assert "another is refused" in described.input_schema["properties"]["routed_provider"]["description"]
