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
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import anyio
from mcp.server import MCPServer

ENV = "SWITCHBOARD_STDIO"  # "sdk" forces the SDK's transport
_CHUNK = 1 << 16
# Every JSON escape, a surrogate pair first, then one surrogate alone, then any other escape (which
# consumes "\\" whole: an escaped backslash followed by "ud83d" is never taken for an escape).
_ESCAPES = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|\\.",
    re.S,
)


def lone_surrogates_replaced(line: str) -> str:
    """``line`` with each escaped lone UTF-16 surrogate (``"\\ud83d"`` not followed by its pair) as ``\\ufffd``.

    A host that cuts a string inside an emoji sends one; it is valid JSON to JavaScript and Python,
    but the SDK's parser rejects the whole message, and the host then waits for an answer that never
    comes. With the replacement character in its place the request is served.
    """
    if "\\ud" not in line and "\\uD" not in line:
        return line
    return _ESCAPES.sub(lambda m: "\\ufffd" if len(m.group()) == 6 else m.group(), line)


class PipeLines:
    """``async for line in PipeLines(fd)``: UTF-8 lines (newline kept) from a non-blocking descriptor."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already known to hold no newline
        self._eof = False

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
        return lone_surrogates_replaced(line.decode("utf-8", "replace"))


class PipeWriter:
    """The two methods the SDK's stdio writer uses, over a non-blocking descriptor; one syscall per message."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    async def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        while data:
            try:
                data = data[os.write(self._fd, data) :]
            except BlockingIOError:
                await anyio.wait_writable(self._fd)

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


async def serve_stdio(mcp: MCPServer) -> None:
    """Run ``mcp`` over the process's stdin and stdout: the SDK's ``run_stdio_async`` without thread hops."""
    if not _wanted(mcp):
        await mcp.run_stdio_async()
        return
    from mcp.server.stdio import stdio_server

    lowlevel = mcp._lowlevel_server
    with ExitStack() as stack:
        fds = _claim_pipes(stack)
        if fds is not None:
            async with stdio_server(stdin=PipeLines(fds[0]), stdout=PipeWriter(fds[1])) as (read, write):
                await lowlevel.run(read, write, lowlevel.create_initialization_options())
            return
    await mcp.run_stdio_async()  # the claims above are released: the SDK claims afresh
