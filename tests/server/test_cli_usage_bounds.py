"""`switchboard usage set` with figures beyond the bounds: a clear error, exit 2, nothing written."""

from __future__ import annotations

import json

import pytest

from server.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("--requests", "9223372036854775808"), "--requests must be a whole number from 0 to 1,000,000,000,000"),
        (("--tokens", "-1"), "--tokens must be a whole number from 0 to 1,000,000,000,000"),
        (("--cost", "1e300"), "--cost must be at most 1,000,000 USD per record"),
        (("--cost", "inf"), "--cost must be a finite amount of USD"),
    ],
)
def test_out_of_range_figures_are_clear_errors(cli_env, capsys, argv, expected):
    code, _, err = run(capsys, "usage", "set", "codex", *argv)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_a_refused_set_writes_nothing(cli_env, capsys):
    code, _, err = run(capsys, "usage", "set", "gemini", "--requests", "77", "--tokens", "99", "--cost", "1e300")
    assert code == 2 and "--cost" in err
    code, out, _ = run(capsys, "usage", "--json")
    gemini = json.loads(out)["providers"]["gemini"]
    assert (gemini["requests_used"], gemini["tokens_used"]) == (0, 0)
    code, out, _ = run(capsys, "budget", "--json")
    assert json.loads(out)["spent"] == 0


def test_usage_names_no_unknown_time_for_a_block_that_has_none(cli_env, capsys):
    # A budget block lifts at no time the usage view knows: the table said "... = 0) until ?".
    (cli_env / ".switchboard.toml").write_text('classifier = "keywords"\n[budget.allocation]\ncodex = 0\n')
    code, out, _ = run(capsys, "usage")
    (codex,) = [line for line in out.splitlines() if line.startswith("codex")]
    assert code == 0 and "BLOCKED: budget: codex has no allocation" in codex
    assert "until ?" not in out


def test_a_set_with_no_figure_says_what_to_give(cli_env, capsys):
    # It recorded nothing and printed the provider's state with exit 0, as if something had been entered.
    code, out, err = run(capsys, "usage", "set", "codex")
    assert code == 2 and out == ""
    assert err.startswith("switchboard: nothing to record: give --requests, --tokens and/or --cost, as codex's console "
                          "shows them (switchboard usage set codex --requests 2500 --tokens 450000)")
    assert run(capsys, "usage", "set", "codex", "--cost", "0")[0] == 2  # $0 alone records nothing too, as record_usage says
