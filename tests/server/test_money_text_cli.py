"""The CLI says an amount as every message does (router_core.budget_text.money): a fraction of a cent is not
"$0.0000" or "0.0000" (it was, in `budget`'s header and table and `usage show`'s spent column)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from router_core.execution.attempts import CANCELLED_IN_FLIGHT
from server.cli import main


def test_budget_and_usage_show_a_spend_under_a_hundredth_of_a_cent(cli_env, capsys, caplog):
    caplog.set_level(logging.INFO, logger="router_core.core")
    assert main(["usage", "set", "codex", "--cost", "0.00004"]) == 0
    assert "usage recorded for codex: None requests, None tokens, $0.000040 (manual=True)" in caplog.messages
    capsys.readouterr()
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    assert "$0.000040 / $100.00" in out, out
    codex = next(line for line in out.splitlines() if line.startswith("codex "))
    assert codex.split() == ["codex", "$30.00", "$0.000040", "$0.00", "$30.00", "0.0%"]
    assert main(["usage"]) == 0
    codex = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("codex "))
    assert "$0.000040" in codex


def test_a_call_cancelled_in_flight_says_what_it_is_charged():
    from server.commands._notices import cancelled_notice

    call = SimpleNamespace(provider="codex", error=CANCELLED_IN_FLIGHT, cost_usd=0.00004)
    assert cancelled_notice(SimpleNamespace(attempts=[call], error=None)) == (
        "switchboard: cancelled; the call in flight to codex is charged at its estimate, $0.000040, since the "
        "provider may bill it")


def test_recommend_and_the_tools_say_a_spend_from_ten_cents_up_to_the_hundredth_of_a_cent(cli_env, capsys):
    # Before: "Daily Budget: $0.15 / $100.00" (and "spent": "$0.15" in get_budget's result) for $0.153, where the
    # budget alerts and refusals said "$0.1530".
    assert main(["usage", "set", "codex", "--cost", "0.153"]) == 0
    capsys.readouterr()
    assert main(["recommend", "Fix the bug in data loader"]) == 0
    assert "Daily Budget: $0.1530 / $100.00 (0.1%)" in capsys.readouterr().out
