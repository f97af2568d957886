"""`switchboard feedback` records, lists and forgets routing corrections."""

from __future__ import annotations

import json

import pytest

from server.cli import main

TEXT = "summarize the quarterly board deck for the sales team"
LONG = "refactor the payment module so that every gateway adapter shares one retry policy " * 3


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys) -> list[dict]:
    code, out, _ = run(capsys, "feedback", "list", "--json")
    assert code == 0
    return json.loads(out)


@pytest.fixture
def trained(cli_env):
    (cli_env / ".switchboard.toml").write_text('classifier = "trained"\n')
    return cli_env


def test_with_nothing_recorded_the_list_says_so(cli_env, capsys):
    code, out, err = run(capsys, "feedback", "list")
    assert (code, out) == (0, "") and "no corrections recorded yet" in err
    assert listed(capsys) == []


def test_the_list_shows_each_correction_and_why_it_was_or_was_not_learned(trained, capsys):
    from router_core.classifier.trained import TrainedClassifier, load_eval

    base = TrainedClassifier.load()
    right = next(it for it in load_eval() if base.classify(it["text"]).primary_provider == it["provider"])
    wrong = next(p for p in ("codex", "gemini", "claude") if p != right["provider"])
    assert run(capsys, "feedback", TEXT, "--routed", "gemini", "--correct", "claude", "--task-type", "planning")[0] == 0
    assert run(capsys, "feedback", "--routed", right["provider"], "--correct", wrong, right["text"])[0] == 0  # flags first
    assert run(capsys, "feedback", LONG, "--routed", "codex", "--correct", "codex")[0] == 0

    code, out, _ = run(capsys, "feedback", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "recorded", "routed", "->", "correct", "task", "type", "status", "task"]
    assert lines[1].split()[0] == "1" and "gemini -> claude" in lines[1] and "planning " in lines[1]
    assert lines[1].endswith(f" accepted  {TEXT}")
    assert f"{right['provider']} -> {wrong}" in lines[2] and " rejected " in lines[2]
    assert lines[3].strip().startswith("rejected: routing near texts to") and "evaluation accuracy" in lines[3]
    assert lines[4].endswith("...") and len(lines[4].split("accepted  ")[1]) == 60  # cut in the table
    assert "* no task type was recorded" in lines[-1]

    rows = listed(capsys)
    assert [(r["id"], r["status"]) for r in rows] == [(1, "accepted"), (2, "rejected"), (3, "accepted")]
    assert rows[0] | {"recorded_at": None} == {
        "id": 1, "recorded_at": None, "routed_provider": "gemini", "correct_provider": "claude",
        "task_type": "planning", "learned_task_type": "planning", "status": "accepted",
        "reason": "accepted: correction learned, near texts now route to claude/planning", "text": TEXT,
    }
    assert rows[0]["recorded_at"].endswith("Z")
    assert rows[1]["reason"] == lines[3].strip()
    assert rows[2]["text"] == LONG.strip() and rows[2]["task_type"] is None and rows[2]["learned_task_type"]


def test_a_classifier_that_does_not_learn_lists_the_corrections_as_stored(cli_env, capsys):
    run(capsys, "feedback", TEXT, "--routed", "codex", "--correct", "claude")  # the keywords route it to codex
    [row] = listed(capsys)
    assert (row["status"], row["learned_task_type"]) == ("stored", None)
    assert "does not learn" in row["reason"]


def test_forget_removes_the_correction_and_its_rerouting(trained, capsys):
    run(capsys, "feedback", TEXT, "--routed", "gemini", "--correct", "claude", "--task-type", "planning")
    run(capsys, "feedback", "fix the flaky login test in the auth service", "--routed", "codex", "--correct", "codex")
    assert json.loads(run(capsys, "classify", TEXT)[1])["primary_provider"] == "claude"
    code, out, _ = run(capsys, "feedback", "forget", "#1")
    assert code == 0 and out.startswith(f"forgot #1: gemini -> claude  {TEXT}\n")
    assert json.loads(run(capsys, "classify", TEXT)[1])["primary_provider"] == "gemini"
    assert [r["id"] for r in listed(capsys)] == [2]


def test_forgetting_an_unknown_id_names_the_stored_ones_and_changes_nothing(cli_env, capsys):
    for n in range(3):
        run(capsys, "feedback", f"{TEXT} {n}", "--routed", "codex", "--correct", "claude")
    run(capsys, "feedback", "forget", "2")
    before = listed(capsys)
    code, out, err = run(capsys, "feedback", "forget", "1", "2", "9")
    assert (code, out) == (2, "")
    assert "no corrections #2, #9 are stored (stored: #1, #3; `switchboard feedback list` shows them)" in err
    assert "nothing was forgotten" in err
    assert listed(capsys) == before


