"""Packed classifier weights: a value table plus uint16 indices, loaded in milliseconds.

The trained weights are rounded to 3 decimals, so a few tens of thousands of distinct values fill
millions of slots. The packed file stores each table's keys once (sorted, '\\n'-joined, with where
each starts) and each row as ``width`` uint16 indices into the value table. Loading copies these
few arrays and builds nothing per key: rows become tuples when first looked up (see ``Rows``).

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
from typing import Any

MAGIC = b"SWBW2\n"  # version 2: uncompressed body (version 1 was zlib-compressed)
# A table answers by binary search over its sorted keys, in place in the file's bytes, until it has
# searched this many times; then it builds a hash index. Indexing costs ~0.2 us a key (~12 ms for
# the largest table, which would otherwise delay the first answer of every process); a search costs
# a few microseconds more than a hash lookup.
INDEX_AFTER = 256


class Rows(Mapping[str, tuple[float, ...]]):
    """A read-only table of weight vectors, parsed only as it is used: a row's tuple is built on its
    first lookup, and keys are found by binary search, then by a hash index (``INDEX_AFTER``)."""

    __slots__ = ("_blob", "_starts", "_index", "_searches", "_codes", "_values", "_width", "_memo")

    def __init__(
        self, blob: bytes, starts: Sequence[int] | None, codes: Sequence[int], values: tuple[float, ...], width: int
    ) -> None:
        # The keys, '\n'-joined UTF-8 in row order; with ``starts`` (where each key starts, plus one
        # past the end) they are sorted and searched in place, else indexed on first use.
        self._blob, self._starts = blob, starts
        self._index: dict[str, int] | None = None
        self._searches = 0
        self._codes, self._values, self._width = codes, values, width
        self._memo: dict[str, tuple[float, ...]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        row = self._memo.get(key)
        if row is not None:
            return row
        index = self._index
        i = index.get(key) if index is not None else self._search(key)
        if i is None:
            return default
        values, start = self._values, i * self._width
        row = self._memo[key] = tuple([values[c] for c in self._codes[start : start + self._width]])
        return row

    def _search(self, key: str) -> int | None:
        # Threads may race here: each may build the index, to the same result, so no lock.
        if self._starts is None or self._searches >= INDEX_AFTER:
            keys = self._keys()
            self._index = dict(zip(keys, range(len(keys)), strict=True))
            return self._index.get(key)
        self._searches += 1
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
    values = sorted({x for table in tables.values() for row in table.values() for x in row})
    if len(values) > 65535:
        raise ValueError(f"{len(values)} distinct weights: more than uint16 codes can index")
    code = {x: i for i, x in enumerate(values)}
    width = len(data["classes"])
    parts, layout = [], []
    for name, table in tables.items():
        keys = sorted(table)
        codes = array("H", (code[x] for k in keys for x in table[k]))
        encoded = [k.encode("utf-8") for k in keys]
        blob = b"\n".join(encoded)
        starts = array("I", itertools.accumulate((len(k) + 1 for k in encoded), initial=0))
        if sys.byteorder == "big":
            codes.byteswap()  # stored little-endian
            starts.byteswap()
        layout.append([name, len(keys), len(blob)])
        parts += [blob, starts.tobytes(), codes.tobytes()]
    header.update(_packed={"width": width, "tables": layout, "values": len(values), "source": source, "starts": True})
    head = json.dumps(header).encode("utf-8")
    body = struct.pack(f"<{len(values)}d", *values) + b"".join(parts)
    return MAGIC + struct.pack("<I", len(head)) + head + body


def packed_source(raw: bytes) -> str:
    """The source digest recorded in a packed file (cheap: reads the header only); "" if ``raw`` is
    not a packed file of this version."""
    if raw[: len(MAGIC)] != MAGIC:
        return ""
    return _header(raw)[0]["_packed"].get("source", "")


def _header(raw: bytes) -> tuple[dict[str, Any], int]:
    if raw[: len(MAGIC)] != MAGIC:
        raise ValueError("not a packed weights file")
    (n,) = struct.unpack_from("<I", raw, len(MAGIC))
    start = len(MAGIC) + 4
    return json.loads(raw[start : start + n]), start + n


def unpack(raw: bytes, *, share: bool = False) -> dict[str, Any]:
    """The weights ``pack`` stored, each table a lazily parsed ``Rows``.

    By default everything it keeps is a copy (``raw`` may be a memory map, closed afterwards). With
    ``share`` (on a little-endian machine) the index arrays are views of ``raw`` instead: nothing is
    copied, and when ``raw`` is a read-only memory map every process on the machine shares its pages.
    ``raw`` then stays in use for as long as the tables do."""
    header, body_at = _header(raw)
    body = memoryview(raw)[body_at:]  # slices of a memoryview copy nothing
    info = header.pop("_packed")
    width, count, has_starts = info["width"], info["values"], info.get("starts", False)
    values = struct.unpack_from(f"<{count}d", body)
    offset = 8 * count
    read = _view if share and sys.byteorder == "little" else _array
    for name, rows, blob_len in info["tables"]:
        blob = bytes(body[offset : offset + blob_len])  # keys are compared as bytes: a copy
        offset += blob_len
        starts = None
        if has_starts:
            starts, offset = read("I", body, offset, rows + 1)
        codes, offset = read("H", body, offset, rows * width)
        header[name] = Rows(blob, starts, codes, values, width)
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
