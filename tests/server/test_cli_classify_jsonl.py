"""`switchboard classify --jsonl`: every output row names the input line it answers, and a bad line is an error
row of its own."""

from __future__ import annotations

import io
import json

import pytest

from server.cli import main


def run(capsys, monkeypatch, stdin: str) -> tuple[int, list[dict], str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["classify", "--jsonl"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_a_row_without_an_id_gets_its_line_number(cli_env, capsys, monkeypatch):
    # It was written back with "id": null, and rows without ids could not be told apart or matched to their tasks.
    lines = ['{"text": "fix the login bug"}', "", '{"id": "a", "text": "Explain OAuth2 flow"}',
             '{"id": null, "text": "fix the login bug"}', '{"id": 0, "text": "fix it"}', '{"id": 2.5, "text": "fix it"}',
             '{"id": false, "text": "fix it"}', '{"id": "", "text": "fix it"}', '{"text": "Explain OAuth2 flow"}']
    code, rows, err = run(capsys, monkeypatch, "\n".join(lines) + "\n")
    assert (code, err) == (0, "")
    assert [row["id"] for row in rows] == [1, "a", 4, 0, 2.5, False, "", 9]  # the blank line 2 holds no task
    assert rows[0]["primary_provider"] == "codex" and rows[-1]["primary_provider"] == "gemini"


def test_the_help_says_which_id_a_row_without_one_gets(cli_env, capsys):
    with pytest.raises(SystemExit):
        main(["classify", "--help"])
    assert "line number" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(("line", "says"), [
    ("[1]", 'line 2: a JSON array, not an object; each line must be'),
    ('"fix it"', 'line 2: a JSON string, not an object; each line must be'),
    ("null", 'line 2: a JSON null, not an object; each line must be'),
    ('{"prompt": "fix it"}', 'line 2: no "text"; each line must be'),
    ('{"task": 5}', 'line 2: "task" is a number, not a string; each line must be'),
    ('{"text": 5}', 'line 2: "text" is a number, not a string; each line must be'),
    ('{"text": ["fix it"]}', 'line 2: "text" is an array, not a string; each line must be'),
    ('{"text": "  "}', "line 2: task is empty"),
    ("not json", "line 2: not JSON (Expecting value at column 1)"),
])
def test_a_bad_line_is_an_error_row_named_by_its_line_and_the_others_run(cli_env, capsys, monkeypatch, line, says):
    stdin = f'{{"id": "a", "text": "fix the login bug"}}\n{line}\n{{"text": "Explain OAuth2 flow"}}\n'
    code, rows, err = run(capsys, monkeypatch, stdin)
    assert code == 1
    assert rows[0]["id"] == "a" and rows[0]["primary_provider"] == "codex"
    assert rows[1] == {"id": 2, "error": err.strip()} and err.startswith(says)
    assert rows[2]["id"] == 3 and rows[2]["primary_provider"] == "gemini"


def test_an_error_row_keeps_the_id_its_line_gives(cli_env, capsys, monkeypatch):
    code, rows, err = run(capsys, monkeypatch, '{"id": "x", "text": 5}\n')
    assert code == 1 and rows == [{"id": "x", "error": err.strip()}]
    assert err.startswith('line 1: "text" is a number, not a string')


def run_bytes(capsys, monkeypatch, data: bytes) -> tuple[int, list[dict], str]:
    """As a shell's `< tasks.jsonl` gives it: bytes under a UTF-8 text layer (as main() reconfigures stdin)."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code = main(["classify", "--jsonl"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_a_line_that_is_not_utf8_is_an_error_row_and_every_other_line_is_answered(cli_env, capsys, monkeypatch):
    # Seen by hand: 2,000 lines, line 1001 holding a Latin-1 "é". The run stopped at exit 2 with one line,
    # "stdin is not UTF-8 text (invalid continuation byte)": no line number, lines 857-1000 (the rest of the
    # 8 KiB chunk the bad byte was in) silently unanswered, and the 1,000 lines after it too.
    good = [b'{"id": %d, "text": "fix the crash in module %d"}' % (i, i) for i in range(2000)]
    lines = [*good[:1000], b'{"id": "latin", "text": "r\xe9sum\xe9 upload fails with a 500"}', *good[1000:]]
    code, rows, err = run_bytes(capsys, monkeypatch, b"\n".join(lines) + b"\n")
    assert code == 1
    assert len(rows) == 2001
    assert [r["id"] for r in rows[:1000]] == list(range(1000)) and [r["id"] for r in rows[1001:]] == list(range(1000, 2000))
    assert all("primary_provider" in r for r in rows[:1000] + rows[1001:])
    assert rows[1000] == {"id": "latin", "error": err.strip()}  # the id the line gives, read round the bad bytes
    assert err.startswith("line 1001: not UTF-8 text (byte 27: 0xe9, invalid continuation byte); save the file as UTF-8")


def test_a_byte_order_mark_starting_a_later_line_is_dropped_too(cli_env, capsys, monkeypatch):
    # `cat a.jsonl b.jsonl`, b saved by a Windows editor: its first line was "not JSON (Unexpected UTF-8 BOM ...)".
    data = '\ufeff{"id": "a", "text": "fix the login bug"}\n\ufeff{"id": "b", "text": "Explain OAuth2 flow"}\n'
    code, rows, err = run_bytes(capsys, monkeypatch, data.encode("utf-8"))
    assert (code, err) == (0, "")
    assert [(r["id"], r["primary_provider"]) for r in rows] == [("a", "codex"), ("b", "gemini")]
