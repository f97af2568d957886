"""server/stdio.py: the pipe transport reads and writes exactly what the SDK's would, and keeps the wire clean."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest

from server.stdio import ENV, PipeLines, PipeWriter, lone_surrogates_replaced
from tests.checkout import checkout_env

ROOT = Path(__file__).resolve().parents[2]


def nonblocking_pipe() -> tuple[int, int]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    return r, w


async def read_all(fd: int) -> list[str]:
    return [line async for line in PipeLines(fd)]


def feed(w: int, chunks: list[bytes]) -> threading.Thread:
    """Write the chunks from a thread, one at a time, then close: lines arrive split across reads."""

    def run() -> None:
        os.set_blocking(w, True)
        for chunk in chunks:
            os.write(w, chunk)
        os.close(w)

    t = threading.Thread(target=run)
    t.start()
    return t


async def test_lines_split_across_reads_joined_and_kept_whole():
    r, w = nonblocking_pipe()
    big = "x" * 300_000  # several pipe buffers
    t = feed(w, [b'{"a":1}\n{"b"', b":2}\r\n", big.encode() + b"\n", "é\n".encode(), b"tail without newline"])
    with anyio.fail_after(10):
        lines = await read_all(r)
    t.join()
    os.close(r)
    assert lines == ['{"a":1}\n', '{"b":2}\r\n', big + "\n", "é\n", "tail without newline"]


async def test_invalid_utf8_is_replaced_not_fatal():
    r, w = nonblocking_pipe()
    t = feed(w, [b"\xff\xfe bad\n", b"ok\n"])
    with anyio.fail_after(10):
        lines = await read_all(r)
    t.join()
    os.close(r)
    assert lines == ["\ufffd\ufffd bad\n", "ok\n"]


async def test_empty_input_ends_iteration():
    r, w = nonblocking_pipe()
    os.close(w)
    assert await read_all(r) == []
    os.close(r)


async def test_writer_waits_for_a_full_pipe_and_loses_nothing():
    r, w = nonblocking_pipe()
    message = "y" * 1_000_000 + "\n"  # far beyond the pipe buffer: the writer must wait for the reader
    received = bytearray()

    def drain() -> None:
        os.set_blocking(r, True)
        while chunk := os.read(r, 1 << 16):
            received.extend(chunk)

    t = threading.Thread(target=drain)
    t.start()
    with anyio.fail_after(20):
        writer = PipeWriter(w)
        await writer.write(message)
        await writer.write("é\n")
        await writer.flush()
    os.close(w)
    t.join()
    os.close(r)
    assert received.decode() == message + "é\n"


NOISY_SERVER = textwrap.dedent(
    """
    import os, subprocess, sys
    sys.path.insert(0, {root!r})
    import anyio
    from mcp.server import MCPServer
    from server.stdio import serve_stdio

    mcp = MCPServer("noisy")

    @mcp.tool()
    def noisy(text: str) -> str:
        '''Prints to stdout and runs a child that prints too, then echoes.'''
        print("stray print", flush=True)
        os.write(1, b"stray write\\n")
        subprocess.run(["echo", "stray child"], check=True)
        return text

    anyio.run(serve_stdio, mcp)
    """
)


def start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=checkout_env(env), cwd=cwd)


def send(proc: subprocess.Popen, message: dict | str, end: bytes = b"\n") -> None:
    raw = message if isinstance(message, str) else json.dumps(message)
    proc.stdin.write(raw.encode() + end)
    proc.stdin.flush()


def handshake(proc: subprocess.Popen) -> dict:
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    reply = json.loads(proc.stdout.readline())
    send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return reply


def call(proc: subprocess.Popen, request_id: int, tool: str, arguments: dict, *, within: float = 60.0) -> dict:
    send(proc, {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                "params": {"name": tool, "arguments": arguments}})
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, f"no answer to request {request_id} within {within:g}s"
    return json.loads(proc.stdout.readline())  # any stray text on the wire fails here or below


@pytest.mark.parametrize("transport", ["pipes", "sdk"])
def test_stray_output_never_reaches_the_wire(tmp_path, transport):
    script = tmp_path / "noisy_server.py"
    script.write_text(NOISY_SERVER.format(root=str(ROOT)))
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if transport == "sdk":
        env[ENV] = "sdk"
    proc = start([sys.executable, str(script)], env, tmp_path)
    try:
        assert handshake(proc)["result"]["serverInfo"]["name"] == "noisy"
        for i, word in enumerate(("one", "two", "z" * 200_000), start=2):
            reply = call(proc, i, "noisy", {"text": word})
            assert reply["id"] == i and reply["result"]["structuredContent"] == {"result": word}
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read() == b""  # nothing after the last reply either
        assert b"stray print" in proc.stderr.read()  # diverted to stderr, not lost
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()


@contextmanager
def switchboard_serving(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """``switchboard serve`` on pipes, handshaken; it must exit cleanly at EOF on stdin."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != ENV}
    env.update(HOME=str(tmp_path), SWITCHBOARD_HOME=str(tmp_path / "state"))
    proc = start([str(Path(sys.executable).with_name("switchboard")), "serve"], env, tmp_path)
    try:
        assert handshake(proc)["result"]["serverInfo"]["name"] == "switchboard"
        yield proc
        proc.stdin.close()  # EOF: the server exits cleanly
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()


