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


def test_classify_jsonl_reads_a_batch_file_s_task_field(cli_env, capsys, monkeypatch):
    # `switchboard batch` reads "text" as "task" (as `classify --jsonl` names it), but `classify --jsonl` refused the
    # batch's own {"id", "task"} lines, every one of them: 'no "text"'. A batch file can now be classified first.
    import io
    import json

    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "a", "task": "Explain how the OAuth2 flow works"}\n'))
    assert main(["classify", "--jsonl"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == "a" and row["primary_provider"] == "gemini"


def test_a_context_over_the_limit_says_what_to_do(cli_env, capsys, tmp_path):
    # "the text of --context-file is 400,001 characters; the limit is 400,000" left the user to guess (the task's
    # own limit says "Summarise it.").
    from router_core.execution.dispatch import MAX_CONTEXT_CHARS

    big = tmp_path / "context.txt"
    big.write_text("x" * (MAX_CONTEXT_CHARS + 1))
    assert main(["run", "Fix the bug in data loader", "--context-file", str(big), "--route-only"]) == 2
    err = capsys.readouterr().err
    assert "the limit is 400,000" in err and "pass only" in err


def test_budget_header_shows_a_small_spend_as_recommend_does(cli_env, capsys):
    # After a few cheap tasks `budget` said "$0.00 / $0.05 (4.9%)": nothing spent, yet 4.9% used (its table, and
    # recommend's "Daily Budget:" line, said $0.0025).
    assert main(["usage", "set", "codex", "--cost", "0.0025"]) == 0
    capsys.readouterr()
    assert main(["budget"]) == 0
    assert "$0.0025 / $100.00" in capsys.readouterr().out


def test_an_unreadable_context_file_says_what_to_give(cli_env, capsys, tmp_path):
    # Before: "cannot read context file /tmp: [Errno 21] Is a directory: '/tmp'", Python's words and no way out.
    for path in (tmp_path, tmp_path / "missing.txt"):
        assert main(["run", "Fix the bug in data loader", "--context-file", str(path), "--route-only"]) == 2
        err = capsys.readouterr().err
        assert "[Errno" not in err and "a readable text file" in err, err


def test_audit_says_when_the_log_is_off(cli_env, capsys):
    # With audit.enabled = false, `audit` said "no audit entries yet (in .../audit)" after any number of decisions,
    # as if none had been made, and `audit report` counted 0 decisions without a word.
    (cli_env / ".switchboard.toml").write_text('classifier = "keywords"\n[audit]\nenabled = false\n')
    assert main(["recommend", "Fix the bug in data loader"]) == 0
    capsys.readouterr()
    for command in (["audit"], ["audit", "report"]):
        assert main(command) == 0
        err = capsys.readouterr().err
        assert "audit.enabled = false" in err and "no audit entries yet" not in err, err


def test_recommend_gives_a_long_wait_in_hours_and_minutes(cli_env, capsys):
    # With the day's budget spent, recommend said "Recommended wait: 43385s (capacity returns at ...)"; the
    # budget's own error says "in 12h 03m".
    import re

    for provider in ("codex", "gemini", "claude"):
        assert main(["usage", "set", provider, "--cost", "40"]) == 0
    capsys.readouterr()
    assert main(["recommend", "Fix the bug in data loader"]) == 0
    wait = re.search(r"Recommended wait: (\S+)", capsys.readouterr().out).group(1)
    assert re.fullmatch(r"\d{1,2}s|\d+m\d\ds|\d+h\d\dm", wait), wait
