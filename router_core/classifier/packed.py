"""Packed classifier weights: a value table plus uint16 indices, loaded in milliseconds.

The trained weights are rounded to 3 decimals, so a few tens of thousands of distinct values fill
millions of slots. The packed file stores each table's keys once ('\\n'-joined) and each row as
``width`` uint16 indices into the value table; rows become tuples only when first looked up.

The body is stored uncompressed: inflating it cost more start-up time (~20 ms) than reading the
larger file does (well under 1 ms), and the package archive compresses it anyway.
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from array import array
from collections.abc import Collection, Iterator, Mapping
from typing import Any

MAGIC = b"SWBW2\n"  # version 2: uncompressed body (version 1 was zlib-compressed)


class Rows(Mapping[str, tuple[float, ...]]):
    """A read-only table of weight vectors that builds each row's tuple on first lookup, and its key
    index on first use unless ``index()`` was called (see ``unpack``'s ``deferred``)."""

    __slots__ = ("_keys", "_index", "_codes", "_values", "_width", "_memo")

    def __init__(self, keys: bytes, codes: array, values: tuple[float, ...], width: int) -> None:
        self._keys = keys  # the keys, '\n'-joined UTF-8, in row order
        self._index: dict[str, int] | None = None
        self._codes, self._values, self._width = codes, values, width
        self._memo: dict[str, tuple[float, ...]] = {}

    def index(self) -> None:
        """Build the key index now (it is otherwise built on first use)."""
        if self._index is None:
            self._built_index()

    def _built_index(self) -> dict[str, int]:
        # Two threads may both build it; either result is the same, so no lock.
        keys = self._keys.decode("utf-8").split("\n") if self._keys else []
        index = self._index = dict(zip(keys, range(len(keys)), strict=True))
        return index

    def get(self, key: str, default: Any = None) -> Any:
        row = self._memo.get(key)
        if row is not None:
            return row
        index = self._index
        i = (self._built_index() if index is None else index).get(key)
        if i is None:
            return default
        values, start = self._values, i * self._width
        row = self._memo[key] = tuple([values[c] for c in self._codes[start : start + self._width]])
        return row

    def __getitem__(self, key: str) -> tuple[float, ...]:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return key in (self._index or self._built_index())

    def __iter__(self) -> Iterator[str]:
        return iter(self._index or self._built_index())

    def __len__(self) -> int:
        return len(self._index or self._built_index())


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
        keys = list(table)
        codes = array("H", (code[x] for k in keys for x in table[k]))
        if sys.byteorder == "big":
            codes.byteswap()  # stored little-endian
        blob = "\n".join(keys).encode("utf-8")
        layout.append([name, len(keys), len(blob)])
        parts += [blob, codes.tobytes()]
    header.update(_packed={"width": width, "tables": layout, "values": len(values), "source": source})
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


def unpack(raw: bytes, *, deferred: Collection[str] = ()) -> dict[str, Any]:
    """The weights ``pack`` stored; the tables named in ``deferred`` index their keys on first use
    (splitting and hashing ~100k keys is most of the load time)."""
    header, body_at = _header(raw)
    body = memoryview(raw)[body_at:]  # slices of a memoryview copy nothing
    info = header.pop("_packed")
    width, count = info["width"], info["values"]
    values = struct.unpack_from(f"<{count}d", body)
    offset = 8 * count
    for name, rows, blob_len in info["tables"]:
        keys = bytes(body[offset : offset + blob_len])
        offset += blob_len
        codes = array("H")
        codes.frombytes(body[offset : offset + 2 * rows * width])
        if sys.byteorder == "big":
            codes.byteswap()  # stored little-endian
        offset += 2 * rows * width
        header[name] = table = Rows(keys, codes, values, width)
        if name not in deferred:
            table.index()
    return header
