"""SIGTERM ends `switchboard run` and `switchboard batch` as Ctrl-C does (timeout(1), a supervisor, `kill`): a batch
prints its finished tasks' answers, paid for, and marks the rest cancelled; the audit log has every task.

Found by hand: `kill -TERM` of a batch 8 s in (3 of 12 done) exited 143 with nothing on stdout, the three answers
lost, and the calls in flight charged as a dead process's (its reservations found stale by the next process)."""

from __future__ import annotations

import errno
import io
import json
import signal
import sys
import threading

import anyio
import pytest

from server.cli import main
from tests.execution.test_cli import shell, signal_a_batch_after_its_first_task, use_fake  # noqa: F401 - the fixture
from tests.fakes.fake_provider import Fault


class Terminated(Exception):
    """What SIGTERM raises in this test when nothing else handles it (it would otherwise end pytest)."""


@pytest.fixture
def sigterm_raises():
    def handler(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    hangup = signal.getsignal(signal.SIGHUP)  # a stopped command ignores SIGHUP too, while it ends: not pytest
    yield
    signal.signal(signal.SIGTERM, previous)
    signal.signal(signal.SIGHUP, hangup)  # else inherited as ignored by the servers later tests start


def test_batch_stopped_by_sigterm_prints_what_finished_and_exits_143(shell, monkeypatch, capsys,  # noqa: F811
                                                                      sigterm_raises):
    signal_a_batch_after_its_first_task(monkeypatch, shell, signal.SIGTERM)
    assert main(["batch", "--parallel", "2"]) == 143
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert [(r["status"], r["provider_used"]) for r in result["results"]] == [
        ("success", "codex"), ("cancelled", "gemini")]
    assert result["results"][0]["result"].startswith("codex fake answer to: Fix the bug")
    assert "stopped by SIGTERM: 1 of 2 tasks succeeded" in err


def test_run_stopped_by_sigterm_says_so_and_what_the_call_in_flight_costs(shell, monkeypatch, capsys,  # noqa: F811
                                                                         sigterm_raises):
    use_fake(monkeypatch, shell)
    shell.script("codex", [Fault.hang(30)])
    ended = threading.Event()

    def sigterm_mid_call():
        while not ended.is_set():
            if shell.wait_for_requests("codex", timeout=0.1):
                signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
                return

    sender = threading.Thread(target=sigterm_mid_call)
    sender.start()
    try:
        assert main(["run", "Fix the bug in the data loader", "--json"]) == 143
    finally:
        ended.set()
        sender.join()
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert (record["status"], record["provider_used"]) == ("cancelled", "codex")
    assert err.startswith("switchboard: stopped by SIGTERM: cancelled; the call in flight to codex is charged at its estimate, $")


def test_a_second_sigterm_while_the_work_winds_down_is_absorbed_and_the_old_handler_restored(sigterm_raises):
    """The clean-up a SIGTERM starts (cancelled tasks audited, calls in flight charged) runs with SIGTERM still
    handled: asyncio's receiver, closed at the first, left the default action, and a supervisor's second SIGTERM
    killed the process in the middle of it, with nothing printed."""
    from server.commands.execute import _until_sigterm

    outer = signal.getsignal(signal.SIGTERM)
    during_clean_up = []

    async def work(executor):
        try:
            signal.raise_signal(signal.SIGTERM)
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                during_clean_up.append(signal.getsignal(signal.SIGTERM))
                signal.raise_signal(signal.SIGTERM)  # Terminated here if nothing absorbed it
                await anyio.sleep(0)

    terminated: list[int] = []
    assert anyio.run(_until_sigterm, work, None, terminated) is None
    assert terminated == [signal.SIGTERM]
    assert during_clean_up and during_clean_up[0] is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # ending: what finished is printed first

    async def quiet(executor):
        return "done"

    signal.signal(signal.SIGTERM, outer)
    assert anyio.run(_until_sigterm, quiet, None, []) == "done"
    assert signal.getsignal(signal.SIGTERM) is outer  # no SIGTERM: the handler before is restored


class HungUpTerminal(io.StringIO):
    """stderr on a terminal that closes once ``dead`` is set: every write then fails with EIO, as on a real pty whose
    master end went away (an ssh session dropped)."""

    dead = False

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.dead:
            raise OSError(errno.EIO, "Input/output error")
        return super().write(text)


def test_batch_stopped_by_a_hangup_still_writes_its_results_to_stdout(shell, monkeypatch, capsys,  # noqa: F811
                                                                      sigterm_raises):
    # Final read: the progress bar's closing newline on the dead terminal raised EIO before the results were written,
    # and the error's own message on stderr failed again: `batch < tasks.json > out.json` left out.json empty.
    from server.commands._notices import ProgressBar

    signal_a_batch_after_its_first_task(monkeypatch, shell, signal.SIGHUP)
    terminal = HungUpTerminal()
    signalled = ProgressBar.update

    async def then_the_terminal_goes(self, done, total, message):
        await signalled(self, done, total, message)
        terminal.dead = True

    monkeypatch.setattr(ProgressBar, "update", then_the_terminal_goes)
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["batch", "--parallel", "2"]) == 128 + signal.SIGHUP
    assert sys.stderr is not terminal  # what is said after the hangup goes nowhere
    sys.stderr.close()
    result = json.loads(capsys.readouterr().out)
    assert [(r["status"], r["provider_used"]) for r in result["results"]] == [
        ("success", "codex"), ("cancelled", "gemini")]
