"""Design 8.1: the budget's alerts are every threshold with its amount and whether spend has passed it
("50_percent": "$50.00 (PASSED)", "75_percent": "$75.00 ..."), in get_budget, budget://today and `switchboard
budget`, beside the passed thresholds' messages (``alerts``, as before). Before, only the passed ones were listed."""

from __future__ import annotations

import json

from mcp import Client

from server.app import create_server
from server.cli import main

EXPECTED = [
    {"percent": 50, "amount": 50.0, "passed": True},
    {"percent": 75, "amount": 75.0, "passed": False},
    {"percent": 90, "amount": 90.0, "passed": False},
]


async def test_get_budget_and_budget_today_list_every_threshold(settings, keyword_core):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as client:
        await client.call_tool("record_usage", {"provider": "gemini", "cost_usd": 40.0})
        await client.call_tool("record_usage", {"provider": "codex", "cost_usd": 20.0})  # $60 of $100
        budget = (await client.call_tool("get_budget", {})).structured_content
        resource = json.loads((await client.read_resource("budget://today")).contents[0].text)
    assert budget["thresholds"] == EXPECTED == resource["thresholds"]
    assert [a["message"].splitlines()[0] for a in budget["alerts"]] == ["INFO: Daily budget at 60% ($60.00 / $100.00)"]
    assert [(a["thresholds"], a["level"]) for a in resource["alerts"]] == [([50], "info")]


def test_switchboard_budget_lists_every_threshold_and_says_a_jump_once(cli_env, capsys):
    assert main(["usage", "set", "gemini", "--cost", "40"]) == 0
    assert main(["usage", "set", "codex", "--cost", "20"]) == 0
    capsys.readouterr()
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    assert "Alerts at: 50% $50.00 (passed), 75% $75.00, 90% $90.00\n" in out
    assert main(["budget", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["thresholds"] == EXPECTED
    assert main(["usage", "set", "claude", "--cost", "32"]) == 0  # $92: past 75% and 90% at once
    capsys.readouterr()
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    assert "Alerts at: 50% $50.00 (passed), 75% $75.00 (passed), 90% $90.00 (passed)\n" in out
    said = [line for line in out.splitlines() if "Daily budget at" in line]  # none announced yet: all three at once
    assert said == ["CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 50%, 75% and 90% thresholds at once"]
