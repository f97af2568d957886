"""A CLI run's pipes: its stdin, written without blocking; its stdout and stderr, read as they stream.

Output is read while the CLI runs, not at its exit, so that a run can be stopped as soon as the CLI says it
cannot reach its service: each complete line (of either stream) goes to the dialect's watch (cli.CliDialect),
or only those holding the marker it declares (MarkedWatch: a CLI's noise costs no Python call per line),
and a line it reads as ``Unreachable`` stops the run (the caller kills the CLI's session). Without that, codex
0.169.0 offline retried "waiting for network" until Switchboard's timeout (cli_codex.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anyio
from anyio.abc import ByteReceiveStream, Process

STDOUT_LIMIT = 64 * 2**20  # far beyond any answer: a CLI writing more is stopped, memory stays bounded
STDERR_KEPT = 2**20  # the end of stderr, where the messages that matter are
# How long a CLI that has printed its final result is given to exit by itself, and go quiet, before it is stopped
# and its result read as its answer (stop_when_answered): hooks Claude Code runs at the end of a session finish
# well within it.
AFTER_RESULT_SECONDS = 10.0
LINE_WATCHED = 64 * 2**10  # a longer line (an answer) is not one saying the service cannot be reached: unread


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A CLI saying it cannot reach its service. ``maybe_billed``: the run had reached the model before (a step
    of its turn answered), so the provider may bill what it did; else nothing was sent, nothing is owed."""

    reason: str
    maybe_billed: bool = False


# One run's watch: (stream, "out" or "err"; a line, without its end) -> Unreachable to stop the run, else None.
LineWatch = Callable[[str, str], "Unreachable | None"]


@dataclass(frozen=True, slots=True)
class Marker:
    """Bytes that every line a watch can act on holds, as the CLI writes them (the line undecoded, unstripped).

    ``ignore_case``: ASCII letters in either case (``text`` in lower case). Sound for a watch that reads its
    lines with ``re.I`` only if no letter of ``text`` has a non-ASCII case twin there: in Python's ``re``,
    "i" matches U+0130 and U+0131, "k" U+212A, "s" U+017F. The empty marker is in every line."""

    text: bytes
    ignore_case: bool = False

    def __post_init__(self) -> None:
        if b"\n" in self.text or (self.ignore_case and self.text != self.text.lower()):
            raise ValueError(f"a marker is within one line, in lower case if case is ignored: {self.text!r}")


EVERY_LINE = Marker(b"")


@dataclass(frozen=True, slots=True)
class MarkedWatch:
    """A LineWatch that says which lines can matter to it: those of a stream holding its marker (None: no line
    of that stream). It must return None, and change nothing, for any other line: those never reach it, nor are
    decoded, so a CLI's megabytes of output cost no Python call per line. A watch not wrapped gets every line."""

    watch: LineWatch
    out: Marker | None
    err: Marker | None

    def __call__(self, stream: str, line: str) -> Unreachable | None:
        return self.watch(stream, line)


class OutputWatch:
    """Splits both streams into lines for a LineWatch and keeps what stopped the run, if anything did."""

    def __init__(self, watch: LineWatch | None, stop: anyio.CancelScope) -> None:
        self._watch = watch
        self._stop = stop
        self._markers = ({"out": watch.out, "err": watch.err} if isinstance(watch, MarkedWatch)
                         else {"out": EVERY_LINE, "err": EVERY_LINE})
        self._pending = {"out": bytearray(), "err": bytearray()}
        self._skipping: set[str] = set()  # streams in a line longer than LINE_WATCHED: read to its end, unwatched
        self.said: Unreachable | None = None

    def feed(self, stream: str, chunk: bytes) -> None:
        marker = self._markers[stream]
        if self._watch is None or self.said is not None or marker is None:
            return
        if stream in self._skipping:
            end = chunk.find(b"\n")
            if end < 0:
                return
            self._skipping.discard(stream)
            chunk = chunk[end + 1 :]
        pending = self._pending[stream]
        pending.extend(chunk)
        whole = pending.rfind(b"\n") + 1  # the complete lines: pending[:whole]
        said = self._read(stream, pending, whole, marker) if whole else None
        del pending[:whole]
        if len(pending) > LINE_WATCHED:
            self._skipping.add(stream)
            pending.clear()
        if said is not None:
            self.said = said
            self._stop.cancel()

    def _read(self, stream: str, lines: bytearray, whole: int, marker: Marker) -> Unreachable | None:
        """What the watch says of the first line of ``lines[:whole]`` to stop the run, of those holding the
        marker and no longer than LINE_WATCHED."""
        assert self._watch is not None
        for line in _holding(lines, lines.lower() if marker.ignore_case else lines, whole, marker.text):
            if len(line) <= LINE_WATCHED and (said := self._watch(stream, line.decode(errors="replace").strip())):
                return said
        return None


