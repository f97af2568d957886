"""`switchboard run` and `switchboard batch` from the shell, against the fake server."""

from __future__ import annotations

import io
import json

import pytest

from server.cli import main
from server.commands.execute import CommandError, parse_tasks
from tests.execution.fakes import KEYS, fake_environ, fake_server


@pytest.fixture
def shell(monkeypatch, tmp_path):
    """The environment of a shell whose keys point at the fake server; yields the server."""
    config = tmp_path / "config.toml"
    config.write_text('classifier = "keywords"\n')
    for var in [v for pair in KEYS.values() for v in pair] + ["GOOGLE_API_KEY"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SWITCHBOARD_CONFIG", str(config))
    monkeypatch.setenv("PATH", str(tmp_path))
    with fake_server() as fake:
        yield fake


def use_fake(monkeypatch, fake) -> None:
    for var, value in fake_environ(fake).items():
        monkeypatch.setenv(var, value)


def test_run_prints_the_answer_and_a_summary(shell, monkeypatch, capsys):
    use_fake(monkeypatch, shell)
    assert main(["run", "Implement a JWT login endpoint in Flask"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("codex fake answer to: Implement a JWT login endpoint")
    assert "[codex gpt-5.1-codex" in err and "path codex]" in err


def test_run_json_is_the_dispatch_record(shell, monkeypatch, capsys):
    use_fake(monkeypatch, shell)
    assert main(["run", "Explain how the OAuth2 flow works", "--json", "--max-cost", "0.01"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == "success" and record["provider_used"] == "gemini"
    assert record["cost_actual_usd"] <= 0.01


def test_run_without_a_backend_says_what_to_set_and_fails(shell, capsys):
    assert main(["run", "Implement a JWT login endpoint in Flask"]) == 1
    err = capsys.readouterr().err
    assert "not_configured" in err and "OPENAI_API_KEY" in err


def test_batch_runs_json_tasks_with_a_progress_bar(shell, monkeypatch, capsys):
    use_fake(monkeypatch, shell)
    tasks = ["Implement the CSV export endpoint", {"id": "doc", "task": "Explain how the OAuth2 flow works"}]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(tasks)))
    assert main(["batch", "--parallel", "2"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert [r["task_id"] for r in result["results"]] == ["task-0", "doc"]
    assert result["summary"]["succeeded"] == 2
    assert err.count("/2 ") == 2 and "2/2" in err


def test_batch_reads_jsonl_and_plans_with_dry_run(shell, monkeypatch, capsys):
    use_fake(monkeypatch, shell)
    monkeypatch.setattr("sys.stdin", io.StringIO('"Fix the bug in the data loader"\n{"task": "Design the API"}\n'))
    assert main(["batch", "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dry_run"] is True and len(plan["items"]) == 2
    assert shell.stats("codex").requests == 0


def test_batch_with_a_failure_exits_1(shell, monkeypatch, capsys):
    from tests.fakes.fake_provider import Fault

    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.status(400)])
    monkeypatch.setattr("sys.stdin", io.StringIO('["Fix the bug in the data loader", "Explain OAuth2"]'))
    assert main(["batch"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in result["results"]] == ["rejected", "success"]


def signal_a_batch_after_its_first_task(monkeypatch, shell, signum: int) -> None:
    """`switchboard batch` of two tasks on stdin, codex answering and gemini hanging, sent ``signum`` (as a terminal's
    Ctrl-C, `kill` or timeout(1)) once the first has finished and gemini's call is sent."""
    import signal

    import anyio

    from server.commands._notices import ProgressBar
    from tests.fakes.fake_provider import Fault

    use_fake(monkeypatch, shell)
    shell.script("gemini", [Fault.hang(30)])  # answered only once the fake closes
    monkeypatch.setattr("sys.stdin", io.StringIO('["Fix the bug in the data loader", "Explain OAuth2"]'))
    report = ProgressBar.update

    async def signal_after_the_first(self, done, total, message):
        await report(self, done, total, message)
        # gemini's call is sent, not still being routed or paced (its outcome would name no provider)
        assert await anyio.to_thread.run_sync(shell.wait_for_requests, "gemini")
        signal.raise_signal(signum)  # while gemini is still answering

    monkeypatch.setattr(ProgressBar, "update", signal_after_the_first)


def test_batch_interrupted_by_ctrl_c_prints_what_finished_and_exits_130(shell, monkeypatch, capsys, ctrl_c_delivered):
    import signal

    signal_a_batch_after_its_first_task(monkeypatch, shell, signal.SIGINT)
    assert main(["batch", "--parallel", "2"]) == 130
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert [(r["status"], r["provider_used"]) for r in result["results"]] == [
        ("success", "codex"), ("cancelled", "gemini")]
    assert result["results"][0]["result"].startswith("codex fake answer to: Fix the bug")
    assert "interrupted: 1 of 2 tasks succeeded" in err


@pytest.mark.parametrize("text", ["", "[1, 2]", '{"id": "x"}', "not json\nat all"])
def test_bad_task_input_is_a_clear_error(text):
    with pytest.raises(CommandError):
        parse_tasks(text)


@pytest.mark.parametrize(("text", "said"), [
    ('[{"id": true, "task": "Fix the bug"}]', r'task 1 \(index 0\): "id" must be a string or a whole number, not true'),
    ('[{"id": 1.5, "task": "Fix the bug"}]', r'task 1 \(index 0\): "id" must be a string or a whole number, not 1.5'),
    ('["Fix it", {"id": ["a"], "task": "Fix the bug"}]', r'task 2 \(index 1\): "id" must be a string or a whole number, not \["a"\]'),
    ('[{"task": "Fix the bug", "text": "Explain OAuth2"}]', r'task 1 \(index 0\): both "task" and "text" are given and differ'),
])
def test_a_task_field_that_would_be_read_wrong_is_refused(text, said):
    # An id of true became the id "True"; of "task" and "text" together, "text" was dropped without a word. An id of
    # 1.5 or a list was refused as 'expected a string or an object with a string "task"', which it had.
    with pytest.raises(CommandError, match=said):
        parse_tasks(text)
    assert parse_tasks('[{"id": 7, "task": "Fix it", "text": "Fix it"}]') == [("7", "Fix it")]


@pytest.mark.parametrize(("text", "said"), [
    ('"Fix it"\n\n{"task": 5}\n', "switchboard: task 2 (line 3): expected a string"),  # the blank line: task 2 is on line 3
    ('"Fix it"\n{"task": 5}\n', "switchboard: task 2: expected a string"),  # on its own line: said once
    ('["Fix it", {"task": 5}]', "switchboard: task 2 (index 1): expected a string"),  # index: as the output's items
    ('"Fix it"\n{"task": 5\n', "switchboard: line 2 is not JSON"),
])
def test_batch_counts_tasks_from_1_as_it_counts_lines(monkeypatch, capsys, text, said):
    # The second task was "task 1" while a JSON lines parse error on its line said "line 2".
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["batch", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith(said)


def test_a_waiting_task_is_said_on_its_own_line_with_how_to_stop():
    from server.commands._notices import ProgressBar

    stream = io.StringIO()
    ProgressBar(stream).parked("task-3", 300.0, "every provider is blocked:\n codex: outage")
    assert stream.getvalue() == ("task-3: waiting 5m00s for a provider (every provider is blocked: codex: outage); "
                                 "Ctrl-C to stop\n")


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_run_interrupted_by_ctrl_c_says_so_and_what_the_call_in_flight_costs(shell, monkeypatch, capsys,
                                                                             ctrl_c_delivered, json_flag):
    import signal
    import threading

    from tests.fakes.fake_provider import Fault

    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.hang(30)])  # answered only once the fake closes
    ended = threading.Event()

    def ctrl_c_mid_call():  # once codex has the request (not after a guessed second: routing may take longer)
        while not ended.is_set():
            if shell.wait_for_requests("codex", timeout=0.1):
                # to the main thread, where the handler runs and the event loop sleeps, as a terminal's Ctrl-C
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                return

    presser = threading.Thread(target=ctrl_c_mid_call)
    presser.start()
    try:
        assert main(["run", "Fix the bug in the data loader", *json_flag]) == 130
    finally:
        ended.set()
        presser.join()
    out, err = capsys.readouterr()
    if json_flag:  # the record as audited, as `batch` prints its cancelled tasks' (stdout was empty)
        record = json.loads(out)
        assert (record["status"], record["provider_used"]) == ("cancelled", "codex")
        assert record["cost_actual_usd"] > 0 and record["attempts"][-1]["outcome"] == "cancelled"
    else:
        assert out == ""
    assert err.startswith("switchboard: cancelled; the call in flight to codex is charged at its estimate, $")
    assert err.count("\n") == 1


def test_the_cancelled_notice_without_a_call_in_flight():
    from router_core.execution.results import CANCELLED, TaskOutcome
    from server.commands._notices import cancelled_notice

    assert cancelled_notice(None) == "switchboard: cancelled before the task was sent to a provider"
    waiting = TaskOutcome("t", CANCELLED, 0, 1, error="cancelled while waiting for capacity")
    assert cancelled_notice(waiting) == "switchboard: cancelled while waiting for capacity; no call was in flight"


@pytest.mark.parametrize("key", ["provider", "context", "max_cost"])
def test_a_task_field_batch_does_not_have_is_refused_not_dropped(shell, monkeypatch, capsys, key):
    # {"task": ..., "provider": "claude"} ran on the routed provider (codex), the forced provider silently
    # dropped; run_batch refuses such a task (its tasks take only "task" and "id").
    use_fake(monkeypatch, shell)
    task = {"id": "a", "task": "Fix the bug in the data loader", key: "claude"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps([task])))
    assert main(["batch"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and f'"{key}"' in err and "task 1 (index 0)" in err
    assert sum(shell.stats(p).requests for p in ("codex", "gemini", "claude")) == 0


@pytest.mark.parametrize("text", ['\ufeff["Fix the bug", {"id": "b", "task": "Explain OAuth2"}]',
                                  '\ufeff"Fix the bug"\r\n{"id": "b", "task": "Explain OAuth2"}\r\n'])
def test_tasks_led_by_a_byte_order_mark_are_read(text):
    # Notepad and PowerShell (Out-File, Set-Content -Encoding utf8) start a file with a BOM: `batch` refused it
    # with "line 1 is not JSON (Unexpected UTF-8 BOM (decode using utf-8-sig))", which a user cannot act on.
    assert parse_tasks(text) == [(None, "Fix the bug"), ("b", "Explain OAuth2")]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_jsonl_tasks_may_hold_characters_python_takes_for_line_breaks(separator):
    # JSON lets a string hold U+2028, U+2029 and U+0085 unescaped (json.dumps(ensure_ascii=False) writes them so),
    # but the lines were split with str.splitlines, which breaks at them too: the task was cut in two and refused
    # as "line 1 is not JSON (Unterminated string ...)". Lines end at a newline only, as JSON lines do.
    task = f"Fix the parser{separator}and its tests"
    text = json.dumps({"id": "a", "task": task}, ensure_ascii=False) + "\r\n" + json.dumps("Explain OAuth2") + "\n"
    assert parse_tasks(text) == [("a", task), (None, "Explain OAuth2")]


def test_a_jsonl_line_left_open_is_said_so_at_its_line():
    with pytest.raises(CommandError, match=r"^line 2 is not JSON \(Unterminated string"):
        parse_tasks('"Fix the bug"\r\n"Explain OAuth2\r\n')


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_the_progress_bar_fits_the_terminal_it_is_drawn_on(monkeypatch):
    # Each redraw was padded to 120 columns: on an 80-column terminal it wrapped, and "\r" returned only to the
    # start of the wrapped line, so every finished task left another line behind instead of redrawing the bar.
    from server.commands._notices import ProgressBar

    monkeypatch.setenv("COLUMNS", "80")
    stream = Terminal()
    bar = ProgressBar(stream)
    await bar.update(1, 3, "task-0: success on codex")
    bar.parked("task-1", 30.0, "every provider is blocked")
    await bar.update(2, 3, "task-1: success on gemini " + "x" * 200)
    drawn = [part for line in stream.getvalue().split("\n") for part in line.split("\r") if part]
    assert drawn and max(len(part) for part in drawn) < 80
    assert drawn[0].startswith("[##########") and drawn[0].rstrip().endswith("1/3 task-0: success on codex")


@pytest.mark.parametrize(("line", "reason"), [
    ('"Explain OAuth2', "(Unterminated string starting at column 1)"),
    ('{"task" "Explain OAuth2"}', "(Expecting ':' delimiter at column 9)"),
    ('"Explain OAuth2" x', "(Extra data at column 18)"),
])
def test_a_jsonl_line_that_is_not_json_says_where_on_it(line, reason):
    # The error named no place on the line, and one ended mid-phrase: "line 2 is not JSON (Unterminated string
    # starting at); ..." (classify --jsonl says where).
    with pytest.raises(CommandError) as caught:
        parse_tasks(f'"Fix the bug"\n{line}\n')
    assert str(caught.value) == f"line 2 is not JSON {reason}; give a JSON array or JSON lines"


@pytest.mark.parametrize(("text", "said"), [
    ('"Fix the bug",\n"Explain OAuth2"\n', "line 1 ends with a comma: JSON lines hold one task a line and nothing between "
                                          "them; remove the commas, or put the tasks in a JSON array [...]"),
    ('{"task": "Fix the bug"},\n{"task": "Explain OAuth2"}', "line 1 ends with a comma"),
    ('["Fix the bug", "Explain OAuth2",]', "stdin is not a JSON array of tasks (a comma before the closing ] at line 1 "
                                          "column 33: remove it)"),
    ('[\n  "Fix the bug",\n  "Explain OAuth2",\n]\n', "(a comma before the closing ] at line 3 column 19: remove it)"),
])
def test_a_trailing_comma_is_named_with_what_to_do(text, said):
    # Said as "line 1 is not JSON (Extra data at column 14)" and "Expecting value at line 1 column 34": neither
    # names the comma that JSON does not allow there.
    with pytest.raises(CommandError) as caught:
        parse_tasks(text)
    assert said in str(caught.value)


def test_run_that_failed_says_what_its_tries_were_charged(shell, monkeypatch, capsys):
    # Malformed 200s (the provider answered, and bills it) are charged at their estimates; `run` said only the error,
    # and the budget was lower by an amount nothing on the screen explained.
    from router_core.budget_text import money
    from tests.fakes.fake_provider import Fault

    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.malformed()] * 8)
    assert main(["run", "Fix the bug in the data loader", "--provider", "codex"]) == 1
    err = capsys.readouterr().err
    tries = len(shell.requests("codex"))
    assert main(["budget", "--json"]) == 0
    spent = json.loads(capsys.readouterr().out)["spent"]
    assert tries >= 2 and spent > 0
    assert f"switchboard: {money(spent)} charged to the budget for {tries} tries on codex" in err, err
