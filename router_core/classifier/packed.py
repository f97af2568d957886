"""Packed classifier weights: each table's sorted keys and its rows, loaded in milliseconds.

The trained weights are rounded to 3 decimals. The packed file stores each table's keys once
(sorted, '\\n'-joined, with where each starts) and each row as ``width`` little-endian uint32 lanes:
thousandths plus ``lanes.OFFSET``, exact, the very bytes of the int ``lanes`` sums (``Rows.encoded`` is
one ``int.from_bytes``). Loading copies the key arrays and builds nothing per key: a table answers by
binary search until it builds its index, every key's row as a ``lanes`` int (see ``Rows``).

The body is stored uncompressed: inflating it cost more start-up time (~20 ms) than reading the
larger file does (well under 1 ms), and the package archive compresses it anyway.
"""

from __future__ import annotations

import itertools
import json
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from router_core.classifier import lanes

# version 4: rows of thousandths + 2**21, each table's largest weight in the header (3: + 2**31, read as 64-bit
# lanes; 2: a table of doubles and uint16 codes; 1: zlib-compressed)
MAGIC = b"SWBW4\n"
SCALE = 1000  # weights are stored in thousandths (the trainer rounds them to 3 decimals) plus lanes.OFFSET
# A table answers by binary search over its sorted keys, in place in the file's bytes, until it has
# searched this many times; then it builds a hash index of every key's row as a ``lanes`` int. Indexing
# costs ~0.5 us a key (~10 ms for the largest table, which would otherwise delay the first answer of every
# process); a search costs a few microseconds more than a hash lookup. Once indexed, a key never looked up
# before costs what a known one does: one dict lookup (what a server sees of a task's new words). A small table
# indexes sooner, after a tenth as many searches as it has rows: a search (~6 us) costs about what indexing ten
# keys does (~0.3-0.6 us each), so its searches have then cost about what its index does. (The first-word table,
# 891 rows, searched once a task, was still searching after a warm-up of 244 tasks; the negated words', 651 rows,
# searched only for texts that negate, would have been searching for a server's life.)
INDEX_AFTER = 256
SEARCHES_PER_ROW = 0.1


class Rows(Mapping[str, tuple[float, ...]]):
    """A read-only table of weight vectors, parsed only as it is used: a row is read on lookup (``get``
    keeps it as a tuple; ``encoded`` gives it as a ``lanes`` int), by binary search, then from a hash index of
    every row as a ``lanes`` int (``INDEX_AFTER``; ``index`` once built)."""

    __slots__ = ("_blob", "_starts", "_index", "_searches_left", "_rows", "_width", "_memo", "_read", "_row", "_size",
                 "largest")

    def __init__(self, blob: bytes, starts: Sequence[int] | None, rows: bytes | memoryview, width: int,
                 largest: int | None = None) -> None:
        # The keys, '\n'-joined UTF-8 in row order; with ``starts`` (where each key starts, plus one
        # past the end) they are sorted and searched in place, else indexed on first use. ``rows``: per
        # key, ``width`` little-endian uint32 (thousandths + lanes.OFFSET).
        self._blob, self._starts = blob, starts
        self._index: dict[str, int] | None = None  # key -> its row as one lanes int
        # Searches before the index is built (INDEX_AFTER, fewer for a small table); none for unsorted keys.
        self._searches_left = 0 if starts is None else min(INDEX_AFTER, int(SEARCHES_PER_ROW * (len(starts) - 1)))
        self._rows, self._width = rows, width
        self._memo: dict[str, tuple[float, ...]] = {}
        self._read = lanes.row_format(width).unpack_from
        self._size = 4 * width
        self._row = struct.Struct(f"{self._size}s").unpack_from  # a row's bytes, as one bytes object
        # The largest weight, in thousandths (how many rows may be merged into one lane vector: lanes.merge_limit).
        self.largest = largest if largest is not None else max(
            (abs(v - lanes.OFFSET) for i in range(len(self)) for v in self._read(rows, self._size * i)), default=0)

    def get(self, key: str, default: Any = None) -> Any:
        row = self._memo.get(key)
        if row is not None:
            return row
        row = self.vector(key)
        if row is None:
            return default
        self._memo[key] = row
        return row

    def vector(self, key: str) -> tuple[float, ...] | None:
        """``key``'s row, built afresh and not kept."""
        value = self.encoded(key)
        if value is None:
            return None
        return tuple([(v - lanes.OFFSET) / SCALE for v in self._read(value.to_bytes(self._size, "little"))])

    def encoded(self, key: str) -> int | None:
        """``key``'s row as one ``lanes`` int."""
        index = self._index
        if index is None:
            # Threads may race here: each may build the index, to the same result, so no lock.
            if self._searches_left > 0:
                self._searches_left -= 1
                i = self._search(key)
                return None if i is None else int.from_bytes(self._row(self._rows, self._size * i)[0], "little")
            index = self._build_index()
        return index.get(key)

    @property
    def index(self) -> dict[str, int] | None:
        """Every key's row as one ``lanes`` int, once built (``INDEX_AFTER``), else None."""
        return self._index

    def _build_index(self) -> dict[str, int]:
        rows = map(itemgetter(0), struct.iter_unpack(f"{self._size}s", self._rows))  # each row's bytes
        self._index = dict(zip(self._keys(), map(int.from_bytes, rows, repeat("little")), strict=True))
        return self._index

    def _search(self, key: str) -> int | None:
        """``key``'s row number, by binary search over the sorted keys; None if it has no row."""
        target, blob, starts = key.encode("utf-8"), self._blob, self._starts
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # UTF-8 bytes sort as their code points do
            mid = (lo + hi) // 2
            if blob[starts[mid] : starts[mid + 1] - 1] < target:
                lo = mid + 1
            else:
                hi = mid
        found = lo < len(starts) - 1 and blob[starts[lo] : starts[lo + 1] - 1] == target
        return lo if found else None

    def _keys(self) -> list[str]:
        return self._blob.decode("utf-8").split("\n") if self._blob else []

    def __getitem__(self, key: str) -> tuple[float, ...]:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


