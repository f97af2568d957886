"""OutputWatch: which lines of a CLI's streams reach a watch, however the pipe cuts them.

A MarkedWatch gets only the lines holding its marker, found without a Python call per line; the lines it gets,
and the line that stops the run, are those every line would have given it (the pending end of a chunk, lines
longer than LINE_WATCHED skipped to their end, the first line read as Unreachable stops the run).
"""

from __future__ import annotations

import random
import re
import sys

import anyio
import pytest

from router_core.providers.cli_codex import CODEX
from router_core.providers.cli_gemini import _FETCH_FAILED, GEMINI
from router_core.providers.cli_pipes import LINE_WATCHED, MarkedWatch, Marker, OutputWatch, Unreachable

STOP = "STOP"


class Recording:
    """A watch noting each line it is given; a line holding STOP stops the run."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, stream: str, line: str) -> Unreachable | None:
        self.lines.append((stream, line))
        return Unreachable(line) if STOP in line else None


def fed(watch, *chunks: tuple[str, bytes]) -> tuple[OutputWatch, anyio.CancelScope]:
    scope = anyio.CancelScope()
    output = OutputWatch(watch, scope)
    for stream, chunk in chunks:
        output.feed(stream, chunk)
    return output, scope


def cut(data: bytes, rng: random.Random) -> list[bytes]:
    """``data`` in pieces of 1 byte to 3 * LINE_WATCHED, as a pipe may hand it over."""
    pieces, at = [], 0
    while at < len(data):
        size = rng.choice((1, 2, 7, 100, 4096, LINE_WATCHED - 1, LINE_WATCHED + 1, 3 * LINE_WATCHED))
        pieces.append(data[at : at + size])
        at += size
    return pieces


async def test_chunks_without_the_marker_never_reach_the_watch():
    recording = Recording()
    noise = b"y\n" * 32768
    output, scope = fed(MarkedWatch(recording, out=Marker(b"{"), err=Marker(b"attempt", ignore_case=True)),
                        ("out", noise), ("err", noise), ("out", b"no brace\n\n" * 1000), ("err", b"attemp\nt\n"))
    assert recording.lines == [] and output.said is None and not scope.cancel_called


async def test_a_stream_without_a_marker_never_reaches_the_watch():
    recording = Recording()
    fed(MarkedWatch(recording, out=Marker(b"{"), err=None), ("err", b"{STOP}\n"), ("out", b"{x}\n"))
    assert recording.lines == [("out", "{x}")]


async def test_a_watch_without_markers_gets_every_line_as_before():
    recording = Recording()
    fed(recording, ("out", b"a\n\n  b \r\n"), ("err", b"c"), ("err", b"\xff\n"), ("out", b"d"))
    assert recording.lines == [("out", "a"), ("out", ""), ("out", "b"), ("err", "c\ufffd")]


async def test_only_the_lines_holding_the_marker_reach_the_watch_in_order():
    recording = Recording()
    fed(MarkedWatch(recording, out=Marker(b"{"), err=None),
        ("out", b"y\n" * 100 + b'  {"a": 1}\nno\n{b}{c}\n' + b"y\n" * 100 + b"z{\n"))
    assert recording.lines == [("out", '{"a": 1}'), ("out", "{b}{c}"), ("out", "z{")]


async def test_a_marker_split_across_chunks_still_stops_the_run():
    recording = Recording()
    line = b"noise\nATTEMPT 3 failed STOP\nafter\n"
    at = line.index(b"TEMPT")  # the pipe cuts inside the marker, and the line ends in a later chunk
    output, scope = fed(MarkedWatch(recording, out=None, err=Marker(b"attempt", ignore_case=True)),
                        ("err", line[:at]), ("err", line[at : at + 8]), ("err", line[at + 8 :]))
    assert recording.lines == [("err", "ATTEMPT 3 failed STOP")]
    assert scope.cancel_called and output.said == Unreachable("ATTEMPT 3 failed STOP")


async def test_the_first_line_read_as_unreachable_stops_the_run_and_nothing_after_it_is_read():
    recording = Recording()
    output, _ = fed(MarkedWatch(recording, out=Marker(b"{"), err=Marker(b"{")),
                    ("out", b"{one}\n{STOP 1}\n{three}\n"), ("out", b"{four}\n"), ("err", b"{five}\n"))
    assert recording.lines == [("out", "{one}"), ("out", "{STOP 1}")]
    assert output.said == Unreachable("{STOP 1}")


@pytest.mark.parametrize("in_one_chunk", [True, False], ids=["one-chunk", "cut"])
async def test_a_marker_in_a_line_longer_than_line_watched_is_not_read(in_one_chunk):
    recording = Recording()
    long_line = b"{STOP" + b"x" * LINE_WATCHED + b"\n"
    data = b"y\n" + long_line + b"{after}\n"
    chunks = [data] if in_one_chunk else [data[:100], data[100 : LINE_WATCHED + 10], data[LINE_WATCHED + 10 :]]
    output, scope = fed(MarkedWatch(recording, out=Marker(b"{"), err=None), *(("out", c) for c in chunks))
    assert recording.lines == [("out", "{after}")] and output.said is None and not scope.cancel_called


@pytest.mark.parametrize("marker", [Marker(b"{"), Marker(b"at", ignore_case=True), Marker(b"")])
@pytest.mark.parametrize("seed", range(20))
async def test_however_the_pipe_cuts_the_output_a_marked_watch_gets_the_lines_holding_its_marker(marker, seed):
    # The reference: the whole output split into lines at once, as the watch had it before markers.
    rng = random.Random(seed)
    kinds = [b"y", b"", b"{x}", b"{Attempt", b"aT{" * 30, b"  {at} \r", b"\xc3{\xff", b"x" * (LINE_WATCHED + 1),
             b"{at" * LINE_WATCHED, b"{" * LINE_WATCHED, b"A" * (LINE_WATCHED - 1) + b"t"]
    weights = [50, 5, 10 + 40 * (seed % 2), 5, 5, 3, 2, 1, 1, 1, 1]  # odd seeds: most lines hold "{"
    lines = rng.choices(kinds, weights, k=400)
    data = b"\n".join(lines) + b"\n" + b"unended {at"
    wanted = [line.decode(errors="replace").strip() for line in lines
              if len(line) <= LINE_WATCHED and marker.text in (line.lower() if marker.ignore_case else line)]
    recording = Recording()
    fed(MarkedWatch(recording, out=marker, err=None), *(("out", piece) for piece in cut(data, rng)))
    assert recording.lines == [("out", line) for line in wanted]


async def test_each_dialect_watch_says_what_it_reads():
    codex, gemini = CODEX.watch(), GEMINI.watch()
    assert isinstance(codex, MarkedWatch) and (codex.out, codex.err) == (Marker(b"{"), None)
    assert isinstance(gemini, MarkedWatch) and gemini.out is None
    assert gemini.err == Marker(b"attempt", ignore_case=True)


def test_no_character_but_ascii_letters_matches_gemini_s_marker_under_its_case_folding():
    # _FETCH_FAILED is read with re.I over decoded text: a non-ASCII twin of a letter of the marker ("K" for k,
    # "ı" for i) would match a line the bytes search skips. Its letters have none; the marker is in its regex.
    marker = GEMINI.watch().err
    assert marker is not None and marker.text.decode() in _FETCH_FAILED.pattern.lower()
    letters = re.compile(f"[{marker.text.decode()}]", re.I)
    everything = "".join(map(chr, range(0x80, sys.maxunicode + 1)))
    assert letters.findall(everything) == []


async def test_gemini_s_watch_still_reads_its_line_in_any_case_split_anywhere():
    line = b"ATTEMPT 3 Failed. Retrying With Backoff... Error: exception TypeError: FETCH FAILED sending request\n"
    for at in range(len(line)):
        output, _ = fed(GEMINI.watch(), ("err", b"noise\n" + line[:at]), ("err", line[at:]))
        assert output.said is not None and "3 times" in output.said.reason
