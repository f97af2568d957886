"""`switchboard serve` started by hand at a terminal says what it is waiting for, and stops on Ctrl-D, Ctrl-C and SIGTERM."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_at_a_terminal(tmp_path, env) -> tuple[int, subprocess.Popen, str]:
    """`switchboard serve` with a pty for stdin: (the pty's master, the process, its first line on stderr)."""
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | env | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], env=environ, cwd=tmp_path,
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    ready, _, _ = select.select([proc.stderr], [], [], 30)  # before: nothing ever came
    return master, proc, proc.stderr.readline().decode() if ready else ""


def stopped(master: int, proc: subprocess.Popen) -> tuple[int | None, bytes, str]:
    """Wait for the process to end: (its exit code, what it wrote on stdout, the rest of its stderr)."""
    try:
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with proc.stdout, proc.stderr:
        return code, proc.stdout.read(), proc.stderr.read().decode()


@pytest.mark.slow
def test_serve_at_a_terminal_says_it_waits_for_an_assistant(tmp_path, env):
    # README's first command runs the server on stdio; typed at a terminal it showed nothing at all and seemed
    # to hang. It now says, on stderr, that an assistant starts it and how to stop it; end of input still stops it.
    master, proc, line = start_at_a_terminal(tmp_path, env)
    os.write(master, b"\x04")  # Ctrl-D: end of input, as an assistant closing the pipe
    code, out, _ = stopped(master, proc)
    assert "waiting for an MCP client on stdin" in line and "switchboard install" in line, line
    assert code == 0
    assert out == b""  # the protocol's channel carries nothing but the protocol


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)], ids=["sigterm", "ctrl-c"])
def test_serve_at_a_terminal_stops_on_sigterm_and_ctrl_c(tmp_path, env, signum, code):
    # Before: the SDK's transport waited in a thread for a line from the terminal, so neither a SIGTERM (which the
    # README says ends the server) nor Ctrl-C stopped it; only a kill did. The waiting line is printed once the
    # signals are handled, so a signal sent after it reaches the server's handler.
    master, proc, line = start_at_a_terminal(tmp_path, env)
    assert "waiting for an MCP client" in line, line
    proc.send_signal(signum)
    exit_code, out, err = stopped(master, proc)
    assert exit_code == code
    assert out == b""
    assert "stopping" in err
