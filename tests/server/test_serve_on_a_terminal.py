"""`switchboard serve` started by hand at a terminal says what it is waiting for."""

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


@pytest.mark.slow
def test_serve_at_a_terminal_says_it_waits_for_an_assistant(tmp_path, env):
    # README's first command runs the server on stdio; typed at a terminal it showed nothing at all and seemed
    # to hang. It now says, on stderr, that an assistant starts it and how to stop it; end of input still stops it.
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | env | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], env=environ, cwd=tmp_path,
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 30)  # before: nothing ever came
        line = proc.stderr.readline().decode() if ready else ""
        os.write(master, b"\x04")  # Ctrl-D: end of input, as an assistant closing the pipe
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "waiting for an MCP client on stdin" in line and "switchboard install" in line, line
    assert proc.stdout.read() == b""  # the protocol's channel carries nothing but the protocol
    proc.stdout.close()
    proc.stderr.close()


def start_at_a_terminal(tmp_path, env):
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | env | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], env=environ, cwd=tmp_path,
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    ready, _, _ = select.select([proc.stderr], [], [], 30)
    assert ready and "waiting for an MCP client" in proc.stderr.readline().decode()
    return master, proc


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)], ids=["sigterm", "ctrl-c"])
def test_serve_at_a_terminal_stops_on_sigterm_and_ctrl_c(tmp_path, env, signum, code):
    # Before: the SDK's transport waited in a thread for a line from the terminal, so neither a SIGTERM (which the
    # README says ends the server) nor Ctrl-C stopped it; only a kill did.
    master, proc = start_at_a_terminal(tmp_path, env)
    try:
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == code
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout.read() == b""
    assert "stopping" in proc.stderr.read().decode()
    proc.stdout.close()
    proc.stderr.close()
