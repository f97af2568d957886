"""Serve MCP over stdio without a worker-thread hop per line.

The SDK's stdio transport reads and writes through ``anyio.wrap_file``: every line read, every write
and every flush is a round trip through a worker thread, three per tool call, which costs about as
much CPU as Switchboard's whole routing decision. When stdin and stdout are pipes or sockets (as every
MCP host spawns a server) this transport reads and writes the descriptors directly, woken by the
event loop's readiness notifications. The SDK still does all the protocol work (``stdio_server`` with
explicit streams), and its descriptor claim still applies: while serving, fd 0 reads /dev/null and
fd 1 goes to stderr, so a stray print or a child process never reaches the wire.

Anything else (a terminal, a regular file, Windows, an SDK without the claim helper, or
``SWITCHBOARD_STDIO=sdk``) is served by the SDK's own transport, unchanged.

Ending: a host ends a stdio server by closing its stdin, and the MCP SDKs' clients send a SIGTERM 2 s later if
it is still running (a SIGKILL 2 s after that). At EOF the SDK cancels every request in flight; on the pipes,
tool calls still running (a dispatch waiting for a provider's answer, which may be billed) first get up to
STDIN_CLOSED_GRACE_SECONDS to finish, their answers written if the host still reads, their outcome and cost
recorded as they are; a run_batch call starts no task more, and its calls are cut off a second before the grace
ends, so that it answers with what it has. A SIGTERM, on either transport, cancels what runs at once: each task is audited as
cancelled (charged at its estimate when a call was in flight) and the server exits 0; a run_batch call first starts
no task more, cuts its calls off and answers with what it has (router_core/execution/stopping.py), given up to
STOPPED_ANSWER_SECONDS to be answered (only while such a call runs). At a terminal (started by
hand) Ctrl-C does the same and exits 130; there the SDK's transport reads stdin in a thread no cancellation reaches,
so the process exits TERMINAL_EXIT_SECONDS after the signal if that thread holds it. An answer the host no longer
reads (stdout closed) is dropped, not an error.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, JSONRPCNotification

from router_core.execution.stopping import Stopping
from router_core.inputs import lone_surrogates_replaced
from server.http_shutdown import CUT_BEFORE_SECONDS
from server.stop_signals import stopping_signals

logger = logging.getLogger(__name__)

ENV = "SWITCHBOARD_STDIO"  # "sdk" forces the SDK's transport
_CHUNK = 1 << 16
EOF_SETTLE_TURNS = 20  # turns of the event loop for requests read before EOF to reach their tool
STDIN_CLOSED_GRACE_SECONDS = 5.0  # as the HTTP server's grace at shutdown (server/http_shutdown.py)
TERMINAL_EXIT_SECONDS = 1.0  # at a terminal, after a SIGTERM or Ctrl-C: time for what runs to be cancelled and audited
STOPPED_ANSWER_SECONDS = 0.5  # after a SIGTERM, only while a run_batch call runs: for it to answer, cut off (less
# than TERMINAL_EXIT_SECONDS); any other call is cancelled at once


class PipeLines:
    """``async for line in PipeLines(fd)``: UTF-8 lines (newline kept) from a non-blocking descriptor.

    The lines given out and not yet claimed (``claim``) are kept, oldest first: the SDK turns each line
    into exactly one item of the session's read stream, so the n-th item came from the n-th line."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already known to hold no newline
        self._eof = False
        self._unclaimed: deque[str] = deque()

    def claim(self) -> str:
        """The oldest line given out and not yet claimed ("" if none)."""
        return self._unclaimed.popleft() if self._unclaimed else ""

    def __aiter__(self) -> PipeLines:
        return self

    async def __anext__(self) -> str:
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                return self._take(end + 1)
            self._scanned = len(self._buffer)
            if self._eof:
                if not self._buffer:
                    raise StopAsyncIteration
                return self._take(len(self._buffer))  # a last line without its newline
            try:
                chunk = os.read(self._fd, _CHUNK)
            except BlockingIOError:
                await anyio.wait_readable(self._fd)
                continue
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True

    def _take(self, size: int) -> str:
        line = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._scanned = 0
        text = lone_surrogates_replaced(line.decode("utf-8", "replace"))
        self._unclaimed.append(text)
        return text


