"""CLI backends against misbehaving executables: processes left running, too much output, input not read."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from router_core.clock import SystemClock
from router_core.errors import NotConfigured, ProviderUnavailable, QuotaExhausted
from router_core.providers import CliAdapter, CompletionRequest
from router_core.providers.cli_codex import CODEX
from router_core.providers.cli_pipes import STDERR_KEPT, read_stderr

pytestmark = pytest.mark.slow

BIG_PROMPT = "".join(f"line {i:06d} of a file the host passed\n" for i in range(10_000))  # 370 KiB
GOOD_CODEX_OUTPUT = (
    '{"type":"item.completed","item":{"type":"agent_message","text":"done"}}\n'
    '{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":4}}\n'
)


def fake_cli(tmp_path: Path, body: str, *, timeout: float = 20.0) -> CliAdapter:
    """An adapter running ``body`` (Python) as the codex CLI."""
    script = tmp_path / "fake_cli.py"
    script.write_text(textwrap.dedent(body))
    return CliAdapter(provider="codex", command=(sys.executable, str(script)), dialect=CODEX, clock=SystemClock(),
                      environ=dict(os.environ), timeout=timeout)


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def ends(pid: int) -> bool:
    """Whether ``pid`` ends within a few seconds (a SIGKILL is delivered after kill() returns)."""
    with anyio.move_on_after(5):
        while running(pid):
            await anyio.sleep(0.01)
    return not running(pid)


async def test_a_process_the_cli_left_holding_its_output_open_neither_delays_the_answer_nor_outlives_it(tmp_path):
    # The CLI exits with its answer, but a process it started keeps stdout open: the call used to wait for the
    # end of output until its timeout, report a timeout and leave that process running.
    pidfile = tmp_path / "grandchild"
    adapter = fake_cli(tmp_path, f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        sys.stdout.write({GOOD_CODEX_OUTPUT!r})
    """, timeout=10.0)
    result = await adapter.complete(CompletionRequest(prompt="x"))
    assert result.text == "done"
    assert await ends(int(pidfile.read_text()))


@pytest.mark.parametrize("exit_code", [0, 2], ids=["answers", "usage-error"])
async def test_a_cli_that_exits_without_reading_its_input_is_read_as_it_answered(tmp_path, exit_code):
    # Writing the rest of the prompt into a pipe nobody reads breaks it: neither the answer nor the CLI's own
    # error may become a BrokenPipeError.
    adapter = fake_cli(tmp_path, f"""
        import os, sys
        os.close(0)
        sys.stdout.write({GOOD_CODEX_OUTPUT!r} if {exit_code} == 0 else "")
        sys.stderr.write("error: unexpected argument '--frobnicate' found")
        sys.exit({exit_code})
    """)
    request = CompletionRequest(prompt=BIG_PROMPT)
    if exit_code == 0:
        assert (await adapter.complete(request)).text == "done"
    else:
        with pytest.raises(NotConfigured, match="unexpected argument '--frobnicate'"):  # update the CLI, or its command
            await adapter.complete(request)


