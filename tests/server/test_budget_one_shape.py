"""get_budget, budget://today, the dashboard's budget and `switchboard budget --json` give today's budget in one shape
(router_core/budget_view.py), so that a host, Inspector, a script and the page read the same fields for the same
thing. Before, the tool said ``next_reset`` and keyed ``providers`` by name with its alerts as bare messages, and the
resource said ``next_reset_at``, listed ``providers`` and gave one alert per threshold, the message repeated."""

from __future__ import annotations

import json

from mcp import Client

from server.app import create_server
from server.cli import main
from server.dashboard_state import dashboard_state

NO_BACKENDS = dict.fromkeys(("codex", "gemini", "claude"), "none")
CRITICAL = "CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 50%, 75% and 90% thresholds at once"


async def test_the_tool_and_the_resource_give_the_same_budget(settings, keyword_core):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as client:
        await client.call_tool("record_usage", {"provider": "gemini", "cost_usd": 40.0})
        await client.call_tool("record_usage", {"provider": "codex", "cost_usd": 20.0})
        await client.call_tool("record_usage", {"provider": "claude", "cost_usd": 32.0})  # $92: none announced yet
        tool = (await client.call_tool("get_budget", {})).structured_content
        resource = json.loads((await client.read_resource("budget://today")).contents[0].text)
    assert tool == resource == dashboard_state(keyword_core, backends=NO_BACKENDS)["budget"]
    assert set(resource["providers"]) == {"codex", "gemini", "claude"}
    assert resource["providers"]["claude"] == {"allocation": 30.0, "spent": 32.0, "reserved": 0.0, "remaining": 0.0,
                                               "percent_used": 106.6}
    assert resource["next_reset_at"].endswith("T00:00:00Z")
    # One alert per message, with the thresholds it stands for and the highest level among them.
    assert [(a["level"], a["thresholds"], a["message"].splitlines()[0]) for a in resource["alerts"]] == [
        ("critical", [50, 75, 90], CRITICAL)]  # said once, not once per threshold it names
    assert [t["passed"] for t in resource["thresholds"]] == [True, True, True]


def test_switchboard_budget_json_is_the_same_shape(cli_env, capsys):
    assert main(["usage", "set", "codex", "--cost", "60"]) == 0
    capsys.readouterr()
    assert main(["budget", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert set(view) == {"day", "timezone", "total", "spent", "reserved", "remaining", "percent_used", "next_reset_at",
                         "providers", "alerts", "thresholds"}
    assert view["providers"]["codex"]["spent"] == 60.0
    assert [(a["level"], a["thresholds"]) for a in view["alerts"]] == [("info", [50])]
