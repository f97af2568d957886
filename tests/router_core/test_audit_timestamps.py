"""Audit lines stamped to the second (files written before every line was to the millisecond) and to the
millisecond are read, filtered and ordered alike."""

from __future__ import annotations

from router_core.audit import JsonlAuditLog
from router_core.clock import FakeClock


def test_lines_to_the_second_and_to_the_millisecond_are_read_alike(log: JsonlAuditLog, clock: FakeClock) -> None:
    # Recommendation and dispatch lines were stamped to the second before every line was to the millisecond:
    # files written before are read, filtered and ordered with those of now.
    log.append({"timestamp": "2026-03-02T10:00:00Z", "n": 1})
    clock.advance(0.25)
    log.append({"n": 2})
    clock.advance(1)
    log.append({"n": 3})
    assert [r["timestamp"] for r in log.tail(5)] == ["2026-03-02T10:00:00Z", "2026-03-02T10:00:00.250Z",
                                                     "2026-03-02T10:00:01.250Z"]
    assert [r["n"] for r in log.tail(5, since="2026-03-02T10:00:00.100Z")] == [2, 3]
    assert [r["n"] for r in log.tail(5, since="2026-03-02T10:00:00Z")] == [1, 2, 3]
