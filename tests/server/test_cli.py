"""The `switchboard` CLI, run in-process with an isolated state dir."""

from __future__ import annotations

import io
import json

import pytest

from server.cli import main


def run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_recommend_minimal_display(cli_env, capsys):
    code, out, _ = run(capsys, "recommend", "Design distributed system architecture", "--repo", "hub")
    assert code == 0
    assert "Multi-Provider Recommendation" in out
    assert "Recommended Provider: CLAUDE" in out
    assert "Agent Selected: system-architect" in out
    assert "Proceed?" not in out  # not interactive under pytest


def test_recommend_json_is_the_detailed_record(cli_env, capsys):
    code, out, _ = run(capsys, "recommend", "Fix the bug in data loader", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["recommendation"]["provider"] == "codex"
    assert record["task_classification"]["task_type"] == "debugging"


def test_classify_jsonl_stream(cli_env, capsys, monkeypatch):
    stdin = '{"id": "a", "text": "Explain OAuth2 flow"}\nnot json\n{"id": "b", "text": "Implement authentication"}\n'
    code, out, err = run(capsys, "classify", "--jsonl", stdin=stdin, monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # one bad line
    assert rows[0]["id"] == "a" and rows[0]["primary_provider"] == "gemini"
    assert set(rows[0]) == {"id", "primary_provider", "task_type", "scores", "fallback_chain", "elapsed_ms"}
    assert rows[0]["elapsed_ms"] >= 0
    assert "error" in rows[1] and "line 2" in err
    assert rows[2]["id"] == "b" and rows[2]["primary_provider"] == "codex"


def test_usage_set_blocks_and_budget_shows_spend(cli_env, capsys):
    code, out, _ = run(capsys, "usage", "set", "codex", "--tokens", "460000", "--cost", "3.5")
    assert code == 0
    view = json.loads(out)
    assert view["available"] is False and view["blocks"][0]["reason"] == "tokens_percent >= 90%"
    code, out, _ = run(capsys, "budget", "--json")
    assert json.loads(out)["spent"] == 3.5
    code, out, _ = run(capsys, "usage")
    assert "BLOCKED: tokens_percent >= 90%" in out


def test_usage_set_keeps_the_counts_it_was_not_given(cli_env, capsys):
    run(capsys, "usage", "set", "codex", "--requests", "2500", "--tokens", "1000")
    code, out, _ = run(capsys, "usage", "set", "codex", "--cost", "1")  # a cost alone: the counts stand
    view = json.loads(out)
    assert code == 0 and (view["requests_used"], view["tokens_used"]) == (2500, 1000)
    code, out, _ = run(capsys, "usage", "set", "codex", "--tokens", "7000")  # one count: the other stands
    view = json.loads(out)
    assert (view["requests_used"], view["tokens_used"]) == (2500, 7000)
    code, out, _ = run(capsys, "usage", "set", "codex", "--requests", "0", "--tokens", "0")  # zero is a figure
    view = json.loads(out)
    assert (view["requests_used"], view["tokens_used"]) == (0, 0)
    code, out, _ = run(capsys, "budget", "--json")
    assert json.loads(out)["spent"] == 1.0


def test_audit_tail_filters(cli_env, capsys):
    run(capsys, "recommend", "Explain OAuth2 flow")
    run(capsys, "recommend", "Implement authentication")
    code, out, _ = run(capsys, "audit", "--provider", "gemini", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 1
    assert rows[0]["recommendation"]["provider"] == "gemini"


def test_errors_are_clear_and_exit_2(cli_env, capsys):
    code, _, err = run(capsys, "recommend", "   ")
    assert code == 2 and "task is empty" in err
    (cli_env / ".switchboard.toml").write_text("[budget]\ndaily_total = -1\n")
    code, _, err = run(capsys, "budget")
    assert code == 2 and "budget.daily_total" in err and ".switchboard.toml" in err


def test_audit_report_table_and_json(cli_env, capsys):
    run(capsys, "recommend", "Explain OAuth2 flow")
    run(capsys, "usage", "set", "gemini", "--requests", "90")
    run(capsys, "recommend", "Explain OAuth2 flow")  # gemini blocked now: a fallback activation
    code, out, _ = run(capsys, "audit", "report", "--json")
    report = json.loads(out)
    assert code == 0
    assert sum(report["provider_distribution"].values()) == 2
    assert report["fallback_activations"]["total"] == 1
    # by the kind of what blocked the primary (its window, here), not the reason's words, amounts and times
    assert report["fallback_activations"]["by_reason"] == {"primary blocked: window full": 1}
    code, out, _ = run(capsys, "audit", "report")
    assert code == 0 and "gemini" in out


def test_audit_report_since_a_time_is_not_cut_to_its_day(cli_env, capsys):
    from datetime import UTC, datetime, timedelta

    run(capsys, "recommend", "Explain OAuth2 flow")
    later = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")  # same day, almost surely
    code, out, _ = run(capsys, "audit", "report", "--json", "--since", later)
    assert code == 0 and json.loads(out)["decisions"] == 0
    code, out, _ = run(capsys, "audit", "report", "--json", "--since", "2000-01-01T00:00:00+05:00")
    assert json.loads(out)["decisions"] == 1
    code, _, err = run(capsys, "audit", "report", "--since", "yesterday")
    assert code == 2 and "--since must be an ISO date or time" in err


def test_audit_commands_say_how_many_lines_they_skipped(cli_env, capsys):
    run(capsys, "recommend", "Explain OAuth2 flow")
    log = next((cli_env).rglob("provider_recommendations-*.jsonl"))
    with log.open("a") as f:
        f.write('{"timestamp": "2026-01-01T00:00:00Z", "recommendation": {"provider": "co\n')  # torn
        f.write("not json\n")
    run(capsys, "recommend", "Implement authentication")
    code, out, err = run(capsys, "audit", "report", "--json")
    assert code == 0 and json.loads(out)["skipped_lines"] == 2
    code, out, err = run(capsys, "audit", "report")
    assert "2 lines of the audit log left out" in err and "left out" not in out
    code, out, err = run(capsys, "audit", "-n", "5")
    assert code == 0 and len(out.splitlines()) == 2 and "2 lines of the audit log left out" in err


def _commands(parser) -> set[str]:
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def test_every_command_is_mapped_to_the_module_that_registers_it():
    from server.cli import COMMANDS, build_parser

    assert _commands(build_parser()) == set(COMMANDS)
    for name, module in COMMANDS.items():
        assert name in _commands(build_parser([name])), module.__name__


def test_a_named_command_parses_alike_with_only_its_module():
    from server.cli import build_parser

    argv = ["-v", "serve", "--http", "--port", "9000"]
    assert _commands(build_parser(argv)) == {"serve", "dashboard"}
    assert vars(build_parser(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))
    assert _commands(build_parser(["--help"])) == _commands(build_parser(["nope"])) == _commands(build_parser())


def test_classify_jsonl_error_rows_keep_the_lines_id(cli_env, capsys, monkeypatch):
    stdin = '{"id": "a"}\n{"id": 7, "text": 5}\n[1]\n'
    code, out, _ = run(capsys, "classify", "--jsonl", stdin=stdin, monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [row["id"] for row in rows] == ["a", 7, 3]  # [1] gives no id: its line number
    assert all('string "text"' in row["error"] for row in rows)


def test_an_unknown_argument_is_refused_by_the_command_it_was_given_to(cli_env, capsys):
    import pytest

    for argv, says in [
        (["usage", "set", "codex", "--json"], "switchboard usage set: error: unrecognized arguments: --json"),
        (["budget", "--foo"], "usage: switchboard budget [-h] [--json]"),
        (["recommend", "fix", "the", "bug"],
         'switchboard recommend: error: unrecognized arguments: the bug (quote a task of several words: "fix the bug")'),
    ]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert says in capsys.readouterr().err


def test_every_option_and_command_has_help_in_lower_case():
    import argparse

    from server.cli import build_parser

    missing, capitalised = [], []

    def upper(help_text):  # "Register ..." is; "HTTP port", "USD to add", "YYYY-MM-DD" are not
        word = help_text.split()[0]
        return word[:1].isupper() and not word.isupper()

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
                for choice in action._choices_actions:
                    (capitalised if upper(choice.help) else []).append(f"{path} {choice.dest}")
            elif not isinstance(action, argparse._HelpAction):
                name = f"{path} {'/'.join(action.option_strings) or action.dest}"
                (missing if not action.help else capitalised if upper(action.help) else []).append(name)

    walk(build_parser(), "switchboard")
    assert missing == [] and capitalised == []


def test_classify_json_classifies_the_task_given(cli_env, capsys, monkeypatch):
    # --json was taken for an abbreviation of --jsonl: the task was dropped and stdin read (empty: no output, exit 0)
    code, out, _ = run(capsys, "classify", "Fix the bug in data loader", "--json", stdin="", monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["task_type"] == "debugging"


def test_classify_refuses_a_task_with_jsonl(cli_env, capsys, monkeypatch):
    code, out, err = run(capsys, "classify", "Fix the bug", "--jsonl", stdin="", monkeypatch=monkeypatch)
    assert code == 2 and out == "" and "give a task or --jsonl, not both" in err


def test_every_commands_help_says_what_it_does(cli_env, capsys):
    import pytest

    from server.cli import COMMANDS

    for argv in [[name] for name in COMMANDS] + [["usage", "set"], ["audit", "report"], ["feedback", "list"]]:
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        out = capsys.readouterr().out
        description = out.split("\n\n")[1]  # after the usage lines, before the arguments
        assert not description.startswith(("positional arguments", "options")), argv


def test_budget_says_the_reset_in_its_timezone(cli_env, env, capsys):
    from config.loader import user_config_path

    user_file = user_config_path(env)
    user_file.parent.mkdir(parents=True, exist_ok=True)
    user_file.write_text('[budget]\ntimezone = "Asia/Tokyo"\n')
    code, out, _ = run(capsys, "budget")
    reset = json.loads(run(capsys, "budget", "--json")[1])["next_reset_at"]
    assert code == 0 and f" 00:00 Asia/Tokyo ({reset})" in out and reset.endswith("T15:00:00Z")


def test_usage_says_an_overdue_outage_lasts_until_a_probe_is_answered(cli_env, capsys):
    # Before, it said "until <a time already past>", as if the outage were over.
    import time

    from server.commands._common import core

    c = core()
    for _ in range(c.execution_state.circuits.threshold):
        c.execution_state.circuits.record_failure("gemini", "503")
    with c.db.transaction() as conn:
        conn.execute("UPDATE execution_circuits SET next_probe_at = ? WHERE provider = 'gemini'", (time.time() - 60,))
    code, out, _ = run(capsys, "usage")
    [line] = [line for line in out.splitlines() if line.startswith("gemini")]
    assert code == 0 and "consecutive failures until a probe is answered (one due since 20" in line


def test_usage_says_an_outage_nobody_has_probed_no_longer_blocks_and_why(cli_env, capsys):
    # Before: "BLOCKED: outage: 3 consecutive failures until a probe is answered (one due since …)" for good, when
    # no process with a key or CLI for gemini ran to send the probe (here: this CLI has none).
    import time

    from server.commands._common import core

    c = core()
    for _ in range(c.execution_state.circuits.threshold):
        c.execution_state.circuits.record_failure("gemini", "503")
    overdue = time.time() - c.execution_state.circuits.probe_interval - 60
    with c.db.transaction() as conn:
        conn.execute("UPDATE execution_circuits SET next_probe_at = ? WHERE provider = 'gemini'", (overdue,))
    code, out, _ = run(capsys, "usage")
    [line] = [line for line in out.splitlines() if line.startswith("gemini")]
    assert code == 0 and "BLOCKED" not in line
    assert "available; outage since 20" in line and "has not been sent by any process" in line
    assert "routing no longer avoids gemini" in line


def test_recommend_with_every_probe_overdue_gives_no_zero_second_wait(cli_env, capsys):
    # Before: "Recommended wait: 0s (capacity returns at <a time already past>)", and the reason said
    # "capacity returns in 0s", while nothing returns until a probe is answered.
    import time

    from server.commands._common import core

    c = core()
    for provider in ("codex", "gemini", "claude"):
        for _ in range(c.execution_state.circuits.threshold):
            c.execution_state.circuits.record_failure(provider, "503")
    with c.db.transaction() as conn:
        conn.execute("UPDATE execution_circuits SET next_probe_at = ?", (time.time() - 60,))
    code, out, _ = run(capsys, "recommend", "Implement a JWT login endpoint")
    assert code == 0 and "Recommended wait: unknown (capacity was due back at 20" in out
    assert "not confirmed yet" in out and "returns in 0s" not in out


@pytest.mark.parametrize("argv", [("-v", "classify", "fix the bug"), ("classify", "fix the bug", "-v"),
                                  ("classify", "--verbose", "fix the bug"), ("usage", "set", "codex", "--requests", "3", "-v")])
def test_verbose_is_taken_before_or_after_the_command(cli_env, capsys, monkeypatch, argv):
    # After the command it was refused: "switchboard classify: error: unrecognized arguments: -v".
    from server import cli

    levels = []
    monkeypatch.setattr(cli, "configure_logging", lambda *, verbose: levels.append(verbose))
    code, _, err = run(capsys, *argv)
    assert (code, levels) == (0, [True]), err


def test_without_verbose_logging_stays_quiet(cli_env, capsys, monkeypatch):
    from server import cli

    levels = []
    monkeypatch.setattr(cli, "configure_logging", lambda *, verbose: levels.append(verbose))
    assert run(capsys, "classify", "fix the bug")[0] == 0 and levels == [False]


@pytest.mark.parametrize(("window", "per"), [(None, "min"), (3600, "hour"), (10, "10s")])
def test_usage_header_names_the_rate_window_the_limits_apply_to(cli_env, capsys, window, per):
    # It said requests/min and tokens/min whatever execution.rate_window_seconds said.
    if window is not None:
        with (cli_env / ".switchboard.toml").open("a") as f:
            f.write(f"[execution]\nrate_window_seconds = {window}\n")
    code, out, err = run(capsys, "usage")
    header = out.splitlines()[0].split()
    assert code == 0 and header[1:3] == [f"requests/{per}", f"tokens/{per}"], err


def test_the_help_says_what_each_exit_code_means(capsys):
    # The codes were documented only in the README: a script's author reading --help could not tell a task that
    # failed (1) from a command refused (2).
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 done" in text
    for said in ("1 a task of run or batch, or a line of classify --jsonl, did not succeed",
                 "2 the command could not be done as given", "130 stopped by Ctrl-C"):
        assert said in text
