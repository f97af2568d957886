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
