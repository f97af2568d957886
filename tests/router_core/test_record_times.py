"""The times of an audit line's execution_metrics: to the millisecond, as the line's own timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router_core.execution.results import TaskOutcome
from router_core.records import execution_metrics, iso_ms

T0 = 1_772_445_600.0  # 2026-03-02T10:00:00Z


def by_datetime(at: float) -> str:
    """The audit line's stamp as it was written before iso_ms wrote it (audit.iso_utc): the reference."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_start_and_end_times_are_to_the_millisecond_like_the_lines_timestamp():
    outcome = TaskOutcome(task_id="t1", status="success", started_at=T0 + 0.25, ended_at=T0 + 1.5)
    metrics = execution_metrics(outcome)
    assert metrics["start_time"] == "2026-03-02T10:00:00.250Z" == by_datetime(T0 + 0.25)
    assert metrics["end_time"] == "2026-03-02T10:00:01.500Z"


@pytest.mark.parametrize("offset", [0.0, 0.0004, 0.0005, 0.9994, 0.9999996, 59.999, 86_399.9999999, -0.25])
def test_iso_ms_writes_what_the_audit_stamp_writes(offset):
    assert iso_ms(T0 + offset) == by_datetime(T0 + offset)


@pytest.mark.parametrize("epoch", [1_796_672_451.2109995, 1_796_816_266.0009995, 1_796_793_260.8989995])
def test_iso_ms_rounds_as_the_audit_stamp_where_the_product_by_a_million_would_not(epoch):
    assert iso_ms(epoch) == by_datetime(epoch)  # .210Z, .000Z, .898Z: round(epoch * 1e6) gave .211Z, .001Z, .899Z


def test_iso_ms_never_raises():
    assert iso_ms(None) is None
    assert iso_ms(float("nan")) is None
    assert iso_ms(1e300) == "9999-12-31T23:59:59.000Z"
    assert iso_ms(-1e300) == "0001-01-01T00:00:00.000Z"
