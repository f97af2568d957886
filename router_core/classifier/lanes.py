"""Weight vectors packed into one Python int, so that summing a text's vectors is one C-level ``sum``.

The shipped weights are multiples of 0.001. A vector of ``width`` weights becomes an int of
``width`` 32-bit lanes, lane j holding ``round(1000 * w[j]) + OFFSET``: every lane is positive and
below ``LANE_RANGE``, so adding such ints adds the lanes independently (no carry crosses a lane while at
most ``CAPACITY`` vectors are summed). A sum of ``n`` encoded vectors is read back by taking
``n * OFFSET`` from each lane. The packed weights file stores each row as these very lanes
(``packed.py``), so a row becomes a lane int with one ``int.from_bytes`` of its bytes.

Summing a long text's ~120 vectors this way costs a few microseconds, against ~30 for adding
tuples of floats column by column. The integer sums are exact, so the order in which features are
added cannot change a score.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Sequence
from operator import itemgetter

LANE_BITS = 32
MAX_WEIGHT = 2000.0  # the largest weight a vector may hold (the largest shipped is ~94)
OFFSET = 1 << 21  # above MAX_WEIGHT in thousandths, so every lane of a vector is positive
LANE_RANGE = 2 * OFFSET  # every lane of an encoded vector is below this
CAPACITY = (1 << LANE_BITS) // LANE_RANGE  # vectors that can be summed before a lane could reach 2**32
_MASK = (1 << LANE_BITS) - 1
_SCALE = 1000


def encode(vector: Sequence[float]) -> int:
    """``vector`` (weights to 3 decimals, at most ``MAX_WEIGHT``) as one int of lanes."""
    if any(abs(w) > MAX_WEIGHT for w in vector):
        raise ValueError(f"a weight beyond {MAX_WEIGHT:g} cannot be encoded in lanes")
    return from_offset([round(_SCALE * w) + OFFSET for w in vector])


def from_offset(row: Sequence[int]) -> int:
    """A vector given as its lanes (thousandths + ``OFFSET``) as one int."""
    return int.from_bytes(row_format(len(row)).pack(*row), "little")


@functools.cache
def row_format(width: int) -> struct.Struct:
    """The bytes of one encoded vector: its lanes as little-endian uint32 (``int.from_bytes`` of them
    is the encoded int)."""
    return struct.Struct(f"<{width}I")


def offsets(width: int) -> int:
    """The encoded zero vector: what each encoded vector adds besides its weights."""
    return encode([0.0] * width)


def merge_limit(largest: int) -> int:
    """How many vectors of weights at most ``largest`` thousandths can be summed into one vector (their sum
    less the extra offsets) whose lanes stay in range."""
    return max(1, min(CAPACITY, (OFFSET - 1) // max(largest, 1)))


def by_label(rows: Iterable[tuple[str, int]], index: int) -> dict[str, float]:
    """Weight ``index`` of labelled encoded vectors, summed per label."""
    return {label: value / _SCALE for label, value in _label_sums(rows, index).items()}


def top_by_label(rows: Iterable[tuple[str, int]], index: int, n: int) -> list[tuple[str, float]]:
    """The ``n`` largest of ``by_label(rows, index)``, largest first (ties: first met first), as
    ``heapq.nlargest`` of its items picks them; only those ``n`` sums are turned into floats (the
    sums are exact thousandths, so they order as their floats do)."""
    # sorted(...)[:n] is what nlargest documents itself as; for a text's few dozen labels it is all C.
    top = sorted(_label_sums(rows, index).items(), key=itemgetter(1), reverse=True)[:n]
    return [(label, value / _SCALE) for label, value in top]


def _label_sums(rows: Iterable[tuple[str, int]], index: int) -> dict[str, int]:
    """Weight ``index`` of labelled encoded vectors, summed per label, in thousandths."""
    shift, mask, offset = LANE_BITS * index, _MASK, OFFSET
    sums: dict[str, int] = {}
    get = sums.get
    for label, value in rows:
        sums[label] = get(label, 0) + ((value >> shift) & mask) - offset
    return sums


def logits(rows: Sequence[tuple[str, int]], bias: Sequence[float], scale: float) -> list[float]:
    """``bias + scale * total(...)`` of labelled encoded vectors, lane by lane: the same floats as the two steps,
    in one pass over the lanes (scoring's; a list of the sums saved)."""
    width = len(bias)
    if len(rows) > CAPACITY:
        return [b + scale * s for b, s in zip(bias, total([value for _, value in rows], width), strict=True)]
    base = len(rows) * OFFSET
    raw = sum(map(_vector, rows)).to_bytes(4 * width, "little")
    return [b + scale * ((value - base) / _SCALE) for b, value in zip(bias, row_format(width).unpack(raw), strict=True)]


_vector = itemgetter(1)


def total(encoded: Sequence[int], width: int) -> list[float]:
    """The sum of encoded vectors, as ``width`` floats."""
    if len(encoded) <= CAPACITY:  # (every text but a huge one: one chunk)
        base = len(encoded) * OFFSET
        raw = sum(encoded).to_bytes(4 * width, "little")
        return [(value - base) / _SCALE for value in row_format(width).unpack(raw)]
    sums = [0] * width  # thousandths, exact
    for start in range(0, len(encoded), CAPACITY):  # no lane overflows: a long text's vectors in chunks
        chunk = encoded[start : start + CAPACITY]
        raw, base = sum(chunk).to_bytes(4 * width, "little"), len(chunk) * OFFSET
        for j, value in enumerate(row_format(width).unpack(raw)):
            sums[j] += value - base
    return [t / _SCALE for t in sums]
