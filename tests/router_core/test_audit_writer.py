"""The audit log's files shared by writers: rotation, torn lines, threads, forks, parts and directories
deleted or renamed under a running writer (router_core/audit_writer.py)."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

from router_core.audit import JsonlAuditLog, utc_day
from router_core.audit_writer import PREFIX
from router_core.clock import FakeClock
from router_core.settings import AuditSettings
from tests.router_core.test_audit import DAY


def test_rotation_by_size_keeps_order_and_every_line(tmp_path: Path, clock: FakeClock) -> None:
    log = JsonlAuditLog(tmp_path / "a", AuditSettings(max_bytes=1000), clock)
    for i in range(30):
        log.append({"i": i, "pad": "x" * 150})
    parts = log.parts(DAY)
    assert [p.name for p in parts[:3]] == [
        f"provider_recommendations-{DAY}.jsonl",
        f"provider_recommendations-{DAY}.1.jsonl",
        f"provider_recommendations-{DAY}.2.jsonl",
    ]
    assert all(p.stat().st_size <= 1000 for p in parts)
    assert [r["i"] for r in log.read_day(DAY)] == list(range(30))
    log.append({"i": 30, "pad": "y" * 5000})  # a line larger than max_bytes gets a part of its own
    assert log.read_day(DAY)[-1]["i"] == 30
    assert log.parts(DAY)[-1].stat().st_size > 5000


def test_a_second_writer_continues_the_latest_part(tmp_path: Path, clock: FakeClock) -> None:
    settings = AuditSettings(max_bytes=400)
    a, b = JsonlAuditLog(tmp_path / "a", settings, clock), JsonlAuditLog(tmp_path / "a", settings, clock)
    for i in range(10):
        (a if i % 2 else b).append({"i": i, "pad": "x" * 100})
    assert [r["i"] for r in a.read_day(DAY)] == list(range(10))


def test_a_write_after_a_torn_line_starts_on_a_new_line(log: JsonlAuditLog) -> None:
    log.append({"i": 1})
    with log.parts(DAY)[0].open("a") as f:
        f.write('{"torn')
    log.append({"i": 2})
    assert [r["i"] for r in log.read_day(DAY)] == [1, 2]
    assert log.skipped_lines == 1


def test_threads_appending_large_lines_never_tear_them(tmp_path: Path, clock: FakeClock) -> None:
    log = JsonlAuditLog(tmp_path / "a", AuditSettings(max_bytes=200_000), clock)

    def work(n: int) -> None:
        for i in range(25):
            log.append({"writer": n, "i": i, "pad": str(n) * 20_000})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = log.read_day(DAY)
    assert log.skipped_lines == 0
    assert len(records) == 150
    assert all(r["pad"] == str(r["writer"]) * 20_000 for r in records)
    assert {(r["writer"], r["i"]) for r in records} == {(n, i) for n in range(6) for i in range(25)}


def test_a_part_deleted_while_this_process_holds_it_open_is_made_again(log: JsonlAuditLog) -> None:
    log.append({"i": 1})
    log.parts(DAY)[0].unlink()
    log.append({"i": 2})
    assert [r["i"] for r in log.read_day(DAY)] == [2]


def test_lines_from_another_writer_between_ours_are_kept_whole(tmp_path: Path, clock: FakeClock) -> None:
    a, b = JsonlAuditLog(tmp_path / "a", AuditSettings(), clock), JsonlAuditLog(tmp_path / "a", AuditSettings(), clock)
    for i in range(6):
        (a if i % 3 else b).append({"i": i})
    with a.parts(DAY)[0].open("a") as f:
        f.write('{"torn')  # another writer crashed mid-line after b's write
    a.append({"i": 6})
    assert [r["i"] for r in a.read_day(DAY)] == list(range(7))
    assert a.skipped_lines == 1


def test_a_forked_child_appends_through_its_own_descriptors(log: JsonlAuditLog) -> None:
    log.append({"i": 1})
    pid = os.fork()
    if pid == 0:  # the child: append and leave without running the parent's cleanup
        try:
            log.append({"i": 2})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    log.append({"i": 3})
    assert [r["i"] for r in log.read_day(DAY)] == [1, 2, 3]


def test_a_part_renamed_away_by_a_log_rotating_tool_is_not_written_to_again(log: JsonlAuditLog) -> None:
    log.append({"i": 1})
    part = log.parts(DAY)[0]
    part.rename(part.with_name("rotated-by-a-tool.jsonl"))
    log.append({"i": 2})
    assert [r["i"] for r in log.read_day(DAY)] == [2]


def test_a_deleted_audit_directory_is_made_again_and_every_writer_shares_its_new_lock(tmp_path, clock) -> None:
    # Two writers (two server processes) on one directory that someone deletes while they run.
    first, second = (JsonlAuditLog(tmp_path / "audit", AuditSettings(), clock) for _ in range(2))
    first.append({"i": 1})
    second.append({"i": 2})
    shutil.rmtree(tmp_path / "audit")
    first.append({"i": 3})  # raised FileNotFoundError, and so did every append after it
    second.append({"i": 4})
    assert [r["i"] for r in first.read_day(DAY)] == [3, 4]
    held = {os.fstat(log._appender._lock_fd[1]).st_ino for log in (first, second)}
    assert held == {os.stat(tmp_path / "audit" / f".{PREFIX}.lock").st_ino}
    first.close()
    second.close()


def test_utc_day_names_the_day_of_each_time_around_midnight_in_any_order():
    """utc_day keeps the latest day's name: a time just before midnight (to the microsecond it rounds to)
    and one just after, met in either order, are each named as the date arithmetic names them."""
    midnight = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    times = [midnight - d for d in (86400.0, 1.0, 0.001, 0.0006, 0.0000006, 0.0000004, 0.0)]
    times += [midnight + d for d in (0.0000004, 0.5, 86399.9995, 86400.0)]
    for order in (times, times[::-1], times[::2] + times[1::2]):
        for at in order:
            assert utc_day(at) == (date(1970, 1, 1) + timedelta(seconds=at)).isoformat(), at
