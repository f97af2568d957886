"""A daily total of 0 is no budget (every task is refused, budget_text.budget_exceeded_message): `switchboard budget`
says so, and no view lists alert thresholds of it. Before, the CLI printed 'Alerts at: 50% $0.00, 75% $0.00, 90%
$0.00', and get_budget, budget://today and `budget --json` listed those three $0 thresholds, never to be passed."""

from __future__ import annotations

import json

from mcp import Client

from server.app import create_server
from server.cli import main

NO_BUDGET = "[budget]\ndaily_total = 0\n[budget.allocation]\ncodex = 0\ngemini = 0\nclaude = 0\n"


def test_switchboard_budget_says_there_is_no_daily_budget(cli_env, capsys):
    (cli_env / ".switchboard.toml").write_text('classifier = "keywords"\n' + NO_BUDGET)
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    assert "Alerts at" not in out and "$0.00, 75%" not in out
    assert "No daily budget (budget.daily_total = 0): no provider can run a task, and there are no alerts" in out
    assert main(["budget", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["total"] == 0 and view["thresholds"] == [] and view["alerts"] == []


async def test_get_budget_and_budget_today_list_no_thresholds_of_a_zero_total(tmp_path, env):
    from config import load_settings

    (tmp_path / ".switchboard.toml").write_text(NO_BUDGET)
    settings = load_settings(environ=env, cwd=tmp_path)
    async with Client(create_server(settings, live_interval=None)) as client:
        tool = (await client.call_tool("get_budget", {})).structured_content
        resource = json.loads((await client.read_resource("budget://today")).contents[0].text)
    assert "thresholds" not in tool and "alerts" not in tool  # left out at their default: nothing to say
    assert resource["thresholds"] == [] and resource["alerts"] == []
