"""The CLI's standard streams as a shell or a supervisor may leave them: closed, not UTF-8, a terminal
whose user answers the prompt with Ctrl-D or Ctrl-C."""

from __future__ import annotations

import pytest

from server.cli import main


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["recommend", "fix the login bug"], 0, ""),  # not a terminal: no prompt
        (["classify", "--jsonl"], 0, ""),  # no lines
        (["batch", "--dry-run"], 2, "no tasks on stdin"),
        (["run", "fix the login bug", "--context-file", "-", "--route-only"], 0, ""),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_a_closed_stdin_reads_as_empty(cli_env, capsys, monkeypatch, argv, code, says):
    monkeypatch.setattr("sys.stdin", None)  # as Python leaves it for `switchboard ... <&-`
    assert main(argv) == code
    _, err = capsys.readouterr()
    assert "Traceback" not in err and says in err


def test_a_closed_stdout_is_refused_with_what_to_do(cli_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout", None)
    assert main(["budget"]) == 2
    assert "switchboard: stdout is closed" in capsys.readouterr().err
