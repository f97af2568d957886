"""The CLI on hostile input and a damaged state dir: one clear line on stderr and a non-zero exit, never a
traceback, and stdout that stays strict JSON."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import config
from server.cli import main
from tests.checkout import checkout_env

SWITCHBOARD = str(Path(sys.executable).with_name("switchboard"))
DEEP = "[" * 100_000 + "]" * 100_000


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(line: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in output")

    return json.loads(line, parse_constant=refuse)


# -- what an error says -------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["recommend", ""], ["recommend", "   "], ["run", "", "--route-only"],
                                  ["feedback", "", "--routed", "codex", "--correct", "claude"]], ids=" ".join)
def test_an_error_says_what_is_wrong_without_the_internal_class_name(cli_env, capsys, monkeypatch, argv):
    # It was "switchboard: InvalidRequest: task is empty: ...": a class name tells a person nothing more.
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code == 2 and out == ""
    assert err == "switchboard: task is empty: describe the subtask in a sentence or more\n"


# -- input files and stdin ---------------------------------------------------------------------


def test_run_context_file_that_is_not_utf8_is_a_clear_error(cli_env, capsys, monkeypatch):
    ctx = cli_env / "ctx.bin"
    ctx.write_bytes(b"\xff\xfe not text")
    code, out, err = run(capsys, monkeypatch, "run", "write code", "--context-file", str(ctx), "--route-only")
    assert code == 2 and out == ""
    assert "is not UTF-8 text" in err and str(ctx) in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        (DEEP, "stdin is not a JSON array or JSON lines of tasks: it is nested too deeply"),
        ('"fix the bug"\n' + DEEP + "\n", "line 2 is not a task: it is nested too deeply"),
        ("1" * 5000, "line 1 is not JSON"),
        # An array over several lines was read as JSON lines once it failed: "line 1 is not JSON (Expecting
        # value)" for its "[", whatever was wrong, and wherever.
        ('[\n  "fix the login bug",\n  "write the tests,\n]\n', "not a JSON array of tasks (Invalid control character "
                                                               "at line 3 column 20)"),
        ('[\n  "fix the login bug",\n  {"task" "write the tests"}\n]', "(Expecting ':' delimiter at line 3 column 11)"),
        ('[\n  "fix the login bug"\n  "write the tests"\n]', "(Expecting ',' delimiter at line 3 column 3)"),
    ],
)
def test_batch_with_unreadable_json_is_a_clear_error(cli_env, capsys, monkeypatch, stdin, reason):
    code, out, err = run(capsys, monkeypatch, "batch", "--dry-run", stdin=stdin)
    assert code == 2 and out == ""
    assert reason in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("stdin", ["[]", "[]\n", "  [ ]  "])
def test_batch_with_an_empty_array_says_no_tasks_on_stdin(cli_env, capsys, monkeypatch, stdin):
    # It was the run_batch tool's "tasks is empty: pass at least one task", naming an argument the CLI has not.
    code, out, err = run(capsys, monkeypatch, "batch", "--dry-run", stdin=stdin)
    assert code == 2 and out == ""
    assert err.startswith("switchboard: no tasks on stdin: give a JSON array such as") and "tasks is empty" not in err


def test_classify_jsonl_deep_line_is_a_per_line_error(cli_env, capsys, monkeypatch):
    stdin = '{"text": "fix it", "id": ' + DEEP + "}\n" + '{"id": "b", "text": "fix the login bug"}\n'
    code, out, err = run(capsys, monkeypatch, "classify", "--jsonl", stdin=stdin)
    rows = [strict_json(line) for line in out.splitlines()]
    assert code == 1
    assert rows[0] == {"id": 1, "error": rows[0]["error"]} and "nested too deeply" in rows[0]["error"]
    assert rows[1]["id"] == "b" and rows[1]["primary_provider"] == "codex"
    assert "line 1:" in err


def test_classify_jsonl_output_is_strict_json_when_an_id_is_nan_or_infinite(cli_env, capsys, monkeypatch):
    ids = ["NaN", "Infinity", "-Infinity", "1e400", '{"nested": [NaN]}']
    stdin = "".join(f'{{"id": {i}, "text": "fix the login bug"}}\n' for i in ids) + '{"id": 7, "text": "fix it"}\n'
    code, out, err = run(capsys, monkeypatch, "classify", "--jsonl", stdin=stdin)
    rows = [strict_json(line) for line in out.splitlines()]  # no NaN or Infinity reaches stdout
    assert code == 1 and len(rows) == len(ids) + 1
    for n, row in enumerate(rows[:-1], start=1):
        assert row["id"] == n and row["error"].startswith(f'line {n}: "id" cannot be written back as JSON')
    assert rows[-1]["id"] == 7 and rows[-1]["primary_provider"] == "codex"
    assert err.count("give the id as a string") == len(ids)


def test_classify_jsonl_writes_an_id_holding_half_an_emoji_with_a_replacement(cli_env, monkeypatch):
    # A host that cuts an id inside an emoji sends a lone surrogate ("\\ud83d"): json.loads keeps it, and the
    # UTF-8 stdout then raised UnicodeEncodeError, a traceback, and every line after it went unanswered.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr("sys.stdout", out)
    stdin = ('{"id": "a\\ud83d", "text": "fix the login bug"}\n{"id": ["\\udc00"], "text": ""}\n'
             '{"id": "\\ud83d\\ude00", "text": "fix it"}\n')
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["classify", "--jsonl"])
    out.flush()
    rows = [strict_json(line) for line in out.buffer.getvalue().decode("utf-8").splitlines()]
    assert code == 1 and len(rows) == 3
    assert rows[0]["id"] == "a\ufffd" and rows[0]["primary_provider"] == "codex"
    assert rows[1]["id"] == ["\ufffd"] and "task is empty" in rows[1]["error"]
    assert rows[2]["id"] == "\U0001f600"  # a whole pair is one character, kept


def test_classify_jsonl_reads_a_file_that_starts_with_a_byte_order_mark(cli_env, capsys, monkeypatch):
    # Windows editors and PowerShell's UTF-8 write one: its first line was an error row saying
    # "Unexpected UTF-8 BOM (decode using utf-8-sig)", nothing a CLI user can act on.
    stdin = '\ufeff{"id": "a", "text": "fix the login bug"}\n{"id": "b", "text": "Explain OAuth2 flow"}\n'
    code, out, err = run(capsys, monkeypatch, "classify", "--jsonl", stdin=stdin)
    rows = [strict_json(line) for line in out.splitlines()]
    assert (code, err) == (0, "")
    assert [(r["id"], r["primary_provider"]) for r in rows] == [("a", "codex"), ("b", "gemini")]


@pytest.mark.parametrize(
    ("line", "says"),
    [("not json", "line 1: not JSON (Expecting value at column 1)"),
     ('{"id": 1, "text": "fix it"} trailing', "line 1: not JSON (Extra data at column 29)"),
     ('{"id": 1, "text": "fix it}', "line 1: not JSON (Unterminated string starting at column 19)"),
     ('{"id": ' + "1" * 5000 + "}", "line 1: not JSON (Exceeds the limit (4300 digits) for integer string conversion")],
)
def test_classify_jsonl_says_what_a_line_that_is_not_json_should_be(cli_env, capsys, monkeypatch, line, says):
    # The parser's own "Expecting value: line 1 column 1 (char 0)" on the stream's line 3 named a line 1 that
    # was not, and said nothing of what a line should hold.
    code, out, err = run(capsys, monkeypatch, "classify", "--jsonl", stdin=line + "\n")
    (row,) = [strict_json(x) for x in out.splitlines()]
    assert code == 1 and row["id"] == 1 and row["error"] == err.strip()
    assert err.startswith(says) and "line 1 column" not in err
    assert err.strip().endswith('give one JSON object a line, such as {"id": 1, "text": "fix the login bug"}')


@pytest.mark.parametrize("argv", [["audit"], ["audit", "--json"], ["audit", "report"]])
@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_audit_since_a_time_whose_utc_day_is_out_of_range_is_a_clear_error(cli_env, capsys, monkeypatch, argv, since):
    # Valid ISO, but in UTC before year 1 or after 9999: an OverflowError traceback once.
    run(capsys, monkeypatch, "recommend", "fix the login bug", "--json")
    code, out, err = run(capsys, monkeypatch, *argv, "--since", since)
    assert code == 2 and out == ""
    assert "--since" in err and since in err and len(err.strip().splitlines()) == 1


# -- a damaged state dir -----------------------------------------------------------------------

COMMANDS = [
    ["budget"],
    ["usage"],
    ["usage", "set", "codex", "--requests", "1"],
    ["audit"],
    ["audit", "report"],
    ["recommend", "fix the login bug"],
    ["classify", "fix the login bug"],
    ["classify", "--jsonl"],
    ["feedback", "fix the login bug", "--routed", "codex", "--correct", "claude"],
    ["feedback", "list"],
    ["feedback", "forget", "1"],
    ["run", "fix the login bug", "--route-only"],
    ["batch", "--dry-run"],
]


def garbage_db(state: Path) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    db = state / "switchboard.db"
    db.write_bytes(bytes(range(256)) * 16)  # 4 KB that is no SQLite header
    return db


def file_as_audit_dir(state: Path) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    audit = state / "audit"
    audit.write_text("not a directory\n")
    return audit


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("damage", "says"),
    [(garbage_db, "is not a SQLite database"), (file_as_audit_dir, "exists and is not a directory")],
    ids=["garbage-db", "file-for-audit-dir"],
)
def test_every_command_names_a_damaged_state_path_in_one_line(cli_env, env, capsys, monkeypatch, argv, damage, says):
    path = damage(Path(env["SWITCHBOARD_HOME"]))
    code, out, err = run(capsys, monkeypatch, *argv, stdin='["fix the login bug"]\n')
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("switchboard: ") and "StateUnusable" not in err
    assert str(path) in err and says in err and "move it aside" in err


def test_state_dir_that_is_a_file_is_a_clear_error(cli_env, env, capsys, monkeypatch):
    state = Path(env["SWITCHBOARD_HOME"])
    state.write_text("")
    code, _, err = run(capsys, monkeypatch, "budget")
    assert code != 0 and err.count("\n") == 1
    assert f"cannot create the state directory {state}" in err and "move it aside" in err


@pytest.mark.slow
@pytest.mark.parametrize("damage", [garbage_db, file_as_audit_dir], ids=["garbage-db", "file-for-audit-dir"])
@pytest.mark.parametrize("argv", [["serve"], ["serve", "--http"]], ids=" ".join)
def test_serve_on_a_damaged_state_dir_exits_with_one_line(tmp_path, env, damage, argv):
    path = damage(Path(env["SWITCHBOARD_HOME"]))
    if "--http" in argv:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            argv = [*argv, "--port", str(s.getsockname()[1])]
    environ = checkout_env({k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | env)
    proc = subprocess.run(
        [SWITCHBOARD, *argv], env=environ, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=60,
    )
    assert proc.returncode != 0 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("switchboard: ") and "StateUnusable" not in proc.stderr and str(path) in proc.stderr


def test_serving_http_beyond_loopback_is_warned_about(caplog):
    from server.commands.serve import _check_host

    _check_host("127.0.0.1")
    _check_host("::1")
    assert caplog.records == []
    _check_host("0.0.0.0")
    assert "--host 0.0.0.0: the HTTP endpoint has no authentication" in caplog.text


@pytest.mark.parametrize("argv", [["serve", "--http"], ["dashboard", "--no-open"]], ids=" ".join)
def test_a_port_in_use_is_a_clear_error_before_anything_is_announced(cli_env, capsys, monkeypatch, argv):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, monkeypatch, *argv, "--port", str(port))
    assert code == 2 and out == ""
    assert err == (f"switchboard: cannot listen on http://127.0.0.1:{port}: Address already in use; another program "
                   "(perhaps another switchboard) is serving there; stop it or choose another --port\n")


@pytest.mark.parametrize("host", ["192.168..5", "a" * 64 + ".example"])
def test_a_host_that_is_no_valid_name_is_a_clear_error(cli_env, capsys, monkeypatch, host):
    # An empty or over-long label (a typo'd address; or a byte that is not UTF-8): the resolver's IDNA
    # encoding raised UnicodeError, a traceback, where an unknown name is one line.
    code, out, err = run(capsys, monkeypatch, "serve", "--http", "--host", host)
    assert code == 2 and out == ""
    assert err.startswith("switchboard: cannot listen on ") and "give --host as an address" in err
    assert len(err.strip().splitlines()) == 1


def test_a_host_name_listens_on_ipv4_as_uvicorn_did(monkeypatch):
    # 'localhost' bound the first address getaddrinfo gave, ::1 where /etc/hosts lists it first, where uvicorn
    # bound 127.0.0.1 (which the dashboard's URL and the host guards name).
    from server.commands import serve

    asked = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, *args, **kwargs):
        asked.append(family)
        if family == socket.AF_INET6 or family == 0:  # as a host listing ::1 first answers
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0))]
        return real(host, port, family, *args, **kwargs)

    monkeypatch.setattr(serve.socket, "getaddrinfo", getaddrinfo)
    with serve._listening_socket("localhost", 0) as sock:
        assert sock.family == socket.AF_INET and sock.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize("argv", [["recommend", "fix the login bug"], ["batch", "--dry-run"]], ids=" ".join)
def test_an_audit_log_that_cannot_be_written_is_one_line_that_says_why(cli_env, env, capsys, monkeypatch, argv):
    # A full disk (or a quota, a file size limit) under the audit log: a traceback ending in OSError.
    import errno

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("router_core.audit_writer._write_all", disk_full)
    code, out, err = run(capsys, monkeypatch, *argv, stdin='["fix the login bug"]\n')
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("switchboard: cannot write the audit log in ")
    assert "No space left on device" in err and "audit.enabled = false" in err


@pytest.mark.parametrize("extra", [["--port", "9000"], ["--host", "0.0.0.0"]], ids=" ".join)
def test_http_options_without_http_are_an_error_not_a_silent_stdio_server(cli_env, capsys, monkeypatch, extra):
    code, out, err = run(capsys, monkeypatch, "serve", *extra)  # would have sat waiting on stdin
    assert code == 2 and out == ""
    assert "--host and --port are for HTTP: add --http" in err


@pytest.mark.parametrize(("toml", "says"), [
    ("a = " + "[" * 100_000 + "]" * 100_000, "cannot be read as TOML (it is nested too deeply)"),
    ("a = " + "1" * 5000, "cannot be read as TOML (Exceeds the limit (4300 digits) for integer string conversion"),
    ("budget = [", "is not valid TOML: Invalid value (at end of document)"),
])
def test_a_damaged_config_file_is_one_line_that_names_it_and_says_what_to_do(cli_env, capsys, monkeypatch, toml, says):
    # Deep nesting and a huge integer were a RecursionError and a ValueError traceback (tomllib raises neither as its
    # own decode error); a decode error named the file but not what to do.
    (cli_env / ".switchboard.toml").write_text(toml + "\n")
    code, out, err = run(capsys, monkeypatch, "budget")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"switchboard: {cli_env / '.switchboard.toml'} ") and says in err
    # The shipped defaults by the path they have on this machine (a user of an installed package has no config/ here)
    shipped = Path(config.__file__).with_name("default.toml")
    assert shipped.is_file() and err.strip().endswith(f"; fix it ({shipped} shows every key)")
