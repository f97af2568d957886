"""`switchboard serve` on pipes, ended while a dispatch is calling a provider: by EOF on stdin, or SIGTERM.

Hosts end a stdio server by closing its stdin; the MCP SDKs' clients (TypeScript and Python) then wait 2 s
for it to exit before a SIGTERM, and 2 s more before a SIGKILL. A call in flight (which the provider may bill)
gets a grace to finish and be answered; a SIGTERM cancels it at once, audited as cancelled, nothing held."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from router_core.core import DB_FILENAME
from router_core.store.db import Database
from server.stdio import ENV
from tests.fakes.fake_provider import FakeProviders, Fault
from tests.server.test_stdio_pipes import answer, handshake, send, start

pytestmark = pytest.mark.slow
TASK = "Explain the OAuth2 flow"


def serving(tmp_path: Path, fake: FakeProviders) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != ENV}
    env.update(HOME=str(tmp_path), SWITCHBOARD_HOME=str(tmp_path / "state"), GEMINI_API_KEY="test-key",
               GEMINI_BASE_URL=fake.base_url("gemini"))
    proc = start([str(Path(sys.executable).with_name("switchboard")), "serve"], env, tmp_path)
    assert handshake(proc)["result"]["serverInfo"]["name"] == "switchboard"
    return proc


def dispatch_in_flight(proc: subprocess.Popen, fake: FakeProviders) -> None:
    send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "dispatch_agent", "arguments": {"task": TASK, "provider": "gemini"}}})
    assert fake.wait_for_requests("gemini"), "the provider call never went out"


def stderr_until(proc: subprocess.Popen, text: str, within: float = 60.0) -> str:
    """The server's stderr up to the line holding ``text``; fails if the server ends first."""
    seen = []
    while True:
        ready, _, _ = select.select([proc.stderr], [], [], within)
        assert ready, f"no {text!r} on stderr within {within:g}s: {''.join(seen)}"
        line = proc.stderr.readline().decode()
        assert line, f"the server ended without saying {text!r}: {''.join(seen)}"
        seen.append(line)
        if text in line:
            return "".join(seen)


def audited(tmp_path: Path) -> dict:
    lines = [json.loads(x) for f in (tmp_path / "state/audit").glob("*.jsonl") for x in f.read_text().splitlines()]
    ran = [x for x in lines if x.get("task_description") == TASK]
    assert ran, lines
    return ran[-1]["execution_metrics"]


def live_reservations(tmp_path: Path) -> int:
    """The budget reservations still held on the shared database."""
    db = Database(tmp_path / "state" / DB_FILENAME)
    try:
        return db.connection().execute("SELECT count(*) FROM budget_reservations WHERE status = 'live'").fetchone()[0]
    finally:
        db.close()


def ended(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None and not stream.closed:
            stream.close()


@contextmanager
def dispatch_hanging(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, FakeProviders]]:
    """A stdio server with a dispatch in flight on a gemini that hangs (until ``fake.end_hangs()``)."""
    with FakeProviders() as fake:
        fake.script("gemini", [Fault.hang(120)])
        proc = serving(tmp_path, fake)
        try:
            dispatch_in_flight(proc, fake)
            yield proc, fake
        finally:
            ended(proc)


@pytest.mark.parametrize("host_reads", [True, False], ids=["host-reads-on", "host-gone"])
def test_a_call_in_flight_at_eof_finishes_within_the_grace(tmp_path, host_reads):
    # Before, EOF on stdin cancelled the dispatch at once: a provider call a moment from its answer (and
    # perhaps billed) was charged at its estimate and its answer lost, though the host waits for the exit.
    with dispatch_hanging(tmp_path) as (proc, fake):
        proc.stdin.close()
        if not host_reads:  # the host is gone: the answer has nowhere to go, and that is no error
            proc.stdout.close()
        stderr_until(proc, "stdin closed")
        fake.end_hangs()
        if host_reads:
            reply = answer(proc)
            assert reply["id"] == 2 and reply["result"]["structuredContent"]["status"] == "success", reply
        assert proc.wait(timeout=60) == 0
        assert "Traceback" not in proc.stderr.read().decode()
    assert audited(tmp_path)["status"] == "success"
    assert live_reservations(tmp_path) == 0


@pytest.mark.parametrize("eof_first", [False, True], ids=["stdin-open", "during-the-grace"])
def test_sigterm_cancels_the_call_in_flight_audited_and_nothing_held(tmp_path, eof_first):
    # Before, SIGTERM (a host's second step after closing stdin, or its only one) killed the process where it
    # stood: no audit line for the call in flight, its reservation left for another process to find stale.
    with dispatch_hanging(tmp_path) as (proc, _):
        if eof_first:
            proc.stdin.close()
            stderr_until(proc, "stdin closed")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "Traceback" not in proc.stderr.read().decode()
    metrics = audited(tmp_path)
    assert metrics["status"] == "cancelled", metrics
    assert metrics["cost_actual_usd"] > 0  # charged at its estimate: the provider may bill a call cut off
    assert live_reservations(tmp_path) == 0  # settled by this process, not left for another to find stale


def test_sighup_cancels_the_call_in_flight_as_sigterm_does(tmp_path):
    # A terminal closed with its host (Claude Code) running: the kernel's SIGHUP reaches the host's process group,
    # this server in it. Left to its default action it killed the server where it stood: the call in flight not
    # audited, its reservation left for another process, and a CLI it ran (in a session of its own) orphaned.
    with dispatch_hanging(tmp_path) as (proc, _):
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=60) == 0
        assert "SIGHUP: stopping" in proc.stderr.read().decode()
    metrics = audited(tmp_path)
    assert metrics["status"] == "cancelled", metrics
    assert live_reservations(tmp_path) == 0


def test_a_call_piped_in_just_before_eof_is_answered(tmp_path):
    # `printf '<initialize>\n<initialized>\n<tools/call>\n' | switchboard serve`: stdin ended before the call reached
    # its tool, so none was counted running, the grace did not apply and the answer was "Connection closed".
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != ENV}
    env.update(HOME=str(tmp_path), SWITCHBOARD_HOME=str(tmp_path / "state"))
    proc = start([str(Path(sys.executable).with_name("switchboard")), "serve"], env, tmp_path)
    lines = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
             {"jsonrpc": "2.0", "method": "notifications/initialized"},
             {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
              "params": {"name": "recommend_provider", "arguments": {"task": "Fix the login bug"}}}]
    out, _ = proc.communicate("".join(json.dumps(x) + "\n" for x in lines).encode(), timeout=120)
    [_, reply] = [json.loads(x) for x in out.decode().splitlines()]
    assert reply["id"] == 2 and "result" in reply, reply
    assert reply["result"]["structuredContent"]["recommendation"]["provider"] == "codex"
