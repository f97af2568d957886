"""Throughput of the shared-state operations, each as a ratio to a bare baseline run alongside it.

    .venv/bin/python bench/state_ops.py [--ops 2000] [--procs 4]

Store operations (UsageTracker.record, BudgetLedger.reserve + settle) are compared with a bare
autocommit INSERT into a WAL database with the same pragmas; JsonlAuditLog.append is compared with a
bare os.write of a line of the same size to an O_APPEND file kept open. Each is measured in one process
and in --procs processes started together (throughput = all operations / wall time from the first
start to the last finish). Absolute numbers depend on the machine and disk; the ratios are the point.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from router_core.audit import JsonlAuditLog
from router_core.budget import BudgetLedger
from router_core.clock import SystemClock
from router_core.settings import AuditSettings, BudgetSettings
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.usage import UsageTracker

BUDGET = BudgetSettings(daily_total=1e9, allocations=(("codex", 1e9),))
RECORD = {  # a decision record of typical size, shaped like design 10.1
    "session_id": "session-2026-03-02-001",
    "task_id": "task-12345",
    "task_description": "Design distributed system architecture for data pipeline " * 8,
    "task_classification": {"primary_provider": "claude", "primary_score": 95, "fallback_chain": ["codex", "gemini"],
                            "all_scores": {"claude": 95, "codex": 72, "gemini": 68}},
    "provider_state_at_recommendation": {
        p: {"requests_percent": 72, "tokens_percent": 80, "cost_today": "$8.40", "daily_budget": "$100.00",
            "available": True} for p in ("claude", "codex", "gemini")
    },
    "recommendation": {"provider": "claude", "provider_reason": "primary available", "cost_estimate": "$0.45",
                       "agent_assigned": "claude-architect", "agent_reason": "system design specialization"},
    "execution_metrics": {"status": "success", "execution_time_seconds": 50, "tokens_used": 8500,
                          "cost_actual": "$0.51"},
}
LINE = (json.dumps(RECORD, separators=(",", ":")) + "\n").encode()


def setup(kind: str, root: Path):
    """Return a zero-argument callable doing one operation of ``kind`` against ``root``."""
    clock = SystemClock()
    if kind == "sqlite INSERT (baseline)":
        conn = sqlite3.connect(root / "bare.db", timeout=15, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (provider TEXT, at REAL, requests INTEGER, tokens INTEGER)")
        return lambda: conn.execute("INSERT INTO t VALUES (?, ?, ?, ?)", ("codex", time.time(), 1, 100))
    if kind == "UsageTracker.record":
        usage = UsageTracker(Database(root / "state.db"), clock)
        return lambda: usage.record("codex", requests=1, tokens=100)
    if kind == "reserve + settle":
        ledger = BudgetLedger(Database(root / "state.db"), clock, BUDGET, current_holder())
        return lambda: ledger.settle(ledger.reserve("codex", 0.001).id, 0.001)
    if kind == "os.write append (baseline)":
        fd = os.open(root / "bare.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        return lambda: os.write(fd, LINE)
    if kind == "JsonlAuditLog.append":
        log = JsonlAuditLog(root / "audit", AuditSettings(), clock)
        return lambda: log.append(RECORD)
    raise ValueError(kind)


def worker(kind: str, root: str, ops: int, barrier, results) -> None:
    op = setup(kind, Path(root))
    barrier.wait()
    start = time.time()
    for _ in range(ops):
        op()
    results.put((start, time.time()))


def measure(kind: str, ops: int, procs: int) -> float:
    """Operations per second over all processes."""
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as root:
        setup(kind, Path(root))  # create files and schema before the clock starts
        if procs == 1:
            op = setup(kind, Path(root))
            start = time.perf_counter()
            for _ in range(ops):
                op()
            return ops / (time.perf_counter() - start)
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(procs), ctx.Queue()
        children = [ctx.Process(target=worker, args=(kind, root, ops, barrier, results)) for _ in range(procs)]
        for c in children:
            c.start()
        spans = [results.get(timeout=600) for _ in children]
        for c in children:
            c.join()
        return ops * procs / (max(e for _, e in spans) - min(s for s, _ in spans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per process per measurement")
    parser.add_argument("--procs", type=int, default=4)
    args = parser.parse_args()
    pairs = [
        ("UsageTracker.record", "sqlite INSERT (baseline)"),
        ("reserve + settle", "sqlite INSERT (baseline)"),
        ("JsonlAuditLog.append", "os.write append (baseline)"),
    ]
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
          f"{args.ops} ops per process, audit line {len(LINE)} bytes")
    print(f"{'operation':<24}{'procs':>6}{'ops/s':>12}{'baseline ops/s':>16}{'ratio':>8}")
    for procs in (1, args.procs):
        baselines: dict[str, float] = {}
        for kind, baseline in pairs:
            if baseline not in baselines:
                baselines[baseline] = measure(baseline, args.ops, procs)
            rate = measure(kind, args.ops, procs)
            base = baselines[baseline]
            print(f"{kind:<24}{procs:>6}{rate:>12,.0f}{base:>16,.0f}{rate / base:>8.2f}")


if __name__ == "__main__":
    main()
