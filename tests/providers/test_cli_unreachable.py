"""A CLI that cannot reach its service is stopped when it says so, not left retrying until the CLI timeout.

The fake codex's offline mode prints what codex 0.169.0 printed with no network (tests/fakes/bin/codex): it
keeps saying "waiting for network" for FAKE_CODEX_OFFLINE_SECONDS, far below the adapter's timeout here, then
prints a last line and records its run. A run stopped early never gets there: no record, and the process gone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import pytest

from router_core.clock import SystemClock
from router_core.errors import ProviderUnavailable
from router_core.providers import CliAdapter, CompletionRequest
from router_core.providers.cli_codex import CODEX, WAITING_FOR_NETWORK
from router_core.providers.cli_gemini import GEMINI
from router_core.providers.cli_pipes import LINE_WATCHED, OutputWatch, Unreachable
from tests.providers.conftest import FAKE_BIN
from tests.providers.test_cli_processes import ends, fake_cli

pytestmark = pytest.mark.slow

WAITING = '{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}'


def codex(tmp_path: Path, **env: str) -> CliAdapter:
    environ = {**os.environ, "FAKE_CLI_RECORD": str(tmp_path / "runs.jsonl"),
               "FAKE_CLI_PIDFILE": str(tmp_path / "pid"), "FAKE_CODEX_OFFLINE_SECONDS": "20", **env}
    command = (sys.executable, str(FAKE_BIN / "codex"), "exec", "--json", "--skip-git-repo-check")
    return CliAdapter(provider="codex", command=command, dialect=CODEX, clock=SystemClock(), environ=environ,
                      timeout=600.0)


def recorded(tmp_path: Path) -> list[dict]:
    record = tmp_path / "runs.jsonl"
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


async def test_codex_offline_is_stopped_when_it_waits_for_the_network_again_and_is_not_billed(tmp_path):
    # codex 0.169.0 with no network repeats "waiting for network" and never exits: the task hung for the whole
    # CLI timeout (450 s by default), was charged at its estimate as maybe billed, and only then fell back.
    with pytest.raises(ProviderUnavailable) as caught:
        await codex(tmp_path, FAKE_CODEX_MODE="offline").complete(CompletionRequest(prompt="Explain the retry loop"))
    error = caught.value
    assert "codex CLI cannot reach its service" in str(error)
    assert "waiting for network" in str(error) and "network and proxy settings" in str(error)
    assert (error.maybe_billed, error.billed) == (False, None)  # nothing reached the model: nothing owed
    assert recorded(tmp_path) == []  # stopped before its last line
    assert await ends(int((tmp_path / "pid").read_text()))


async def test_codex_offline_after_a_step_of_its_turn_answered_may_be_billed(tmp_path):
    with pytest.raises(ProviderUnavailable) as caught:
        await codex(tmp_path, FAKE_CODEX_MODE="offline_mid_turn").complete(CompletionRequest(prompt="Fix the bug"))
    assert "cannot reach its service" in str(caught.value)
    assert caught.value.maybe_billed  # the model had answered a step: charged at the estimate
    assert recorded(tmp_path) == []


async def test_codex_that_waits_for_the_network_once_and_then_answers_still_answers(tmp_path):
    completion = await codex(tmp_path, FAKE_CODEX_MODE="reconnect").complete(CompletionRequest(prompt="Say hi"))
    assert completion.text == "codex fake answer to: Say hi"
    assert [run["exit"] for run in recorded(tmp_path)] == [0]


async def test_gemini_offline_is_stopped_at_its_third_failed_attempt_and_is_not_billed(tmp_path):
    # gemini 0.61.0 with no network retried its router's request, then the turn's, and gave up after 286 s.
    environ = {**os.environ, "FAKE_CLI_RECORD": str(tmp_path / "runs.jsonl"), "FAKE_CLI_PIDFILE": str(tmp_path / "pid"),
               "FAKE_GEMINI_MODE": "offline", "FAKE_GEMINI_RETRY_SECONDS": "1"}
    adapter = CliAdapter(provider="gemini", command=(sys.executable, str(FAKE_BIN / "gemini"), "--output-format",
                                                     "json"), dialect=GEMINI, clock=SystemClock(), environ=environ,
                         timeout=600.0)
    with pytest.raises(ProviderUnavailable) as caught:
        await adapter.complete(CompletionRequest(prompt="Explain the retry loop"))
    assert "gemini CLI cannot reach its service" in str(caught.value) and "fetch failed" in str(caught.value)
    assert (caught.value.maybe_billed, caught.value.billed) == (False, None)
    assert recorded(tmp_path) == []  # stopped before its own error at the end
    assert await ends(int((tmp_path / "pid").read_text()))


async def test_codex_that_answers_in_the_same_breath_as_its_waits_has_answered(tmp_path):
    # Lines read together (one write, under PIPE_BUF: one read): the watch fires on the second wait, but the
    # turn completed after it is the answer. (Here the CLI is still running when the watch fires and is killed,
    # a case the kept-result rule already covered; one that exits first is the race cli.py's guard is for.)
    answer = ('{"type":"item.completed","item":{"type":"agent_message","text":"done"}}\n'
              '{"type":"turn.completed","usage":{"input_tokens":3,"output_tokens":4}}\n')
    adapter = fake_cli(tmp_path, f"""
        import os
        os.write(1, (({WAITING!r} + "\\n") * 2 + {answer!r}).encode())
    """, timeout=600.0)
    assert (await adapter.complete(CompletionRequest(prompt="x"))).text == "done"


def watched(*chunks: tuple[str, bytes]) -> tuple[OutputWatch, anyio.CancelScope]:
    scope = anyio.CancelScope()
    watch = OutputWatch(CODEX.watch(), scope)
    for stream, chunk in chunks:
        watch.feed(stream, chunk)
    return watch, scope


async def test_lines_are_read_whole_however_the_pipe_cuts_them():
    line = (WAITING + "\n").encode()
    watch, scope = watched(("out", line[:30]), ("err", b"ERROR codex_api: failed to connect\n"), ("out", line[30:]),
                           ("out", line[:-1]), ("out", b"\n"))
    assert scope.cancel_called and isinstance(watch.said, Unreachable)
    assert WAITING_FOR_NETWORK in watch.said.reason.lower() and not watch.said.maybe_billed


async def test_a_step_of_the_turn_between_two_waits_starts_the_count_again():
    step = b'{"type":"item.completed","item":{"id":"item_2","type":"command_execution","command":"ls"}}\n'
    line = (WAITING + "\n").encode()
    watch, scope = watched(("out", line), ("out", step), ("out", line))
    assert not scope.cancel_called and watch.said is None
    watch.feed("out", line)
    assert watch.said is not None and watch.said.maybe_billed


async def test_waits_quoted_on_stderr_or_inside_an_answer_stop_nothing():
    answer = json.dumps({"type": "item.completed", "item": {"type": "agent_message", "text": WAITING * 2}})
    long_line = json.dumps({"type": "item.completed", "item": {"type": "agent_message",
                                                               "text": "x" * LINE_WATCHED + WAITING}})
    watch, scope = watched(("err", ((WAITING + "\n") * 3).encode()),
                           ("out", (answer + "\n").encode()), ("out", long_line.encode()[: LINE_WATCHED + 10]),
                           ("out", long_line.encode()[LINE_WATCHED + 10 :] + b"\n"))
    assert not scope.cancel_called and watch.said is None


async def test_a_gemini_request_that_failed_twice_then_went_through_stops_nothing():
    scope = anyio.CancelScope()
    watch = OutputWatch(GEMINI.watch(), scope)
    for attempt in (1, 2, 1, 2):
        watch.feed("err", f"Attempt {attempt} failed. Retrying with backoff... Error: exception TypeError: fetch "
                          "failed sending request\n".encode())
    watch.feed("err", b"Attempt 5 failed with status 503. Retrying with backoff... ApiError: UNAVAILABLE\n")
    watch.feed("out", b"Attempt 3 failed. Retrying with backoff... Error: fetch failed\n")  # stdout: the answer's
    assert watch.said is None and not scope.cancel_called
    watch.feed("err", b"Attempt 3 failed. Retrying with backoff... Error: exception TypeError: fetch failed\n")
    assert watch.said is not None and not watch.said.maybe_billed


async def test_a_codex_stream_cut_while_answering_before_the_waits_may_be_billed():
    cut = b'{"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion: error decoding ' \
          b'response body)"}\n'
    lookup = b'{"type":"error","message":"Reconnecting... 2/5 (stream disconnected before completion: failed to ' \
             b'lookup address information: Name does not resolve)"}\n'
    line = (WAITING + "\n").encode()
    offline, _ = watched(("out", lookup), ("out", line), ("out", line))
    cut_first, _ = watched(("out", cut), ("out", lookup), ("out", line), ("out", line))
    assert offline.said is not None and not offline.said.maybe_billed
    assert cut_first.said is not None and cut_first.said.maybe_billed
