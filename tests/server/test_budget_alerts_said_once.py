"""get_budget's ``alerts``: thresholds passed together share one message (budget_text.alert_message), said once."""

from __future__ import annotations

from mcp import Client

from server.app import create_server


async def test_get_budget_says_a_jump_past_several_thresholds_once(settings, keyword_core):
    # Before: spend from $0 to $92 of $100 listed 'CRITICAL: Daily budget at 92% ..., past the 50%, 75% and 90%
    # thresholds at once' three times in get_budget's alerts, once per threshold it names.
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as client:
        await client.call_tool("record_usage", {"provider": "gemini", "cost_usd": 40.0})
        await client.call_tool("record_usage", {"provider": "codex", "cost_usd": 20.0})
        await client.call_tool("record_usage", {"provider": "claude", "cost_usd": 32.0})  # $92: none announced yet
        budget = (await client.call_tool("get_budget", {})).structured_content
    assert [a["message"].splitlines()[0] for a in budget["alerts"]] == [
        "CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 50%, 75% and 90% thresholds at once"]
    assert [t["passed"] for t in budget["thresholds"]] == [True, True, True]