def source_digest(json_weights: bytes) -> str:
    """What a packed file records of the JSON weights it was made from (to detect a stale pack)."""
    return f"{zlib.crc32(json_weights):08x}-{len(json_weights)}"


def pack(data: Mapping[str, Any], *, source: str = "") -> bytes:
    """Tables (dicts of equal-length vectors) are packed; everything else goes into the JSON header."""
    tables = {k: v for k, v in data.items() if isinstance(v, dict) and v and isinstance(next(iter(v.values())), list)}
    header = {k: v for k, v in data.items() if k not in tables}
    weights = {x for table in tables.values() for row in table.values() for x in row}
    if any(abs(SCALE * x - round(SCALE * x)) > 1e-6 or abs(x) > lanes.MAX_WEIGHT for x in weights):
        raise ValueError(f"weights must be rounded to 3 decimals and at most {lanes.MAX_WEIGHT:g} to be packed")
    lane = {x: round(SCALE * x) + lanes.OFFSET for x in weights}
    width = len(data["classes"])
    parts, layout = [], []
    for name, table in tables.items():
        keys = sorted(table)
        rows = array("I", (lane[x] for k in keys for x in table[k]))
        encoded = [k.encode("utf-8") for k in keys]
        blob = b"\n".join(encoded)
        starts = array("I", itertools.accumulate((len(k) + 1 for k in encoded), initial=0))
        if sys.byteorder == "big":
            rows.byteswap()  # stored little-endian
            starts.byteswap()
        layout.append([name, len(keys), len(blob), max(map(len, keys)),
                       max(abs(lane[x] - lanes.OFFSET) for row in table.values() for x in row)])
        parts += [blob, starts.tobytes(), rows.tobytes()]
    header.update(_packed={"width": width, "tables": layout, "source": source, "offset": lanes.OFFSET})
    head = json.dumps(header).encode("utf-8")
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(parts)


def packed_source(raw: bytes) -> str:
    """The source digest recorded in a packed file (cheap: reads the header only); "" if ``raw`` is
    not a packed file of this version."""
    if raw[: len(MAGIC)] != MAGIC:
        return ""
    try:
        info = _header(raw)[0]["_packed"]
    except (ValueError, KeyError, TypeError, struct.error):  # a truncated or damaged header
        return ""
    return info.get("source", "") if info.get("offset") == lanes.OFFSET else ""


def _header(raw: bytes) -> tuple[dict[str, Any], int]:
    if raw[: len(MAGIC)] != MAGIC:
        raise ValueError("not a packed weights file")
    (n,) = struct.unpack_from("<I", raw, len(MAGIC))
    start = len(MAGIC) + 4
    return json.loads(raw[start : start + n]), start + n


def unpack(raw: bytes, *, share: bool = False) -> dict[str, Any]:
    """The weights ``pack`` stored, each table a lazily parsed ``Rows``.

    By default everything it keeps is a copy (``raw`` may be a memory map, closed afterwards). With
    ``share`` the rows (and, on a little-endian machine, the key offsets) are views of ``raw`` instead:
    nothing is copied, and when ``raw`` is a read-only memory map every process on the machine shares
    its pages. ``raw`` then stays in use for as long as the tables do."""
    header, body_at = _header(raw)
    body = memoryview(raw)[body_at:]  # slices of a memoryview copy nothing
    info = header.pop("_packed")
    if info.get("offset") != lanes.OFFSET:
        raise ValueError("packed with another lane offset: run scripts/pack_classifier.py")
    width = info["width"]
    read = _view if share and sys.byteorder == "little" else _array
    offset = 0
    for name, rows, blob_len, _longest, largest in info["tables"]:  # (the longest key: read by no lookup since e40bf8b)
        blob = bytes(body[offset : offset + blob_len])  # keys are compared as bytes: a copy
        offset += blob_len
        starts, offset = read("I", body, offset, rows + 1)
        size = 4 * width * rows
        lanes_of = body[offset : offset + size] if share else bytes(body[offset : offset + size])
        offset += size
        header[name] = Rows(blob, starts, lanes_of, width, largest)
    if offset != len(body):
        raise ValueError(f"packed weights of {len(body):,} bytes where the header describes {offset:,}: "
                         "a truncated or damaged file")
    return header


def _view(typecode: str, body: memoryview, offset: int, count: int) -> tuple[memoryview, int]:
    """``count`` native (little-endian) items at ``offset``, not copied, and the offset after them."""
    end = offset + array(typecode).itemsize * count
    return body[offset:end].cast(typecode), end


def _array(typecode: str, body: memoryview, offset: int, count: int) -> tuple[array, int]:
    """``count`` little-endian items at ``offset`` (copied), and the offset after them."""
    items = array(typecode)
    end = offset + items.itemsize * count
    items.frombytes(body[offset:end])
    if sys.byteorder == "big":
        items.byteswap()
    return items, end
