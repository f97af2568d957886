"""What a user walking the README's CLI journeys saw that was wrong (one test per defect found)."""

from __future__ import annotations

from server.cli import main


def test_recommend_shows_a_budget_alert_once(cli_env, capsys):
    # The decision that crosses a threshold claims its alert, which is also among the recommendation's budget
    # alerts: `recommend` printed "INFO: Daily budget at 69% ..." twice, one under the other.
    assert main(["usage", "set", "claude", "--cost", "30"]) == 0
    assert main(["usage", "set", "codex", "--cost", "29.99"]) == 0
    capsys.readouterr()
    assert main(["recommend", "Fix the bug in data loader"]) == 0
    out = capsys.readouterr().out
    assert out.count("Daily budget at 59%") == 1, out
