"""SIGHUP (the terminal closed, an ssh session dropped) ends `switchboard run` and `batch` as SIGTERM does: the CLI a
task runs on is killed with what it started, and the task audited as cancelled; unless SIGHUP was ignored when
Switchboard started (nohup), which it then keeps ignoring.

Found by hand: a `switchboard run` on the codex CLI whose terminal was closed died at once (exit 129); the codex
agent, in a session of its own, went on running as an orphan (working in the repository after its user had gone),
and the task had no audit line, only a charged_dead_call written later by the next process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.providers.test_cli_processes import running

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FAKE_BIN = ROOT / "tests" / "fakes" / "bin"
TASK = "Fix the bug in the data loader"


def wait_for(check, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def start_run(tmp_path: Path, *, latency: float, ignore_hup: bool) -> tuple[subprocess.Popen, Path]:
    """`switchboard run TASK --provider codex` on the fake codex CLI, which answers after ``latency`` seconds."""
    config = tmp_path / "config.toml"
    config.write_text('classifier = "keywords"\n')
    pidfile = tmp_path / "cli.pid"
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(HOME=str(tmp_path), SWITCHBOARD_HOME=str(tmp_path / "state"), SWITCHBOARD_CONFIG=str(config),
               PATH=f"{FAKE_BIN}{os.pathsep}{os.environ.get('PATH', '')}", FAKE_CODEX_LATENCY=str(latency),
               FAKE_CLI_PIDFILE=str(pidfile))

    def before_exec() -> None:  # what nohup does; else the default, whatever pytest's was
        signal.signal(signal.SIGHUP, signal.SIG_IGN if ignore_hup else signal.SIG_DFL)

    process = subprocess.Popen([sys.executable, "-m", "server.cli", "run", TASK, "--provider", "codex"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=before_exec)
    return process, pidfile


def cli_pid(pidfile: Path) -> int:
    assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip()), "the CLI never started"
    return int(pidfile.read_text())


def test_sighup_stops_the_run_kills_its_cli_and_audits_the_task(tmp_path):
    process, pidfile = start_run(tmp_path, latency=600, ignore_hup=False)
    pid = None
    try:
        pid = cli_pid(pidfile)
        process.send_signal(signal.SIGHUP)
        out, err = process.communicate(timeout=60)
        orphaned = not wait_for(lambda: not running(pid), 10)
    finally:
        process.kill()
        if pid is not None and running(pid):
            os.kill(pid, signal.SIGKILL)  # the orphan the old code left
    assert process.returncode == 129, (process.returncode, err)
    assert not orphaned, "the CLI outlived the switchboard run whose terminal closed"
    assert err.startswith("switchboard: stopped by SIGHUP: cancelled; the call in flight to codex is charged"), err
    lines = [json.loads(line) for f in sorted((tmp_path / "state" / "audit").glob("*.jsonl"))
             for line in f.read_text().splitlines()]
    dispatched = [e for e in lines if e.get("task_description") == TASK]
    assert [e["execution_metrics"]["status"] for e in dispatched] == ["cancelled"]


def test_a_run_started_with_sighup_ignored_nohup_finishes_its_task(tmp_path):
    process, pidfile = start_run(tmp_path, latency=3, ignore_hup=True)
    try:
        cli_pid(pidfile)
        process.send_signal(signal.SIGHUP)  # while the CLI answers
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.startswith("codex fake answer to:")
