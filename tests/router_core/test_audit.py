"""The JSONL audit trail: line format, redaction, rotation, reading back, and the design's jq queries."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path

import pytest

from router_core import audit_lines
from router_core.audit import JsonlAuditLog
from router_core.clock import FakeClock
from router_core.errors import InvalidRequest
from router_core.settings import AuditSettings
from tests.conftest import T0

DAY = "2026-03-02"  # the shared fake clock's day (tests/conftest.py)


def decision(provider: str, reason: str, status: str, seconds: float, cost: str) -> dict:
    """A record shaped like design 10.1."""
    return {
        "task_id": f"task-{provider}-{seconds}",
        "task_classification": {"primary_provider": provider, "primary_score": 80},
        "recommendation": {"provider": provider, "provider_reason": reason, "cost_estimate": "$0.45"},
        "execution_metrics": {"status": status, "execution_time_seconds": seconds, "cost_actual": cost},
    }


def test_one_compact_line_per_record_with_a_utc_timestamp(log: JsonlAuditLog) -> None:
    written = log.append({"task_description": "Résumé → naïve", "n": 1})
    raw = (log.directory / f"provider_recommendations-{DAY}.jsonl").read_bytes()
    assert raw == '{"timestamp":"2026-03-02T10:00:00.000Z","task_description":"Résumé → naïve","n":1}\n'.encode()
    assert written == json.loads(raw)


def test_an_existing_timestamp_is_kept(log: JsonlAuditLog) -> None:
    assert log.append({"timestamp": "2025-01-11T10:30:00Z"})["timestamp"] == "2025-01-11T10:30:00Z"


def test_secrets_are_redacted_but_token_counts_kept(log: JsonlAuditLog) -> None:
    written = log.append({
        "api_key": "abc",
        "headers": {"Authorization": "Bearer abc.def.ghi", "x-api-key": "k", "X-Goog-Api-Key": "g", "accept": "json"},
        "nested": [{"password": "hunter2", "access_token": "a", "refresh_token": "r", "client_secret": "s"}],
        "openai_api_key": "x",
        "tokens_used": 8500,
        "input_tokens": 12,
        "max_tokens": 100,
        "unset_key": {"api_key": None},
        "text": "my key is sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA and AIzaSyA1234567890abcdefghijklmnopqrstu ok",
        "log": "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload'",
        "task_id": "task-12345678901234567890123",
        "note": "sk-short",
    })
    line = (log.directory / f"provider_recommendations-{DAY}.jsonl").read_text()
    for secret in ("abc", "hunter2", "AAAAAAAA", "AIzaSy", "eyJhbG", '"k"', '"g"', '"x"'):
        assert secret not in line
    assert written["headers"] == {
        "Authorization": "[redacted]", "x-api-key": "[redacted]", "X-Goog-Api-Key": "[redacted]", "accept": "json"
    }
    assert written["nested"] == [dict.fromkeys(("password", "access_token", "refresh_token", "client_secret"),
                                               "[redacted]")]
    assert (written["tokens_used"], written["input_tokens"], written["max_tokens"]) == (8500, 12, 100)
    assert written["unset_key"] == {"api_key": None}
    assert written["text"] == "my key is [redacted] and [redacted] ok"
    assert written["log"] == "curl -H 'Authorization: Bearer [redacted]'"
    assert written["task_id"] == "task-12345678901234567890123"  # "sk-" inside a word is not a key
    assert written["note"] == "sk-short"


class Route(Enum):
    PRIMARY = "primary"


@dataclass(frozen=True)
class Cost:
    usd: float
    api_key: str


def test_values_that_are_not_json_are_made_json(log: JsonlAuditLog) -> None:
    written = log.append({
        "nan": float("nan"), "tuple": (1, 2), "set": {3}, "path": Path("/tmp/x"), "route": Route.PRIMARY,
        "cost": Cost(0.5, "sk-proj-abcdefghijklmnopqrstuv"), "day": date(2026, 3, 2),
    })
    assert written == {
        "timestamp": "2026-03-02T10:00:00.000Z", "nan": None, "tuple": [1, 2], "set": [3], "path": "/tmp/x",
        "route": "primary", "cost": {"usd": 0.5, "api_key": "[redacted]"}, "day": "2026-03-02",
    }


def test_disabled_log_writes_nothing(tmp_path: Path, clock: FakeClock) -> None:
    log = JsonlAuditLog(tmp_path / "a", AuditSettings(enabled=False), clock)
    assert log.append({"x": 1})["x"] == 1
    assert log.days() == []


def test_tail_filters_and_returns_most_recent_last(log: JsonlAuditLog, clock: FakeClock) -> None:
    log.append(decision("codex", "primary available", "success", 10, "$0.10"))
    clock.advance(86_400)
    log.append(decision("claude", "primary available", "success", 20, "$0.20"))
    clock.advance(60)
    log.append(decision("codex", "primary blocked, using fallback 1", "failed", 30, "$0.30"))
    clock.advance(60)
    log.append({"event": "usage_recorded", "provider": "codex"})
    assert [r.get("task_id") for r in log.tail(2)] == ["task-codex-30", None]
    by_codex = ["task-codex-10", "task-codex-30", "usage_recorded"]  # the usage entered for codex too
    assert [(r.get("task_id") or r.get("event")) for r in log.tail(provider="codex")] == by_codex
    assert [r["task_id"] for r in log.tail(status="failed")] == ["task-codex-30"]
    assert [r["event"] for r in log.tail(status="usage_recorded")] == ["usage_recorded"]
    assert [(r.get("task_id") or r.get("event")) for r in log.tail(provider="codex", since="2026-03-03")] == by_codex[1:]
    assert len(log.tail(since="2026-03-03T10:01:00Z")) == 2
    assert len(log.tail(since="2026-03-03T11:01:00+01:00")) == 2
    assert log.tail(0) == []
    with pytest.raises(InvalidRequest, match="ISO date"):
        log.tail(since="yesterday")


def test_provider_filter_finds_fallbacks_and_outages(log: JsonlAuditLog) -> None:
    # `audit --provider gemini` missed a task routed to codex that ran on gemini, and every outage of gemini.
    log.append({"event": "dispatch", "task_id": "fell-back", "recommendation": {"provider": "codex"},
                "execution_metrics": {"provider": "gemini", "status": "success"}})
    log.append({"event": "outage", "provider": "gemini", "reason": "3 failures"})
    log.append({"event": "dispatch", "task_id": "stayed", "recommendation": {"provider": "codex"},
                "execution_metrics": {"provider": "codex", "status": "success"}})
    assert [(r.get("task_id") or r.get("event")) for r in log.tail(provider="gemini")] == ["fell-back", "outage"]
    assert [r["task_id"] for r in log.tail(provider="codex")] == ["fell-back", "stayed"]


def test_since_with_an_offset_reaches_back_into_the_previous_utc_day(log: JsonlAuditLog, clock: FakeClock) -> None:
    clock.set(T0 + 11 * 3600)  # 2026-03-02T21:00:00Z, which is already 03-03 at +05:00
    log.append({"x": 1})
    assert [r["x"] for r in log.tail(since="2026-03-03T01:00:00+05:00")] == [1]
    assert log.tail(since="2026-03-03T02:00:01+05:00") == []


def test_days_read_day_and_prune(tmp_path: Path, clock: FakeClock) -> None:
    log = JsonlAuditLog(tmp_path / "a", AuditSettings(keep_days=2), clock)
    for _ in range(4):
        log.append({"x": 1})
        clock.advance(86_400)
    assert log.days() == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    clock.advance(-86_400)  # now 2026-03-05: keep the 2 days before it and itself
    assert log.prune() == 1
    assert log.days() == ["2026-03-03", "2026-03-04", "2026-03-05"]
    assert log.read_day("2026-03-02") == []
    with pytest.raises(InvalidRequest):
        log.read_day("../../etc/passwd")


def test_days_past_keep_days_are_pruned_on_the_first_append_of_each_day(tmp_path: Path, clock: FakeClock) -> None:
    log = JsonlAuditLog(tmp_path / "a", AuditSettings(keep_days=2), clock, prune_daily=True)
    old = log.part_path("2026-02-01", 0), log.part_path("2026-02-01", 1)
    for path in old:
        path.write_text('{"x":1}\n')
    log.append({"x": 1})
    assert not any(path.exists() for path in old)
    log.append({"x": 2})
    clock.advance(3 * 86_400)
    log.append({"x": 3})  # a new day: the first one has passed keep_days
    assert log.days() == [log.days()[-1]] and len(log.read_day(log.days()[-1])) == 1


def test_the_cores_audit_log_prunes(keyword_core) -> None:
    log = keyword_core.audit
    log.part_path("2001-01-01", 0).write_text('{"x":1}\n')
    keyword_core.decide("Write unit tests for the parser")
    assert "2001-01-01" not in log.days()


def test_unparsable_lines_are_skipped_and_counted(log: JsonlAuditLog) -> None:
    log.append({"i": 1})
    path = log.parts(DAY)[0]
    with path.open("a") as f:
        f.write("{not json\n[1, 2]\n")
    log.append({"i": 2})
    with path.open("a") as f:
        f.write('{"i": 3, "half-writ')  # a line still being written: not data yet, not an error
    assert [r["i"] for r in log.read_day(DAY)] == [1, 2]
    assert log.skipped_lines == 2


def test_numbers_no_json_reply_can_carry_are_skipped_lines(log: JsonlAuditLog) -> None:
    # Infinity in a record made audit://recent, `audit --json` and `audit report --json` print invalid
    # JSON, and a 400-digit cost crashed the report (OverflowError in float()).
    log.append({"i": 1, "cost_usd": 0.5, "tokens": 42, "tiny": 1e-300})
    with log.parts(DAY)[0].open("a") as f:
        for number in ("1e400", "-1e999", "NaN", "Infinity", "-Infinity", "9" * 400):
            f.write(f'{{"i": 9, "cost_usd": {number}}}\n')
    log.append({"i": 2})
    assert [r["i"] for r in log.read_day(DAY)] == [1, 2]
    assert log.skipped_lines == 6
    assert [r["i"] for r in log.tail(5)] == [1, 2]
    assert log.read_day(DAY)[0]["tiny"] == 1e-300


# -- the design's section 10.2 queries ------------------------------------------------------------

SAMPLE = [
    decision("claude", "primary available", "success", 50, "$0.51"),
    decision("codex", "primary available", "success", 12, "$0.08"),
    decision("codex", "primary blocked, using fallback 1", "success", 20, "$0.10"),
    decision("gemini", "primary available", "failed", 7, "$0.00"),
    decision("codex", "primary available", "success", 31, "$0.12"),
]


@pytest.fixture
def sample_file(log: JsonlAuditLog, clock: FakeClock) -> Path:
    for record in SAMPLE[:3]:
        log.append(record)
    clock.advance(86_400)
    for record in SAMPLE[3:]:
        log.append(record)
    combined = log.directory / "provider_recommendations.jsonl"  # what `cat *.jsonl >` would give
    combined.write_bytes(b"".join(p.read_bytes() for d in log.days() for p in log.parts(d)))
    return combined


def python_answers(records: list[dict]) -> dict:
    by_provider: dict[str, list[float]] = {}
    for r in records:
        by_provider.setdefault(r["recommendation"]["provider"], []).append(r["execution_metrics"]["execution_time_seconds"])
    return {
        "distribution": Counter(r["recommendation"]["provider"] for r in records),
        "per_day": Counter(r["timestamp"].split("T")[0] for r in records),
        "fallbacks": sum(r["recommendation"]["provider_reason"] != "primary available" for r in records),
        "average": {p: sum(v) / len(v) for p, v in by_provider.items()},
    }


def test_design_queries_in_python(sample_file: Path, log: JsonlAuditLog) -> None:
    records = [r for d in log.days() for r in log.read_day(d)]
    answers = python_answers(records)
    assert answers["distribution"] == {"codex": 3, "claude": 1, "gemini": 1}
    assert answers["per_day"] == {"2026-03-02": 3, "2026-03-03": 2}
    assert answers["fallbacks"] == 1
    assert answers["average"] == {"claude": 50, "codex": 21, "gemini": 7}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed; the Python equivalents still run")
def test_design_jq_queries_run_on_the_log(sample_file: Path, log: JsonlAuditLog) -> None:
    expected = python_answers([json.loads(line) for line in sample_file.read_text().splitlines()])

    def sh(query: str) -> str:
        return subprocess.run(
            ["bash", "-c", query.replace("logs/provider_recommendations.jsonl", str(sample_file))],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout

    # Verbatim from design 10.2.
    counts = sh("jq '.recommendation.provider' logs/provider_recommendations.jsonl | sort | uniq -c")
    assert {line.split()[1].strip('"'): int(line.split()[0]) for line in counts.splitlines()} == expected["distribution"]

    days = sh(
        "jq '.timestamp, .execution_metrics.cost_actual' logs/provider_recommendations.jsonl"
        " | paste - - | cut -d'T' -f1 | uniq -c"
    )
    assert {line.split()[1].strip('"'): int(line.split()[0]) for line in days.splitlines()} == expected["per_day"]

    fallbacks = sh(
        "jq 'select(.recommendation.provider_reason != \"primary available\")' logs/provider_recommendations.jsonl"
        " | wc -l"
    )
    # Verbatim, wc counts the lines of jq's pretty-printed records, not records; `jq -c` counts records.
    selected = [json.loads(x) for x in sample_file.read_text().splitlines()]
    selected = [r for r in selected if r["recommendation"]["provider_reason"] != "primary available"]
    assert int(fallbacks) == sum(len(json.dumps(r, indent=2).splitlines()) for r in selected)
    assert sh(
        "jq -c 'select(.recommendation.provider_reason != \"primary available\")' logs/provider_recommendations.jsonl"
        " | wc -l"
    ).strip() == str(expected["fallbacks"])

    averages = sh(
        "jq '[.recommendation.provider, .execution_metrics.execution_time_seconds] | @csv'"
        " logs/provider_recommendations.jsonl"
        " | awk -F',' '{sum[$1]+=$2; count[$1]++} END {for (p in sum) print p, sum[p]/count[p]}'"
    )
    got = {line.split()[0].strip('"\\'): float(line.split()[1]) for line in averages.splitlines()}
    assert got == expected["average"]


def test_fast_path_precheck_flags_every_secret_key_and_spares_counters():
    import json as _json

    from router_core.redact import _SECRET_KEYS, _SECRET_SUFFIXES, may_hold_secret

    for key in [*_SECRET_KEYS, *("provider" + s for s in _SECRET_SUFFIXES)]:
        assert may_hold_secret(_json.dumps({key: "x"})), key
    for key in ("tokens", "tokens_used", "input_tokens", "tokens_percent", "task_description"):
        assert not may_hold_secret(_json.dumps({key: "x"})), key
    assert may_hold_secret(_json.dumps({"task_description": "use sk-ant-abcdefghijklmnopqrstuv"}))
    assert may_hold_secret(_json.dumps({"task_id": "task-1", "task_description": "uses sk-abcdefghijklmnopqrstuv"}))
    assert not may_hold_secret(_json.dumps({"task_id": "task-0a1b2c", "note": "ask-me later"}))
    assert not may_hold_secret(_json.dumps({"reasons": ["strong keyword 'fix'"], "keys": ["monkey"]}))
    assert may_hold_secret(_json.dumps({"headers": {"X-Api-Key": "abc"}}))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fast_path_precheck_flags_github_tokens_but_not_words_with_gh():
    import json as _json

    from router_core.redact import may_hold_secret

    for token in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
        assert may_hold_secret(_json.dumps({"task_description": f"push with {token}{'a' * 36}"})), token
    assert may_hold_secret(_json.dumps({"task_description": f"github_pat_{'B' * 40} leaked"}))
    assert not may_hold_secret(_json.dumps({"task_description": "walk through the high-level design"}))


def test_a_lone_surrogate_is_written_as_the_replacement_character(log: JsonlAuditLog) -> None:
    log.append({"task_description": "half a pair: \ud83d here"})  # a host's JSON may carry "\ud83d" alone
    raw = (log.directory / f"provider_recommendations-{DAY}.jsonl").read_bytes()
    assert json.loads(raw.decode("utf-8"))["task_description"] == "half a pair: \ufffd here"  # jq reads it


def test_an_older_lines_escaped_lone_surrogate_reads_back_as_the_replacement_character(log: JsonlAuditLog) -> None:
    # Earlier versions wrote it as a JSON escape; read back, it was a str nothing could encode or send.
    path = log.directory / f"provider_recommendations-{DAY}.jsonl"
    path.write_text('{"repo":"\\udcff","task_description":"C:\\\\udcff and \\ud83d\\ude00"}\n')
    (record,) = log.read_day(DAY)
    assert record == {"repo": "\ufffd", "task_description": "C:\\udcff and \U0001f600"}
    assert log.tail(1) == [record]


def test_external_strings_alone_decide_whether_a_line_is_redacted(log: JsonlAuditLog) -> None:
    record = {"task_description": "deploy with sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA", "note": "ours"}
    assert log.append(record, external=[record["task_description"]])["task_description"] == "deploy with [redacted]"
    # The caller vouches for everything else: a record whose external strings are clean is written as it is.
    assert log.append({"note": "Bearer abcdefgh12345"}, external=["clean text"])["note"] == "Bearer abcdefgh12345"
    assert log.append({"note": "Bearer abcdefgh12345"})["note"] == "Bearer [redacted]"



def test_lines_read_backwards_in_blocks_are_the_lines_newest_first(tmp_path):
    # tail() and audit://{day} read a part from its end, so that 20 lines of a 20 MiB part do not read the part.
    rnd = random.Random(5)
    path = tmp_path / "part.jsonl"
    for _ in range(500):
        lines = [bytes(rnd.choice(b"ab ") for _ in range(rnd.randint(0, 40))) for _ in range(rnd.randint(0, 12))]
        data = b"\n".join(lines) + (b"\n" if rnd.random() < 0.7 else b"") + (b"being written" if rnd.random() < 0.3
                                                                             else b"")
        path.write_bytes(data)
        expected = list(reversed(list(audit_lines.lines(path))))
        for block in (1, 2, 7, 64):
            assert list(audit_lines.lines_backwards(path, block)) == expected, (data, block)


def test_records_of_a_large_part_are_read_a_line_at_a_time(tmp_path, clock):
    # audit.max_bytes has no upper bound: with it raised, a busy day is one part of gigabytes, and `audit report`
    # held the whole part (its bytes, then its lines: twice its size) in memory.
    import tracemalloc

    log = JsonlAuditLog(tmp_path / "audit", AuditSettings(max_bytes=10**12), clock)
    line = json.dumps({"event": "recommendation", "task_description": "x" * 1000}).encode() + b"\n"
    (log.directory / f"provider_recommendations-{DAY}.jsonl").write_bytes(line * 8000 + b'{"being written')
    tracemalloc.start()
    try:
        assert sum(1 for _ in log.records()) == 8000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak  # the part is 8 MB
    assert log.skipped_lines == 0


def test_a_tail_passes_over_an_unterminated_stretch_without_holding_it(log: JsonlAuditLog):
    # A crash can leave a part ending in a run of NULs with no newline; until the next append ends it, tail()
    # (audit://recent, `switchboard audit`, the dashboard) kept all of it in memory to drop it whole.
    import tracemalloc

    for i in range(5):
        log.append({"n": i})
    with (log.directory / f"provider_recommendations-{DAY}.jsonl").open("ab") as f:
        f.write(b"\0" * 8_000_000)
    tracemalloc.start()
    try:
        assert [r["n"] for r in log.tail(5)] == [0, 1, 2, 3, 4]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, peak
    assert log.skipped_lines == 0  # a line still being written, for all a reader knows
