"""Packed classifier weights: a value table plus uint16 indices, loaded in milliseconds.

The trained weights are rounded to 3 decimals, so a few tens of thousands of distinct values fill
millions of slots. The packed file stores each table's keys once (sorted, '\\n'-joined) and each
row as ``width`` uint16 indices into the value table; rows become tuples only when first looked up.

The body is stored uncompressed: inflating it cost more start-up time (~20 ms) than reading the
larger file does (well under 1 ms), and the package archive compresses it anyway.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Any

MAGIC = b"SWBW2\n"  # version 2: uncompressed body (version 1 was zlib-compressed)
# A table answers by binary search over its sorted keys until it has searched this many times, then
# builds a hash index. The index costs ~0.15 us a key to build (~10 ms for the largest table, which
# would otherwise delay the first answer of every process) and saves ~0.4 us a search.
INDEX_AFTER = 256


class Rows(Mapping[str, tuple[float, ...]]):
    """A read-only table of weight vectors, parsed as it is used: its keys on first use, each row's
    tuple on first lookup; keys are found by binary search, then by a hash index (``INDEX_AFTER``)."""

    __slots__ = ("_blob", "_sorted", "_keys", "_index", "_searches", "_codes", "_values", "_width", "_memo")

    def __init__(self, blob: bytes, codes: array, values: tuple[float, ...], width: int, *, sorted_keys: bool) -> None:
        self._blob, self._sorted = blob, sorted_keys  # the keys, '\n'-joined UTF-8, in row order
        self._keys: list[str] | None = None
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
        # Threads may race here: each may split or index the keys, to the same result, so no lock.
        keys = self._all_keys()
        if not self._sorted or self._searches >= INDEX_AFTER:
            self._index = dict(zip(keys, range(len(keys)), strict=True))
            return self._index.get(key)
        self._searches += 1
        i = bisect_left(keys, key)
        return i if i < len(keys) and keys[i] == key else None

    def _all_keys(self) -> list[str]:
        keys = self._keys
        if keys is None:
            keys = self._keys = self._blob.decode("utf-8").split("\n") if self._blob else []
        return keys

    def __getitem__(self, key: str) -> tuple[float, ...]:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_keys())

    def __len__(self) -> int:
        return len(self._all_keys())


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
        if sys.byteorder == "big":
            codes.byteswap()  # stored little-endian
        blob = "\n".join(keys).encode("utf-8")
        layout.append([name, len(keys), len(blob)])
        parts += [blob, codes.tobytes()]
    header.update(_packed={"width": width, "tables": layout, "values": len(values), "source": source, "sorted": True})
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


def unpack(raw: bytes) -> dict[str, Any]:
    """The weights ``pack`` stored, each table a lazily parsed ``Rows``; everything it keeps is a copy
    (``raw`` may be a memory map, closed afterwards)."""
    header, body_at = _header(raw)
    body = memoryview(raw)[body_at:]  # slices of a memoryview copy nothing
    info = header.pop("_packed")
    width, count, sorted_keys = info["width"], info["values"], info.get("sorted", False)
    values = struct.unpack_from(f"<{count}d", body)
    offset = 8 * count
    for name, rows, blob_len in info["tables"]:
        blob = bytes(body[offset : offset + blob_len])
        offset += blob_len
        codes = array("H")
        codes.frombytes(body[offset : offset + 2 * rows * width])
        if sys.byteorder == "big":
            codes.byteswap()  # stored little-endian
        offset += 2 * rows * width
        header[name] = Rows(blob, codes, values, width, sorted_keys=sorted_keys)
    return header
