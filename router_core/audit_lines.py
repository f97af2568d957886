"""Reading an audit part's lines (audit.py): oldest first or newest first, one at a time, each parsed as strict JSON.

A part may be gigabytes (``audit.max_bytes`` raised): nothing here holds one whole. The text after a part's last
newline is a line still being written: not an error, not yet data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from router_core.errors import StateUnusable
from router_core.inputs import lone_surrogates_replaced


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: the writer writes null for these
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _in_float_range(text: str) -> int:
    if len(text.lstrip("-")) > 300:  # would break every sum and float() of it
        raise ValueError(f"integer of {len(text)} digits")
    return int(text)


def _refuse(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


# Lines are read back as strict JSON: a number that is no finite double (NaN, Infinity, 1e400, 400 digits)
# is in no line Switchboard writes, and passing it on would make every JSON reply and sum invalid.
_DECODER = json.JSONDecoder(parse_float=_finite, parse_int=_in_float_range, parse_constant=_refuse)


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record a line holds, read as strict JSON; None for a line that holds none (torn, not an object)."""
    if b"\\ud" in raw or b"\\uD" in raw:  # an older line's escaped lone surrogate: U+FFFD when read
        raw = lone_surrogates_replaced(raw.decode("utf-8", "replace")).encode("utf-8")
    try:
        record = _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None
    return record if isinstance(record, dict) else None


def lines(path: Path) -> Iterator[bytes]:
    """The lines of ``path``, oldest first, read one at a time: a part may be gigabytes (``max_bytes`` raised),
    and a report must not hold it whole."""
    if (f := _opened(path)) is None:
        return
    with f:
        try:
            for raw in f:
                # The text after the last newline is a line still being written: not an error, not yet data.
                if raw.endswith(b"\n") and raw.strip():
                    yield raw[:-1]
        except OSError as exc:
            raise StateUnusable.unreadable("audit log", path.parent, exc) from exc


def lines_backwards(path: Path, block: int = 64 * 1024) -> Iterator[bytes]:
    """``lines(path)``, newest first, read from the end in blocks: a tail of a 20 MiB part reads what
    it needs, not the whole part."""
    if (f := _opened(path)) is None:
        return
    with f:
        end = f.seek(0, 2)
        pieces: list[bytes] = []  # the line being read backwards, newest piece first (kept apart, not
        unterminated = True  # re-joined per block); and whether it is the text after the last newline
        while end > 0:
            start = max(0, end - block)
            f.seek(start)
            chunk = f.read(end - start)
            end = start
            parts = chunk.split(b"\n")
            if len(parts) == 1:
                if not unterminated:  # the text after the last newline is dropped: not kept to drop it whole
                    pieces.append(chunk)
                continue
            whole = parts[1:]
            whole[-1] += b"".join(reversed(pieces))
            pieces = [parts[0]]
            if unterminated:  # a line still being written: not an error, not yet data
                whole, unterminated = whole[:-1], False
            for raw in reversed(whole):
                if raw.strip():
                    yield raw
        first = b"".join(reversed(pieces))
        if not unterminated and first.strip():
            yield first


def _opened(path: Path) -> BinaryIO | None:
    """``path`` open for reading, None when it is gone (pruned, or a day with no file); StateUnusable when it
    cannot be read."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateUnusable.unreadable("audit log", path.parent, exc) from exc