async def test_a_cli_killed_by_a_signal_after_printing_its_result_has_answered(tmp_path):
    # A claude -p that hangs after its result is killed from outside (macOS kills it: anthropics/claude-code#59390):
    # the answer was paid for, yet its "exit -9" made it a failure, retried and paid again.
    adapter = fake_cli(tmp_path, f"""
        import os, signal, sys
        sys.stdout.write({GOOD_CODEX_OUTPUT!r})
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = await adapter.complete(CompletionRequest(prompt="x"))
    assert (result.text, result.input_tokens, result.output_tokens) == ("done", 3, 4)


async def test_a_cli_killed_by_a_signal_before_its_result_says_so_and_may_have_been_billed(tmp_path):
    # It read "codex CLI (exit -9): no output", and the run, sent to the model and billed as a rule (as one that
    # timed out), cost the budget nothing.
    adapter = fake_cli(tmp_path, """
        import os, signal, sys
        sys.stderr.write("reading the repository\\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    with pytest.raises(ProviderUnavailable, match=r"codex CLI was killed by SIGKILL .*reading the repository") as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert caught.value.maybe_billed


async def test_input_left_unread_by_a_process_outside_the_cli_does_not_keep_our_end_of_the_pipe(tmp_path):
    # The CLI exits without reading its input, but a process it started in a session of its own (beyond the
    # kill of the CLI's session) holds the pipe's read end and never reads. Closing asyncio's pipe writer with
    # data still buffered waited for that data to drain: our end (and the buffered prompt) stayed open until
    # that process ended.
    pidfile = tmp_path / "grandchild"
    adapter = fake_cli(tmp_path, f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdin=sys.stdin,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        open({str(pidfile)!r}, "w").write(str(child.pid))
        sys.stdout.write({GOOD_CODEX_OUTPUT!r})
    """)
    before = set(os.listdir("/proc/self/fd"))
    try:
        assert (await adapter.complete(CompletionRequest(prompt=BIG_PROMPT))).text == "done"
        left = {fd for fd in set(os.listdir("/proc/self/fd")) - before if _is_pipe(fd)}
        assert left == set()
    finally:
        os.kill(int(pidfile.read_text()), 9)


def _is_pipe(fd: str) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    except FileNotFoundError:
        return False


async def test_a_cli_that_never_reads_its_input_is_still_stopped_at_the_timeout(tmp_path):
    # The rest of the prompt waits for room in a full pipe: that wait must not outlast the timeout.
    adapter = fake_cli(tmp_path, """
        import time
        time.sleep(600)
    """, timeout=0.5)
    with pytest.raises(ProviderUnavailable, match="codex CLI timed out after 500ms"):
        await adapter.complete(CompletionRequest(prompt=BIG_PROMPT))


async def test_a_cli_that_writes_much_before_reading_its_input_gets_all_of_it(tmp_path):
    # Writing the whole prompt before reading any output would deadlock: the CLI blocks on a full stderr pipe,
    # Switchboard on a full stdin pipe, until the timeout.
    adapter = fake_cli(tmp_path, """
        import json, sys
        sys.stderr.write("log line\\n" * 200_000)
        sys.stderr.flush()
        prompt = sys.stdin.buffer.read()
        answer = {"type": "agent_message", "text": str(len(prompt))}
        print(json.dumps({"type": "item.completed", "item": answer}))
        print(json.dumps({"type": "turn.completed", "usage": {"input_tokens": 1, "output_tokens": 1}}))
    """)
    result = await adapter.complete(CompletionRequest(prompt=BIG_PROMPT))
    assert result.text == str(len(BIG_PROMPT.encode()))


@pytest.mark.parametrize("newlines", [True, False], ids=["lines", "one-line"])
async def test_a_cli_writing_without_end_is_stopped_at_the_output_limit(tmp_path, newlines):
    # Memory grew with the output until the timeout (2.3 GB in 5 s from `yes`).
    chunk = "y\n" * 32768 if newlines else "y" * 65536
    adapter = fake_cli(tmp_path, f"""
        import sys
        while True:
            sys.stdout.write({chunk!r})
    """)
    with pytest.raises(ProviderUnavailable, match="codex CLI wrote more than 64 MiB to stdout and was stopped"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_only_the_end_of_a_long_stderr_is_kept(tmp_path):
    adapter = fake_cli(tmp_path, """
        import sys
        for _ in range(100):
            sys.stderr.write("noise " * 50000)
        sys.stderr.write("You've hit your usage limit. Try again at 3:05 PM.")
        sys.exit(1)
    """)
    with pytest.raises(QuotaExhausted, match="hit your usage limit"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_the_kept_end_of_stderr_is_bounded():
    chunks = [b"x" * 100_000] * 100 + [b"the end"]

    class Chunks:
        def __aiter__(self):
            return self

        async def __anext__(self):
            if not chunks:
                raise StopAsyncIteration
            return chunks.pop(0)

    sink = bytearray()
    await read_stderr(Chunks(), sink)
    assert len(sink) == STDERR_KEPT
    assert sink.endswith(b"the end")


def script_cli(tmp_path, text: str) -> CliAdapter:
    """A codex adapter whose CLI is an executable script with this text."""
    script = tmp_path / "codex"
    script.write_text(text)
    script.chmod(0o755)
    return CliAdapter(provider="codex", command=(str(script), "exec"), dialect=CODEX, clock=SystemClock())


async def test_a_cli_whose_interpreter_is_missing_is_not_called_missing_itself(tmp_path):
    # ENOENT from exec said "codex CLI not found: install it" of a CLI that was installed (node not on PATH).
    adapter = script_cli(tmp_path, "#!/nonexistent/node\n")
    with pytest.raises(NotConfigured, match=r"is installed, but the interpreter its first line names "
                                            r"\(/nonexistent/node\) was not found"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_a_cli_whose_env_interpreter_is_not_on_path_is_not_configured(tmp_path):
    # npm installs CLIs as '#!/usr/bin/env node' scripts: with node missing from the PATH the server runs with,
    # env exits 127, which was taken for an outage of the provider (retried, then the circuit opened).
    adapter = script_cli(tmp_path, "#!/usr/bin/env switchboard-no-such-node\n")
    with pytest.raises(NotConfigured, match=r"its first line \(#!/usr/bin/env switchboard-no-such-node\) found no "
                                            r"such program .*put it on the PATH Switchboard runs with"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_another_exit_127_stays_a_failure_of_the_cli(tmp_path):
    adapter = script_cli(tmp_path, "#!/bin/sh\necho 'sh: 1: git: not found' >&2\nexit 127\n")
    with pytest.raises(ProviderUnavailable):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_a_cli_that_printed_its_result_and_hangs_is_stopped_soon_after_not_at_the_timeout(tmp_path,
                                                                                                 monkeypatch):
    # claude -p may print its result and never exit (anthropics/claude-code#21099): its answer was kept, but only
    # at cli_timeout_seconds (450 s), so each such task took 7.5 minutes. Seen by hand with FAKE_CLAUDE_HANG=30:
    # `switchboard run` printed the answer after 30.1 s, the CLI's own exit.
    monkeypatch.setattr("router_core.providers.cli_pipes.AFTER_RESULT_SECONDS", 0.5, raising=False)
    pidfile = tmp_path / "cli.pid"
    adapter = fake_cli(tmp_path, f"""
        import os, sys, time
        open({str(pidfile)!r}, "w").write(str(os.getpid()))
        sys.stdout.write({GOOD_CODEX_OUTPUT!r})
        sys.stdout.flush()
        time.sleep(600)
    """, timeout=300.0)
    with anyio.fail_after(120):  # far below the timeout, far above the half second it is given after its result
        result = await adapter.complete(CompletionRequest(prompt="x"))
    assert result.text == "done"
    assert await ends(int(pidfile.read_text()))

