"""`switchboard batch` takes the run_batch tool's bounds: at most 500 tasks, --parallel 1 to 64."""

from __future__ import annotations

import io
import json

import pytest

from server.cli import main


def run(capsys, monkeypatch, stdin: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["batch", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("dry_run", [["--dry-run"], []])
def test_more_than_500_tasks_are_refused(cli_env, capsys, monkeypatch, dry_run):
    code, out, err = run(capsys, monkeypatch, json.dumps([f"fix bug {n}" for n in range(501)]), *dry_run)
    assert code == 2 and out == ""
    assert "501 tasks on stdin; a batch takes at most 500" in err


@pytest.mark.parametrize("parallel", ["65", "0", "-3"])
@pytest.mark.parametrize("dry_run", [["--dry-run"], []])
def test_parallel_outside_1_to_64_is_refused(cli_env, capsys, monkeypatch, parallel, dry_run):
    code, out, err = run(capsys, monkeypatch, '["fix the bug"]', "--parallel", parallel, *dry_run)
    assert code == 2 and out == ""
    assert f"--parallel must be from 1 to 64, got {parallel}" in err


def test_the_bounds_are_accepted(cli_env, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, json.dumps(["fix bug"] * 500), "--parallel", "64", "--dry-run")
    assert code == 0 and len(json.loads(out)["items"]) == 500


def test_help_says_the_bounds(capsys):
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "up to 500 tasks" in out and "1 to 64" in out