def answer(proc: subprocess.Popen, within: float = 30.0) -> dict:
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, f"no answer within {within:g}s"
    return json.loads(proc.stdout.readline())


def test_raw_wire_a_bad_line_is_answered_and_the_server_goes_on(tmp_path):
    with switchboard_serving(tmp_path) as proc:
        send(proc, "this is not json \xff", end=b"\r\n")
        assert answer(proc) == {"jsonrpc": "2.0", "id": None,
                                "error": {"code": -32700, "message": "Parse error: the message is not JSON"}}
        reply = call(proc, 2, "classify_task", {"task": "Write unit tests for the CSV parser"})
        assert reply["id"] == 2 and reply["result"]["structuredContent"]["primary_provider"] == "codex"


@pytest.mark.parametrize(("line", "request_id", "code"), [
    ('{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": [1, 2]}', 7, -32600),  # params not an object
    ('{"id": "a", "method": "tools/list"}', "a", -32600),  # no "jsonrpc"
    ('[{"jsonrpc": "2.0", "id": 8, "method": "tools/list"}]', None, -32600),  # a batch (MCP has none)
    ('{"jsonrpc": "2.0", "id": {"x": 1}, "method": "tools/list"}', None, -32600),  # an id JSON-RPC forbids
    ('{"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}', None, -32600),  # (the SDK read both as notifications)
    ('{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": ' + "[" * 50_000 + "]" * 50_000 + "}", None,
     -32700),  # deeper than any parser goes
])
def test_raw_wire_every_malformed_message_gets_an_answer(tmp_path, line, request_id, code):
    # The SDK drops what it cannot parse: the host would wait for ever for these ids.
    with switchboard_serving(tmp_path) as proc:
        send(proc, line)
        reply = answer(proc)
        assert (reply["id"], reply["error"]["code"]) == (request_id, code), reply
        assert call(proc, 2, "classify_task", {"task": "Write unit tests for the CSV parser"})["id"] == 2


def test_raw_wire_a_blank_line_is_no_message_and_gets_no_answer(tmp_path):
    with switchboard_serving(tmp_path) as proc:
        send(proc, "   ")
        assert call(proc, 2, "classify_task", {"task": "Write unit tests for the CSV parser"})["id"] == 2


@pytest.mark.parametrize(("line", "expected"), [
    (r'{"t":"a \ud83d b"}', r'{"t":"a \ufffd b"}'),  # half an emoji: the high surrogate alone
    (r'{"t":"\uDE00 then"}', r'{"t":"\ufffd then"}'),  # a low one alone, upper-case hex
    (r'{"t":"\ude00\ud83d"}', r'{"t":"\ufffd\ufffd"}'),  # a pair in the wrong order is two lone halves
    (r'{"t":"\ud83d\ude00 ok"}', r'{"t":"\ud83d\ude00 ok"}'),  # a whole emoji stays
    (r'{"t":"C:\\ud83d"}', r'{"t":"C:\\ud83d"}'),  # an escaped backslash, then text: no escape at all
    (r'{"t":"C:\\\ud83d"}', r'{"t":"C:\\\ufffd"}'),  # an escaped backslash, then a lone surrogate
])
def test_lone_surrogate_escapes_become_the_replacement_character(line, expected):
    assert lone_surrogates_replaced(line) == expected
    json.loads(expected)


def test_raw_wire_a_task_cut_inside_an_emoji_is_answered(tmp_path):
    with switchboard_serving(tmp_path) as proc:
        cut = "Fix the crash when a title ends in \ud83d"  # json.dumps writes the lone half as "\ud83d"
        reply = call(proc, 2, "recommend_provider", {"task": cut})
        assert reply["id"] == 2 and "error" not in reply, reply
        (log,) = (tmp_path / "state" / "audit").glob("*.jsonl")
        assert json.loads(log.read_text().splitlines()[-1])["task_description"].endswith("ends in \ufffd")
        reply = call(proc, 3, "record_feedback", {"task": cut, "routed_provider": "codex", "correct_provider": "codex"})
        assert reply["id"] == 3 and not reply["result"].get("isError"), reply


def test_raw_wire_an_audit_line_with_half_a_character_is_read_safely(tmp_path):
    # Earlier versions wrote an unpaired surrogate (a command line's non-UTF-8 --repo) as a JSON escape;
    # reading it back handed the SDK a string it could not serialise, and the server exited.
    audit = tmp_path / "state" / "audit"
    audit.mkdir(parents=True)
    day = time.strftime("%Y-%m-%d", time.gmtime())
    (audit / f"provider_recommendations-{day}.jsonl").write_text('{"event":"recommendation","repo":"\\udcff"}\n')
    with switchboard_serving(tmp_path) as proc:
        for request_id, uri in ((2, "audit://recent"), (3, f"audit://{day}")):
            send(proc, {"jsonrpc": "2.0", "id": request_id, "method": "resources/read", "params": {"uri": uri}})
            reply = answer(proc)
            view = json.loads(reply["result"]["contents"][0]["text"])
            entries = view if uri == "audit://recent" else view["entries"]
            assert reply["id"] == request_id and entries[-1]["repo"] == "\ufffd"
        send(proc, {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": "audit://2026-13-45"}})
        assert "2026-13-45" in answer(proc)["error"]["message"]
