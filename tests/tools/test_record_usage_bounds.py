"""record_usage over MCP: out-of-range figures are clear errors that write nothing; the maximum routes on."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from server.app import create_server


@pytest.fixture
def server(settings, keyword_core):
    return create_server(settings, core_factory=lambda: keyword_core, live_interval=None)


async def usage(client: Client, provider: str) -> dict:
    return json.loads((await client.read_resource(f"usage://{provider}")).contents[0].text)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"requests": 2**63}, "requests must be a whole number from 0 to 1,000,000,000,000"),
        ({"tokens": 2**63}, "tokens must be a whole number from 0 to 1,000,000,000,000"),
        ({"cost_usd": 1e308}, "cost_usd must be at most 1,000,000 USD per record"),
        ({"cost_usd": 9e12}, "cost_usd must be at most 1,000,000 USD per record"),
    ],
)
async def test_overflowing_figures_are_clear_errors(server, args, expected):
    async with Client(server, raise_exceptions=False) as client:
        r = await client.call_tool("record_usage", {"provider": "codex", **args})
        assert r.is_error
        assert expected in r.content[0].text
        assert "InvalidRequest" in r.content[0].text


async def test_a_rejected_record_writes_nothing(server):
    async with Client(server, raise_exceptions=False) as client:
        r = await client.call_tool("record_usage", {"provider": "gemini", "requests": 77, "tokens": 99, "cost_usd": 1e300})
        assert r.is_error and "cost_usd" in r.content[0].text
        view = await usage(client, "gemini")
        assert (view["requests_used"], view["tokens_used"], view["source"]) == (0, 0, "tracked")
        assert (await client.call_tool("get_budget", {})).structured_content["spent"] == 0


async def test_routing_goes_on_after_the_largest_accepted_amounts(server):
    async with Client(server, raise_exceptions=False) as client:
        for _ in range(2):
            r = await client.call_tool(
                "record_usage", {"provider": "claude", "cost_usd": 1_000_000, "tokens": 10**12, "requests": 10**12}
            )
            assert not r.is_error, r.content[0].text
        assert r.structured_content["providers"]["claude"]["spent"] == 2_000_000
        for _ in range(2):  # the first claims the day's alerts, the second finds them claimed
            r = await client.call_tool("recommend_provider", {"task": "design the architecture"})
            assert not r.is_error, r.content[0].text
            assert r.structured_content["recommendation"]["provider"] in {"codex", "gemini", "claude"}


async def test_a_record_of_nothing_is_refused_not_answered_as_recorded(server):
    # {"provider": "codex"} alone (or cost_usd 0) recorded nothing and answered the budget as if it had; the CLI's
    # `usage set codex` already refuses it ("nothing to set").
    async with Client(server, raise_exceptions=False) as client:
        for args in ({}, {"cost_usd": 0}):
            r = await client.call_tool("record_usage", {"provider": "codex", **args})
            assert r.is_error
            assert "nothing to record: give requests, tokens and/or cost_usd" in r.content[0].text
        r = await client.call_tool("record_usage", {"provider": "codex", "requests": 0})  # a figure, if zero
        assert not r.is_error, r.content[0].text
