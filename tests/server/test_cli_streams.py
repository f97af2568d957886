"""The CLI's standard streams as a shell or a supervisor may leave them: closed, not UTF-8, a terminal
whose user answers the prompt with Ctrl-D or Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main
from tests.checkout import checkout_env

SWITCHBOARD = str(Path(sys.executable).with_name("switchboard"))


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


# -- the Proceed? prompt on a terminal ---------------------------------------------------------------


def _recommend_on_a_terminal(tmp_path, env, answer: bytes | None, sig: int | None = None) -> tuple[int, str]:
    """`switchboard recommend` with stdin and stdout on a pseudo-terminal: ``answer`` is typed at the
    prompt (or ``sig`` sent); returns the exit code and everything the terminal showed."""
    master, slave = pty.openpty()
    environ = checkout_env({k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | env)
    (tmp_path / ".switchboard.toml").write_text('classifier = "keywords"\n')
    proc = subprocess.Popen([SWITCHBOARD, "recommend", "fix the user's login bug"], env=environ, cwd=tmp_path,
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    shown = b""
    try:
        while b"(y/n): " not in shown:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, shown.decode(errors="replace")
            shown += os.read(master, 4096)
        if sig is None:
            os.write(master, answer)
            code = proc.wait(timeout=60)
        else:
            code = _signal_until_it_ends(proc, sig)
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


def _signal_until_it_ends(proc: subprocess.Popen, sig: int) -> int:
    # A signal that lands between the prompt's write and the read that waits for the answer is handled
    # before the read starts, which then waits on (CPython's input()); a person presses Ctrl-C again.
    for _ in range(30):
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            continue
    raise AssertionError("the command did not end on Ctrl-C")


@pytest.mark.slow
def test_ctrl_d_at_the_prompt_is_a_no(tmp_path, env):
    code, shown = _recommend_on_a_terminal(tmp_path, env, b"\x04")
    assert code == 0 and "Traceback" not in shown and "EOFError" not in shown, shown
    assert "(y/n): \nDeclined (recorded in the audit log)." in shown


@pytest.mark.slow
def test_ctrl_c_at_the_prompt_ends_its_line_and_exits_130(tmp_path, env, ctrl_c_delivered):
    code, shown = _recommend_on_a_terminal(tmp_path, env, None, signal.SIGINT)
    assert code == 130 and "Traceback" not in shown, shown
    assert "(y/n): \n" in shown


@pytest.mark.slow
def test_yes_says_nothing_ran_and_how_to_run_it(tmp_path, env):
    code, shown = _recommend_on_a_terminal(tmp_path, env, b"y\n")
    assert code == 0, shown
    assert ("Accepted (recorded in the audit log). To run it: switchboard run --provider codex -- "
            "'fix the user'\"'\"'s login bug'") in shown
    assert "Proceeding." not in shown  # it did not: recommend runs nothing


# -- a terminal or pipe that is not UTF-8 ------------------------------------------------------------


def _latin1_run(monkeypatch, argv: list[str], stdin: str = "") -> tuple[int, bytes, bytes]:
    """main() with stdin, stdout and stderr in Latin-1, as a Latin-1 locale (or PYTHONIOENCODING) has them;
    stdin holds ``stdin`` as UTF-8 bytes, as JSON is written."""
    streams = {name: io.TextIOWrapper(io.BytesIO(), encoding="latin-1") for name in ("stdout", "stderr")}
    streams["stdin"] = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="latin-1")
    for name, stream in streams.items():
        monkeypatch.setattr(f"sys.{name}", stream)
    code = main(argv)
    for name in ("stdout", "stderr"):
        streams[name].flush()
    return code, streams["stdout"].buffer.getvalue(), streams["stderr"].buffer.getvalue()


TASK = "Fix the bug in the café parser ━ 😀"


def test_the_recommendation_shows_in_ascii_on_a_latin1_terminal(cli_env, monkeypatch):
    code, out, err = _latin1_run(monkeypatch, ["recommend", TASK])
    assert code == 0 and b"Traceback" not in err, err
    text = out.decode("latin-1")
    assert text.startswith("=" * 52 + "\n  Multi-Provider Recommendation\n") and "[available] Available" in text


@pytest.mark.parametrize(
    ("argv", "stdin"),
    [(["recommend", TASK, "--json"], ""), (["classify", TASK], ""), (["audit", "-n", "1", "--json"], ""),
     (["classify", "--jsonl"], json.dumps({"id": "é😀", "text": TASK}, ensure_ascii=False) + "\n")],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_json_stays_whole_and_the_same_on_a_latin1_pipe(cli_env, monkeypatch, argv, stdin):
    main(["recommend", TASK, "--json"])  # an audit line holding the task
    code, out, err = _latin1_run(monkeypatch, argv, stdin)
    assert code == 0 and b"Traceback" not in err, err
    out.decode("ascii")  # escaped
    data = json.loads(out.decode().splitlines()[0] if "--jsonl" in argv or "audit" in argv else out)
    if "--jsonl" in argv:
        assert data["id"] == "é😀" and data["task_type"] == "debugging"  # stdin read as UTF-8, not Latin-1
    elif "audit" in argv:
        assert data["task_description"] == TASK
    elif "classify" in argv:
        assert data["task_type"] == "debugging"
    else:
        assert data["task_id"]


def test_a_task_in_a_text_line_is_shown_with_replacements_on_a_latin1_terminal(cli_env, monkeypatch):
    main(["recommend", TASK, "--json"])
    code, out, err = _latin1_run(monkeypatch, ["audit", "-n", "1"])
    assert code == 0 and b"Traceback" not in err, err
    assert "'Fix the bug in the café parser ? ?'" in out.decode("latin-1")


@pytest.mark.parametrize(
    ("argv", "says"),
    [(["batch", "--dry-run"], "stdin is not UTF-8 text"),
     (["classify", "--jsonl"], "stdin is not UTF-8 text"),
     (["run", "fix the login bug", "--context-file", "-", "--route-only"], "stdin is not UTF-8 text")],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_stdin_that_is_not_utf8_is_refused_under_a_c_locale(cli_env, monkeypatch, argv, says):
    # Under the C, POSIX or C.UTF-8 locale (containers, CI, cron) Python reads stdin as UTF-8 with
    # surrogateescape: a UTF-16 or Latin-1 file passed the UTF-8 checks, garbled, or was "not JSON at column 1".
    data = {"batch": '["fix the login bug"]'.encode("utf-16"), "run": "caf\u00e9 context".encode("latin-1"),
            "classify": '{"id": 1, "text": "fix the login bug"}\n'.encode("utf-16")}[argv[0]]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape"))
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    code = main(argv)
    assert code != 0 and "Traceback" not in err.getvalue()
    assert says in err.getvalue(), err.getvalue()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["budget"], ["budget", "--json"], ["batch", "--dry-run"], ["classify", "--jsonl"]],
                         ids=" ".join)
def test_an_output_on_a_full_disk_is_one_line_not_a_traceback(cli_env, argv):
    # `switchboard batch < tasks.json > results.json` on a full disk ended in a traceback (OSError, exit 1),
    # and what stdout still buffered failed again, in another one, as Python exited.
    stdin = '["fix the login bug"]' if argv[0] == "batch" else '{"id": 1, "text": "fix the login bug"}\n'
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "server", *argv], input=stdin, stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=cli_env, timeout=120,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("switchboard: cannot write the output (No space left on device); free space where it goes, "
                           "or send it elsewhere\n")


def test_log_lines_on_stderr_are_scrubbed_of_credentials():
    # An outage's last error, a CLI's stderr or an exception may quote a key; the server's stderr ends up in the
    # host's log files. A fresh interpreter: the root logger there has no handler yet, as under `switchboard`.
    key = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"
    script = (
        "import logging\n"
        "from server.cli import configure_logging\n"
        "configure_logging(verbose=False)\n"
        "log = logging.getLogger('router_core.execution.circuit')\n"
        f"log.warning('codex: outage after 3 consecutive failures: stderr said Bearer %s', {key!r})\n"
        "try:\n"
        f"    raise RuntimeError('proxy https://user:hunter2hunter2@proxy.example/ refused ' + {key!r})\n"
        "except RuntimeError:\n"
        "    log.exception('failed')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "outage after 3 consecutive failures: stderr said Bearer [redacted]" in proc.stderr
    assert "Traceback" in proc.stderr and "https://user:[redacted]@proxy.example/" in proc.stderr
    assert key not in proc.stderr and "hunter2hunter2" not in proc.stderr


def test_the_http_servers_own_error_lines_are_scrubbed_too():
    # uvicorn kept its own log handlers: an 'Exception in ASGI application' traceback quoting a key went to stderr
    # as it was. A fresh interpreter, as under `switchboard serve --http`.
    key = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"
    script = (
        "import logging, socket, threading\n"
        "from server.cli import configure_logging\n"
        "from server.commands.serve import serve_app\n"
        "configure_logging(verbose=False)\n"
        "async def app(scope, receive, send):\n"
        "    if scope['type'] == 'lifespan':\n"
        "        while True:\n"
        "            m = await receive()\n"
        "            if m['type'] == 'lifespan.startup': await send({'type': 'lifespan.startup.complete'})\n"
        "            elif m['type'] == 'lifespan.shutdown': await send({'type': 'lifespan.shutdown.complete'}); return\n"
        f"    raise RuntimeError('upstream refused Bearer ' + {key!r})\n"
        "sock = socket.socket(); sock.bind(('127.0.0.1', 0)); port = sock.getsockname()[1]\n"
        "def hit():\n"
        "    import time, urllib.request, os, signal\n"
        "    for _ in range(100):\n"
        "        try: urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=5); break\n"
        "        except Exception as e:\n"
        "            if getattr(e, 'code', None) == 500: break\n"
        "            time.sleep(0.05)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "threading.Thread(target=hit, daemon=True).start()\n"
        "serve_app(app, sock, host='127.0.0.1', port=port)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert "Exception in ASGI application" in proc.stderr, proc.stderr
    assert "upstream refused Bearer [redacted]" in proc.stderr and key not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "data", "says"),
    [(["batch", "--dry-run"], b'{"id": "a", "task": "fix the login bug"}\n{"id": "b", "task": "fix it"}\n'
                              b'{"id": "c", "task": "r\xe9sum\xe9 upload fails"}\n', "line 3, byte 23: 0xe9"),
     (["run", "fix the login bug", "--context-file", "-", "--route-only"], b"notes\nmore notes\ncaf\xe9\n",
      "line 3, byte 4: 0xe9")],
    ids=["batch", "run --context-file -"],
)
def test_stdin_that_is_not_utf8_is_refused_naming_the_line_of_the_bad_byte(cli_env, monkeypatch, argv, data, says):
    # Seen by hand: a 500-task batch file with one Latin-1 "é" was refused with "stdin is not UTF-8 text (invalid
    # continuation byte)", nothing saying where: the user had to hunt for it.
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    code = main(argv)
    assert code == 2 and out.getvalue() == ""
    assert "stdin is not UTF-8 text" in err.getvalue() and says in err.getvalue(), err.getvalue()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_classify_jsonl_refuses_a_file_with_a_wide_byte_order_mark_whole(cli_env, monkeypatch, encoding):
    # Review: a UTF-32 BE file (00 00 FE FF) was not refused whole as its docstring says, but got an error row for
    # every line.
    data = "\ufeff".encode(encoding) + '{"id": 1, "text": "fix the login bug"}\n'.encode(encoding)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape"))
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    assert main(["classify", "--jsonl"]) == 2
    assert "byte order mark" in err.getvalue() and out.getvalue() == ""
