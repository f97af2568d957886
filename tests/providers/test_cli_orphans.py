"""A CLI run does not outlive a Switchboard killed without notice (SIGKILL, the OOM killer): cli_spawn.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from router_core.providers import cli_spawn
from tests.providers.test_cli_processes import ends, running

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not cli_spawn.GUARDED, reason="PR_SET_PDEATHSIG is Linux's")]
ROOT = Path(__file__).resolve().parents[2]


async def test_a_cli_run_ends_when_switchboard_is_killed_with_sigkill(tmp_path):
    pidfile = tmp_path / "cli.pid"
    cli = tmp_path / "cli.py"
    cli.write_text(f"import os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n")
    switchboard = textwrap.dedent(f"""
        import os, sys, anyio
        from router_core.clock import SystemClock
        from router_core.providers import CliAdapter, CompletionRequest
        from router_core.providers.cli_codex import CODEX
        adapter = CliAdapter(provider="codex", command=(sys.executable, {str(cli)!r}), dialect=CODEX,
                             clock=SystemClock(), environ=dict(os.environ), timeout=600)
        anyio.run(adapter.complete, CompletionRequest(prompt="x"))
    """)
    parent = subprocess.Popen([sys.executable, "-c", switchboard], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    cli_pid = None
    try:
        with anyio.fail_after(30):
            while not (pidfile.exists() and pidfile.read_text()):
                assert parent.poll() is None, "the Switchboard stand-in ended before its CLI started"
                await anyio.sleep(0.02)
        cli_pid = int(pidfile.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert await ends(cli_pid), "the CLI ran on after its Switchboard was killed"
    finally:
        parent.kill()
        parent.wait()
        if cli_pid is not None and running(cli_pid):
            os.kill(cli_pid, signal.SIGKILL)


@pytest.mark.parametrize("make", ["missing", "not-executable"])
async def test_an_exec_that_fails_is_raised_as_the_oserror_popen_raises(tmp_path, make):
    path = tmp_path / "cli"
    if make == "not-executable":
        path.write_text("#!/bin/sh\n")
    expected = FileNotFoundError if make == "missing" else PermissionError
    with pytest.raises(expected):
        await cli_spawn.open_guarded([str(path)])
