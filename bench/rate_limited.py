"""A rate-limited run from two processes against the time the fake's limits allow, and its 429 count.

    .venv/bin/python bench/rate_limited.py [--tasks 300] [--window 2.0] [--rpm 20] [--latency 0.02]

The fake provider (its own process) enforces ``--rpm`` requests per ``--window`` seconds on each of the
three providers and counts every 429 it sends. Two Switchboard processes (tests/execution/worker.py),
configured with the same limits and sharing one state directory, each run half of the tasks as one
batch, starting together. The time the limits allow for n requests on a provider is
(ceil(n / rpm) - 1) * window + latency: full windows back to back, the last one answered after the
latency; the run's bound is the largest over the providers, with n as the fake counted them.
Figures: measured time / that bound (target within 1.1x), and the fake's 429s (target 0).
Pacing counts a request from when its answer arrives (the only moment known to be no earlier than the
provider's count), so each window costs the spread of a burst's answers (tens of ms here): a constant
per window, a larger share of a short one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.execution.fake_process import spawn, stats  # noqa: E402

PROVIDERS = ("codex", "gemini", "claude")
TASKS = [
    "Implement a CSV export endpoint", "Fix the bug in the data loader", "Explain how the OAuth2 flow works",
    "Analyze the logs and document findings", "Design the architecture for a distributed ingest pipeline",
    "Plan the migration strategy for the billing service",
]


def config(window: float, rpm: int) -> str:
    lines = ['classifier = "keywords"', "[execution]", f"rate_window_seconds = {window}", "batch_concurrency = 16"]
    for p in PROVIDERS:
        lines += [f"[providers.{p}]", f"requests_per_minute = {rpm}", "tokens_per_minute = 10000000"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--rpm", type=int, default=20, help="requests per window on each provider")
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    fake_args = ["--window", str(args.window)]
    for p in PROVIDERS:
        fake_args += ["--rpm", f"{p}={args.rpm}", "--latency", f"{p}={args.latency}"]
    with tempfile.TemporaryDirectory() as home, spawn(*fake_args) as fake:
        (Path(home) / "config.toml").write_text(config(args.window, args.rpm))
        urls = fake["base_urls"]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "PYTHONPATH": str(ROOT),
               "SWITCHBOARD_HOME": os.path.join(home, "state"), "SWITCHBOARD_CONFIG": os.path.join(home, "config.toml"),
               "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": urls["codex"], "GEMINI_API_KEY": "k",
               "GEMINI_BASE_URL": urls["gemini"], "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": urls["claude"]}
        half = args.tasks // 2
        start_at = time.time() + 2.0
        procs = []
        for k, count in enumerate((half, args.tasks - half)):
            spec = {"tasks": [f"{TASKS[i % len(TASKS)]} (process {k}, task {i})" for i in range(count)],
                    "parallel": 16, "start_at": start_at}
            procs.append(subprocess.Popen([sys.executable, "-m", "tests.execution.worker", json.dumps(spec)],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"worker failed:\n{err}")
            results.append(json.loads(out))
        counts = stats(fake["root"])
    statuses = [s for r in results for s in r["statuses"]]
    elapsed = max(r["ended"] for r in results) - min(r["started"] for r in results)
    served = {p: counts.get(p, {}).get("requests", 0) for p in PROVIDERS}
    bound = max((math.ceil(n / args.rpm) - 1) * args.window + args.latency for n in served.values() if n)
    sent_429 = sum(c.get("sent_429", 0) for c in counts.values())
    limit_429 = sum(c.get("limit_429", 0) for c in counts.values())
    print(f"{args.tasks} tasks from 2 processes, {args.rpm} requests per {args.window:g}s window on each provider, "
          f"{args.latency:g}s latency")
    print(f"requests per provider: {served}; statuses: {dict((s, statuses.count(s)) for s in set(statuses))}")
    print(f"elapsed {elapsed:.3f}s vs {bound:.3f}s the limits allow -> {elapsed / bound:.3f}x (target <= 1.1x)")
    print(f"429s sent by the fake: {sent_429} (from its limiter: {limit_429}) (target 0)")


if __name__ == "__main__":
    main()
