"""Design 8.1: each provider's spend today is shown with its share of the provider's allocation
("codex": "$12.50 (42% of allocated)"), in get_budget, budget://today and `switchboard budget`."""

from __future__ import annotations

import json

from mcp import Client

from server.app import create_server
from server.cli import main


async def test_get_budget_and_budget_today_give_each_providers_share_of_its_allocation(settings, keyword_core):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as client:
        await client.call_tool("record_usage", {"provider": "codex", "cost_usd": 12.5})
        budget = (await client.call_tool("get_budget", {})).structured_content
        resource = json.loads((await client.read_resource("budget://today")).contents[0].text)
    assert budget["providers"]["codex"]["percent_used"] == 41.6  # $12.50 of $30.00, rounded down as percent_used
    assert budget["providers"]["gemini"]["percent_used"] == 0.0
    assert resource["providers"]["codex"]["percent_used"] == 41.6 and resource["providers"]["claude"]["percent_used"] == 0.0


def test_switchboard_budget_shows_each_providers_share_of_its_allocation(cli_env, capsys):
    assert main(["usage", "set", "codex", "--cost", "12.5"]) == 0
    capsys.readouterr()
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("provider"))
    codex = next(line for line in out.splitlines() if line.startswith("codex"))
    assert header.split()[-1] == "used" and codex.split()[-1] == "41.6%"
    assert main(["budget", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert {name: p["percent_used"] for name, p in view["providers"].items()} == {"codex": 41.6, "gemini": 0.0, "claude": 0.0}
