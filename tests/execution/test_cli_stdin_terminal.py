"""A command that reads stdin says so when stdin is a terminal: `switchboard batch` typed without `< tasks.json` sat
silent, waiting for input the user did not know it wanted, as `serve` did before it said what it waits for."""

from __future__ import annotations

import io

import pytest

from server.cli import main
from tests.execution.test_cli import shell, use_fake  # noqa: F401  (the fixture)


class Terminal(io.StringIO):
    """stdin typed at a terminal: what the user types, then Ctrl-D."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("argv", "typed", "named"), [
    (["batch", "--dry-run"], '["Implement the CSV export endpoint"]\n', "switchboard batch < tasks.json"),
    (["classify", "--jsonl"], '{"id": 1, "text": "Implement the CSV export endpoint"}\n',
     "switchboard classify --jsonl < tasks.jsonl"),
    (["run", "Implement the CSV export endpoint", "--route-only", "--context-file", "-"], "the notes\n",
     "--context-file notes.txt"),
])
def test_reading_stdin_at_a_terminal_says_so(shell, monkeypatch, capsys, argv, typed, named):  # noqa: F811
    use_fake(monkeypatch, shell)
    monkeypatch.setattr("sys.stdin", Terminal(typed))
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "from the terminal" in err and "Ctrl-D" in err and named in err


def test_reading_a_pipe_says_nothing_of_it(shell, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setattr("sys.stdin", io.StringIO('["Implement the CSV export endpoint"]'))
    assert main(["batch", "--dry-run"]) == 0
    assert "terminal" not in capsys.readouterr().err