class InvalidLinesAnswered:
    """The session's read stream, answering each line the SDK could not parse.

    The SDK hands the session an exception for such a line and the session drops it, so a host whose
    request was malformed would wait for ever. Here it gets the JSON-RPC answer: -32700 when the line is
    not JSON, -32600 when it is JSON but no message MCP accepts (a batch, a wrong field), with the
    request's id when one can be read; a blank line is skipped. Everything else passes through unchanged."""

    def __init__(self, read: Any, write: Any, lines: PipeLines,
                 at_eof: Callable[[], Awaitable[None]] | None = None) -> None:
        self._read, self._write, self._lines = read, write, lines
        self._at_eof = at_eof  # awaited once when stdin ends, before the session hears of it

    @property
    def last_context(self) -> Any:  # the SDK runs each request in its sender's context
        return getattr(self._read, "last_context", None)

    async def receive(self) -> Any:
        while True:
            try:
                item = await self._read.receive()
            except anyio.EndOfStream:
                if self._at_eof is not None:
                    at_eof, self._at_eof = self._at_eof, None
                    await at_eof()
                raise
            line = self._lines.claim()
            if not isinstance(item, Exception):
                if not (isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCNotification)
                        and _names_an_id(line)):
                    return item
                # A request whose id JSON-RPC forbids (an object, a list, a float) parses as a notification,
                # which gets no answer: its sender would wait for ever.
                reply = JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(
                    code=INVALID_REQUEST, message="Invalid Request: the id must be a string or an integer"))
            elif not line.strip():
                continue  # a blank line is no message, and nobody waits for its answer
            else:
                reply = invalid_line_reply(line)
            logger.warning("answered a malformed message with %s: %.200r", reply.error.message, line)
            await self._write.send(SessionMessage(reply))

    def __aiter__(self) -> InvalidLinesAnswered:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> InvalidLinesAnswered:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._read.aclose()

    def close(self) -> None:
        self._read.close()

    async def aclose(self) -> None:
        await self._read.aclose()


def _names_an_id(line: str) -> bool:
    """Whether the message on ``line`` carries a non-null "id" (read only for notifications: few and small)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("id") is not None


def invalid_line_reply(line: str) -> JSONRPCError:
    """The JSON-RPC error answering ``line``, which is no valid MCP message."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(
            code=PARSE_ERROR, message="Parse error: the message is not JSON"))
    request_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        request_id = None
    what = "a batch; send one message per line" if isinstance(data, list) else "not a valid JSON-RPC 2.0 message"
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=INVALID_REQUEST,
                                                                       message=f"Invalid Request: {what}"))