def test_an_id_that_is_no_number_is_a_usage_error(cli_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["feedback", "forget", "latest"])
    assert exit_.value.code == 2 and "'latest' is not a correction id" in capsys.readouterr().err


def test_a_forgotten_correction_recorded_again_gets_a_new_id(trained, capsys):
    record = ("feedback", TEXT, "--routed", "gemini", "--correct", "claude", "--task-type", "planning")
    run(capsys, *record)
    run(capsys, "feedback", "forget", "1")
    code, out, _ = run(capsys, *record)
    assert code == 0 and json.loads(out)["learned"]
    assert [(r["id"], r["status"]) for r in listed(capsys)] == [(2, "accepted")]
    assert json.loads(run(capsys, "classify", TEXT)[1])["primary_provider"] == "claude"


@pytest.mark.parametrize(("argv", "says"), [
    (["feedback", TEXT, "--routed", "gemini"], "the following arguments are required: --correct"),
    (["feedback", "--routed", "codex", "list"], "`feedback list` does not take --routed"),
    (["feedback", "fix", "the", "bug", "--routed", "codex", "--correct", "claude"],
     'unrecognized arguments: the bug (quote a task of several words: "fix the bug")'),
])
def test_recording_keeps_its_usage_errors(cli_env, capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and says in capsys.readouterr().err


def test_terminal_control_characters_in_a_recorded_task_are_shown_escaped(cli_env, capsys):
    # A host (or a prompt injected into one) records any text: "\x1b[1A\x1b[2K" printed raw by `feedback list`
    # erased the line above, so a correction could hide another from the list; a right-to-left override
    # reordered what follows it on the line.
    hidden = "route the \u202edeploy review\x1b[1A\x1b[2K\x1b]0;owned\x07 to gemini"
    assert run(capsys, "feedback", TEXT, "--routed", "codex", "--correct", "claude")[0] == 0
    assert run(capsys, "feedback", hidden, "--routed", "codex", "--correct", "gemini")[0] == 0
    code, out, _ = run(capsys, "feedback", "list")
    assert code == 0 and all(line.isprintable() for line in out.splitlines()), out
    assert "route the \\u202edeploy review\\x1b[1A\\x1b[2K" in out
    code, out, _ = run(capsys, "feedback", "forget", "2")
    assert code == 0 and all(line.isprintable() for line in out.splitlines()), out
    assert [r["text"] for r in listed(capsys)] == [TEXT]


def test_classify_jsonl_applies_a_correction_of_a_task_holding_a_credential_as_classify_does(trained, capsys,
                                                                                               monkeypatch):
    # `classify` (and the MCP tools) read a task with its credentials dropped, as the correction's fingerprint
    # is taken; `classify --jsonl` read the key's characters too, so the learned correction fell below the
    # threshold there and the same task went to codex in the stream, to gemini everywhere else.
    import io

    task = "rotate the staging deploy key sk-abcdefghijklmnopqrstuvwxyz012345 today"
    code, out, _ = run(capsys, "feedback", task, "--routed", "codex", "--correct", "gemini")
    assert code == 0 and json.loads(out)["learned"] is True
    code, out, _ = run(capsys, "classify", task)
    single = json.loads(out)
    assert code == 0 and single["primary_provider"] == "gemini"

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"id": 1, "text": task}) + "\n"))
    code, out, _ = run(capsys, "classify", "--jsonl")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert (row["primary_provider"], row["task_type"], row["scores"]) == (
        single["primary_provider"], single["task_type"], single["all_scores"])


def test_the_list_shows_the_latest_corrections_up_to_its_limit_and_says_how_many_it_left_out(
        cli_env, capsys, monkeypatch):
    # A host that records every routing it disagrees with builds a long history: the list printed all of it.
    import server.commands.feedback as feedback_command

    for n in range(4):
        run(capsys, "feedback", f"{TEXT} {n}", "--routed", "codex", "--correct", "claude")
    code, out, err = run(capsys, "feedback", "list", "--json", "--limit", "2")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [3, 4]
    assert "2 older corrections were left out (--limit 2; --limit 0 lists all)" in err
    code, out, err = run(capsys, "feedback", "list", "--limit", "3")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["2", "3", "4"]
    assert "1 older correction was left out" in err
    assert [r["id"] for r in json.loads(run(capsys, "feedback", "list", "--json", "--limit", "0")[1])] == [1, 2, 3, 4]
    monkeypatch.setattr(feedback_command, "DEFAULT_LIMIT", 3)  # the default applies without the flag
    code, out, err = run(capsys, "feedback", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [2, 3, 4] and "1 older correction was left out" in err
    with pytest.raises(SystemExit):
        run(capsys, "feedback", "list", "--limit", "-1")
    assert "is not a number of corrections" in capsys.readouterr().err
