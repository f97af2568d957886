"""`switchboard audit`: an unknown --status is refused; an empty result is said on stderr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router_core.audit import EVENTS
from router_core.execution.results import STATUSES
from server.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unknown_status_is_refused_with_those_that_exist(cli_env, capsys):
    run(capsys, "recommend", "Explain OAuth2 flow")
    code, out, err = run(capsys, "audit", "--status", "typo")
    assert code == 2 and out == ""
    assert "'typo'" in err and "success" in err and "budget_exceeded" in err and "dispatch" in err


@pytest.mark.parametrize("status", ["success", "cancelled", "recommendation", "user_response", "batch_task"])
def test_a_known_status_or_event_is_accepted(cli_env, capsys, status):
    code, _, _ = run(capsys, "audit", "--status", status)
    assert code == 0


def test_every_event_written_is_one_audit_status_accepts():
    written = set()
    for path in [*(ROOT / "router_core").rglob("*.py"), *(ROOT / "server").rglob("*.py")]:
        text = path.read_text()
        written |= set(re.findall(r'"event": "(\w+)"', text)) | set(re.findall(r'event="(\w+)"', text))
    assert written and written <= set(EVENTS)
    assert "recommendation" in EVENTS and "cancelled" in STATUSES


def test_an_empty_log_is_said_on_stderr_and_stdout_stays_empty(cli_env, capsys):
    for argv in (["audit"], ["audit", "--json"], ["audit", "--status", "failed"]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (0, "")
        assert "no audit entries yet" in err


def test_no_match_names_the_filters(cli_env, capsys):
    run(capsys, "recommend", "Explain OAuth2 flow")
    code, out, err = run(capsys, "audit", "--status", "failed", "--provider", "codex", "--json")
    assert (code, out) == (0, "")
    assert "no audit entries match --provider codex --status failed" in err
    code, out, err = run(capsys, "audit")
    assert code == 0 and out.count("\n") == 1 and err == ""


# Lines another tool (or an older or damaged writer) appended: JSON objects whose fields are not the shapes
# Switchboard writes. Each was a traceback in `audit`'s one-line view or in `audit report`.
FOREIGN_LINES = [
    {"timestamp": "2026-01-02T00:00:00Z", "event": "dispatch", "recommendation": "codex",
     "execution_metrics": [1], "task_description": 123},
    {"timestamp": "2026-01-02T00:00:01Z", "event": "dispatch", "recommendation": {"provider": "codex"},
     "execution_metrics": "success", "task_description": ["a"]},
    {"timestamp": "2026-01-02T00:00:02Z", "event": "dispatch", "task_id": {"a": 1},
     "recommendation": {"provider": "codex", "cost_estimate": 0.25}},
    {"timestamp": "2026-01-02T00:00:03Z", "event": "dispatch", "task_id": ["t"],
     "recommendation": {"provider": "codex"}, "execution_metrics": {"provider": "codex", "status": "success",
                                                                    "cost_actual": 0.5}},
]


def _append_foreign_lines(env) -> None:
    import json

    audit_dir = Path(env["SWITCHBOARD_HOME"]) / "audit"
    audit_dir.mkdir(parents=True, exist_ok=True)
    path = audit_dir / "provider_recommendations-2026-01-02.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in FOREIGN_LINES))


def test_audit_shows_foreign_lines_without_a_traceback(cli_env, env, capsys):
    _append_foreign_lines(env)
    code, out, err = run(capsys, "audit")
    assert code == 0 and "Traceback" not in err
    assert len(out.splitlines()) == len(FOREIGN_LINES)
    assert "2026-01-02T00:00:00Z  dispatch" in out and "123" in out


def test_audit_report_counts_foreign_lines_without_a_traceback(cli_env, env, capsys):
    import json

    _append_foreign_lines(env)
    code, out, err = run(capsys, "audit", "report", "--json")
    assert code == 0 and "Traceback" not in err
    report = json.loads(out)
    assert report["records"] == len(FOREIGN_LINES)
    assert report["cost_by_day"]["2026-01-02"]["codex"]["actual_usd"] == 0.5


@pytest.mark.parametrize("argv", [["audit"], ["audit", "report"], ["audit", "report", "--json"]])
def test_the_audit_commands_say_skipped_lines_once_with_the_file_and_what_to_do(cli_env, env, capsys, caplog,
                                                                                argv):
    # They were said twice: the log's WARNING ("skipped 50 unparsable line(s) in ...") and the command's own
    # "(50 log lines skipped: torn, foreign or not JSON)", neither saying what to do.
    audit_dir = Path(env["SWITCHBOARD_HOME"]) / "audit"
    audit_dir.mkdir(parents=True, exist_ok=True)
    good = '{"timestamp": "2026-01-02T00:00:00Z", "event": "dispatch"}\n'
    path = audit_dir / "provider_recommendations-2026-01-02.jsonl"
    path.write_text(good + "torn {\n" * 50 + good)
    with caplog.at_level("WARNING", logger="router_core.audit"):
        code, out, err = run(capsys, *argv)
    assert code == 0 and "left out" not in out
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == []
    said = [line for line in err.splitlines() if "50 lines" in line]
    assert len(said) == 1 and err.count("left out") == 1, err
    assert f"in {path} (50)" in said[0] and "delete those lines" in said[0]


def test_audit_report_does_not_count_a_dispatch_that_reached_no_provider_as_a_run(cli_env, capsys):
    # Switchboard lists a provider it skipped (no backend, budget, hold, outage) among the attempts: such a
    # dispatch sent nothing, yet its 0 s counted as a run, pulling each provider's average execution time down.
    import json

    backends = "".join(f'[providers.{p}]\nbackend = "none"\n' for p in ("codex", "gemini", "claude"))
    (cli_env / ".switchboard.toml").write_text('classifier = "keywords"\n' + backends)
    assert run(capsys, "run", "fix the login bug")[0] == 1  # not configured
    code, out, _ = run(capsys, "audit", "report", "--json")
    report = json.loads(out)
    assert code == 0 and report["decisions"] == 1
    assert report["average_execution_seconds"] == {}


def test_every_skip_outcome_written_is_one_the_report_knows_sent_nothing():
    from router_core.audit_report import SKIPPED

    written = set()
    for path in (ROOT / "router_core" / "execution").rglob("*.py"):
        written |= set(re.findall(r'\.skip\(\s*"(\w+)"', path.read_text()))
    assert written and written <= SKIPPED


def test_audit_report_counts_cost_by_the_budgets_days(cli_env, env, capsys):
    # Its days were UTC days: with a budget in New York, a dispatch at 00:30 UTC on 2 January was counted
    # on the 2nd while `switchboard budget` had charged it to the 1st.
    import json

    from config.loader import user_config_path

    user_file = user_config_path(env)
    user_file.parent.mkdir(parents=True, exist_ok=True)
    user_file.write_text('[budget]\ntimezone = "America/New_York"\n')
    _append_foreign_lines(env)
    code, out, _ = run(capsys, "audit", "report", "--json")
    report = json.loads(out)
    assert code == 0 and report["timezone"] == "America/New_York"
    assert list(report["cost_by_day"]) == ["2026-01-01"]
    assert report["cost_by_day"]["2026-01-01"]["codex"]["actual_usd"] == 0.5
    code, out, _ = run(capsys, "audit", "report")
    assert "Cost per day (America/New_York)" in out and "2026-01-01" in out


def test_session_keeps_one_sessions_entries(cli_env, capsys, monkeypatch):
    # On a team's server every teammate's session writes to one log: `--json` was the only way to tell them apart.
    import itertools
    import json

    from router_core.core import RouterCore

    made = itertools.chain(["session-aaaa11112222"], itertools.repeat("session-bbbb33334444"))  # then every core
    init = RouterCore.__init__

    def with_session(self, *args, **kwargs):
        kwargs["session_id"] = kwargs.get("session_id") or next(made)
        init(self, *args, **kwargs)

    monkeypatch.setattr(RouterCore, "__init__", with_session)
    run(capsys, "recommend", "Explain OAuth2 flow")
    run(capsys, "recommend", "Fix the bug in the data loader")
    code, out, _ = run(capsys, "audit", "--session", "session-aaaa", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows and {r["session_id"] for r in rows} == {"session-aaaa11112222"}
    # as the dashboard's session column shows it: the id without "session-" (it matched nothing)
    code, out, _ = run(capsys, "audit", "--session", "aaaa1111", "--json")
    assert code == 0 and {json.loads(line)["session_id"] for line in out.splitlines()} == {"session-aaaa11112222"}
    code, out, err = run(capsys, "audit", "--session", "session-cccc")
    assert (code, out) == (0, "") and "no audit entries match --session session-cccc" in err
    code, _, err = run(capsys, "audit", "--session", " ")
    assert code == 2 and "--session is empty" in err


@pytest.mark.parametrize("argv", [["audit", "--help"], ["audit", "report", "--help"]], ids=" ".join)
def test_both_since_flags_say_a_time_without_offset_is_utc(capsys, argv):
    # `audit report --since` said so; `audit --since`, which reads it the same way (parse_since), did not.
    with pytest.raises(SystemExit):
        main(argv)
    assert "(UTC unless it has an offset)" in " ".join(capsys.readouterr().out.split())