class PipeWriter:
    """The two methods the SDK's stdio writer uses, over a non-blocking descriptor; one syscall per message."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._gone = False  # the host closed its end: nobody reads what is written

    async def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        while data and not self._gone:
            try:
                data = data[os.write(self._fd, data) :]
            except BlockingIOError:
                await anyio.wait_writable(self._fd)
            except BrokenPipeError:  # (a traceback ended the server, and the work its calls finished went unsaid)
                self._gone = True
                logger.info("stdout closed by the host: answers from now on are dropped")

    async def flush(self) -> None:
        """Nothing is buffered."""


def _is_pipe_or_socket(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _claim_helpers() -> tuple[Callable[..., Any], Callable[[], int], Callable[[], int]] | None:
    try:
        from mcp.server import stdio as sdk_stdio

        return sdk_stdio._claim_fd, sdk_stdio._open_stdin_diversion, sdk_stdio._open_stdout_diversion
    except (ImportError, AttributeError):
        return None


def _wanted(mcp: MCPServer) -> bool:
    return (
        os.environ.get(ENV, "").strip().lower() != "sdk"
        and sys.platform != "win32"
        and _claim_helpers() is not None
        and getattr(mcp, "_lowlevel_server", None) is not None
        and _is_pipe_or_socket(0)
        and _is_pipe_or_socket(1)
    )


def _claim_pipes(stack: ExitStack) -> tuple[int, int] | None:
    """Claim fd 0 and 1 as the SDK does; the private descriptors of the wire, or None (claims released)."""
    claim_fd, stdin_diversion, stdout_diversion = _claim_helpers()  # type: ignore[misc]
    fds = []
    for fd, stream, mode, diversion in ((0, sys.stdin, "rb", stdin_diversion), (1, sys.stdout, "wb", stdout_diversion)):
        wire, release = claim_fd(fd, stream, mode, diversion)
        if release is not None:
            stack.callback(release)
        try:
            wire_fd = wire.fileno()
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
            return None
        if not _is_pipe_or_socket(wire_fd):
            return None
        fds.append(wire_fd)
    for fd in fds:
        if os.get_blocking(fd):
            os.set_blocking(fd, False)
            stack.callback(os.set_blocking, fd, True)
    return fds[0], fds[1]


async def serve_stdio(mcp: MCPServer, on_ready: Callable[[bool], None] | None = None) -> None:
    """Run ``mcp`` over the process's stdin and stdout until EOF on stdin (tool calls in flight get a grace) or
    a SIGTERM (they are cancelled, audited so): see the module. ``on_ready(on_terminal)`` is called once the
    signals are handled, before the first read."""
    on_terminal = _on_terminal()
    async with anyio.create_task_group() as tg:
        await tg.start(_cancelled_by_signal, tg.cancel_scope, on_terminal, mcp)
        if on_ready is not None:
            on_ready(on_terminal)
        await _serve(mcp)
        tg.cancel_scope.cancel()


def _on_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


async def _cancelled_by_signal(scope: anyio.CancelScope, on_terminal: bool, mcp: MCPServer | None = None, *,
                               task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
    """A SIGTERM or SIGHUP (stop_signals.py; and, at a terminal, a SIGINT: Ctrl-C) cancels what runs. At a terminal the SDK's transport reads
    stdin in a worker thread that no cancellation reaches (its read waits for a line, and the process for it), so
    the process then exits TERMINAL_EXIT_SECONDS later if it has not by itself: 0 on SIGTERM or SIGHUP, 130 on Ctrl-C."""
    wanted = (*stopping_signals(), signal.SIGINT) if on_terminal else stopping_signals()
    try:
        receiver = anyio.open_signal_receiver(*wanted)
        with receiver as signals:
            task_status.started()
            async for signum in signals:
                name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
                logger.warning("%s: stopping; tool calls still running are cancelled and audited so", name)
                if on_terminal:
                    exit_code = 130 if signum == signal.SIGINT else 0
                    timer = threading.Timer(TERMINAL_EXIT_SECONDS, _exit_now, (exit_code,))
                    timer.daemon = True  # a process that ends by itself does not wait for it
                    timer.start()
                await _batches_answered(mcp)
                scope.cancel()
                return
    except (NotImplementedError, ValueError, RuntimeError):  # no signal handlers here (Windows, not the main thread)
        task_status.started()


async def _batches_answered(mcp: MCPServer | None) -> None:
    """Tell run_batch calls the server stops (they start no task more, cut their calls off and answer with what
    they have), and wait up to STOPPED_ANSWER_SECONDS for them to be answered; other calls are cancelled at once."""
    stopping = getattr(mcp, "stopping", None)
    if stopping is None:
        return
    stopping.cut()
    if not stopping.batches:
        return
    with anyio.move_on_after(STOPPED_ANSWER_SECONDS):
        await stopping.batches_ended()
        for _ in range(EOF_SETTLE_TURNS):  # the answers' writes
            await anyio.lowlevel.checkpoint()


def _exit_now(code: int) -> None:
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


async def finish_calls(mcp: MCPServer, grace: float = STDIN_CLOSED_GRACE_SECONDS,
                       sleep: Callable[[float], Awaitable[object]] = anyio.sleep) -> None:
    """At EOF on stdin: wait up to ``grace`` seconds for the tool calls running to finish (the SDK then cancels
    whatever still runs). A call read just before the EOF (a script piping its requests in) is let reach the tool
    first: the session received it, and its handler starts within a few turns of the loop. The host is stopping
    the server, so run_batch calls are told (router_core/execution/stopping.py): they start no task more, and their
    calls are cut off CUT_BEFORE_SECONDS before the grace ends (``sleep`` waits for that), so they answer with what
    they have, as over HTTP."""
    for _ in range(EOF_SETTLE_TURNS):
        await anyio.lowlevel.checkpoint()
    stopping = getattr(mcp, "stopping", None)
    if stopping is not None:
        stopping.stop()
    running = getattr(mcp, "calls_running", 0)
    if not running:
        return
    logger.warning("stdin closed with %d tool call(s) running: waiting up to %gs for them to finish (a SIGTERM "
                   "cancels them at once)", running, grace)
    async with anyio.create_task_group() as tg:
        if stopping is not None:
            tg.start_soon(_cut_after, stopping, max(0.0, grace - CUT_BEFORE_SECONDS), sleep)
        with anyio.move_on_after(grace) as waited:
            await mcp.calls_finished()  # type: ignore[attr-defined]
        tg.cancel_scope.cancel()
    if waited.cancelled_caught:
        logger.warning("%d tool call(s) still running %gs after stdin closed: cancelled, and audited so",
                       getattr(mcp, "calls_running", 0), grace)


async def _cut_after(stopping: Stopping, seconds: float, sleep: Callable[[float], Awaitable[object]]) -> None:
    await sleep(seconds)
    stopping.cut()


async def _serve(mcp: MCPServer) -> None:
    """The SDK's ``run_stdio_async`` without thread hops."""
    if not _wanted(mcp):
        await mcp.run_stdio_async()
        return
    from mcp.server.stdio import stdio_server

    lowlevel = mcp._lowlevel_server
    with ExitStack() as stack:
        fds = _claim_pipes(stack)
        if fds is not None:
            lines = PipeLines(fds[0])
            async with stdio_server(stdin=lines, stdout=PipeWriter(fds[1])) as (read, write):
                read = InvalidLinesAnswered(read, write, lines, at_eof=lambda: finish_calls(mcp))
                await lowlevel.run(read, write, lowlevel.create_initialization_options())
            return
    await mcp.run_stdio_async()  # the claims above are released: the SDK claims afresh