def _holding(lines: bytearray, seen: bytearray, whole: int, text: bytes) -> Iterator[bytearray]:
    """The lines of ``lines[:whole]`` (``whole``: just past a newline) holding ``text`` in ``seen`` (``lines``,
    or ``lines`` lowered), in order. Found by searching from one to the next when few hold it (a CLI's noise:
    no Python step per line), else by splitting them all (codex's JSON events: a search per line costs more)."""
    hits = seen.count(text, 0, whole)
    if not hits:
        return
    if hits * 4 < seen.count(b"\n", 0, whole):  # never for b"", in every line
        at = 0
        while (hit := seen.find(text, at, whole)) >= 0:
            start, at = seen.rfind(b"\n", 0, hit) + 1, seen.find(b"\n", hit, whole) + 1
            yield lines[start : at - 1]
        return
    split = lines[: whole - 1].split(b"\n")
    for line, low in zip(split, seen[: whole - 1].split(b"\n") if seen is not lines else split, strict=True):
        if text in low:
            yield line


class InputPipe:
    """The CLI's stdin: a pipe of our own, written without blocking, whose end we close when we choose.

    asyncio's pipe writer, closed with data still buffered, waits for the data to drain before it closes the
    descriptor: when the reader is a process outside the CLI's session that never reads, our end stayed open
    until that process ended. Here closing is ``os.close``, whatever is unread."""

    def __init__(self) -> None:
        self.read_end, self._write_end = os.pipe()  # neither is inherited by other children (PEP 446)
        os.set_blocking(self._write_end, False)

    async def write(self, data: bytes) -> None:
        """``data``, then end of input. A reader that is gone breaks the pipe: not an error here, the CLI's
        exit and output say what happened."""
        view = memoryview(data)
        try:
            while view and self._write_end >= 0:
                try:
                    view = view[os.write(self._write_end, view) :]
                except BlockingIOError:
                    await anyio.wait_writable(self._write_end)
        except (BrokenPipeError, ConnectionError):
            pass
        finally:
            self.close()

    def close_read_end(self) -> None:
        if self.read_end >= 0:
            os.close(self.read_end)
            self.read_end = -1

    def close(self) -> None:
        self.close_read_end()
        if self._write_end >= 0:
            os.close(self._write_end)
            self._write_end = -1


async def drain_both(process: Process, out: bytearray, err: bytearray, drained: anyio.Event,
                     stop: anyio.CancelScope, watch: OutputWatch) -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout, process.stdout, out, stop, watch)
        tg.start_soon(read_stderr, process.stderr, err, watch)
    drained.set()


async def read_stdout(stream: ByteReceiveStream | None, sink: bytearray, stop: anyio.CancelScope,
                      watch: OutputWatch | None = None) -> None:
    """All of stdout, up to just over STDOUT_LIMIT, when the run is stopped."""
    if stream is None:
        return
    async for chunk in stream:
        sink.extend(chunk)
        if len(sink) > STDOUT_LIMIT:
            stop.cancel()
            return
        if watch is not None:
            watch.feed("out", chunk)


async def read_stderr(stream: ByteReceiveStream | None, sink: bytearray, watch: OutputWatch | None = None) -> None:
    """The last STDERR_KEPT bytes of stderr."""
    if stream is None:
        return
    async for chunk in stream:
        sink.extend(chunk)
        if len(sink) > 2 * STDERR_KEPT:
            del sink[:-STDERR_KEPT]
        if watch is not None:
            watch.feed("err", chunk)
    del sink[:-STDERR_KEPT]


async def stop_when_answered(out: bytearray, finished: Callable[[str], bool], stop: anyio.CancelScope,
                             stopped: list[bool]) -> None:
    """Stops the run (``stop``, noting it in ``stopped``) once stdout holds the CLI's final result and nothing more
    has come for AFTER_RESULT_SECONDS: claude -p may print its result and never exit (anthropics/claude-code#21099),
    and its answer then waited for the CLI's whole timeout (450 s). Output is read as a result at most once per
    AFTER_RESULT_SECONDS, and only when it has grown: a CLI streaming megabytes costs no parse per chunk."""
    checked = 0  # stdout's length when it last held no result
    while True:
        await anyio.sleep(AFTER_RESULT_SECONDS)
        size = len(out)
        if size == checked or size > STDOUT_LIMIT:
            continue
        if not finished(out.decode(errors="replace")):
            checked = size
            continue
        await anyio.sleep(AFTER_RESULT_SECONDS)
        if len(out) == size:  # quiet since its result: what follows is a hang, not more of the answer
            stopped.append(True)
            stop.cancel()
            return
        checked = 0


def kill_session(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
