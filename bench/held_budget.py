"""Two servers spend one small day with a batch each: how many tasks run, how many are refused, what is left.

    .venv/bin/python bench/held_budget.py [--out 200] [--root .]

The user journey of issue 3: two Switchboard processes (tests/execution/worker.py) sharing one state directory
each run a 60-task batch (parallel 16) on a $0.30 day (codex $0.12, gemini and claude $0.09) against the fake
providers (0.3 s per answer, ``--out`` output tokens each). A reservation holds a task's estimate until it
settles; with short answers the tasks cost far less than they hold. Prints the statuses, the spend (never above
$0.30) and the seconds the two batches took. ``--root`` runs another checkout's code (a base to compare with).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = ["Implement a CSV export endpoint", "Fix the bug in the data loader", "Explain how the OAuth2 flow works",
         "Design the architecture for a distributed ingest pipeline", "Analyze the logs and document findings",
         "Refactor the payment module"]
ALLOCATION = {"codex": 0.12, "gemini": 0.09, "claude": 0.09}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=int, default=200, help="output tokens of every answer")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    from tests.execution.fakes import fake_environ, fake_server

    tmp = Path(tempfile.mkdtemp())
    lines = ['classifier = "keywords"', "[budget]", f"daily_total = {sum(ALLOCATION.values()):.2f}",
             "[budget.allocation]", *(f"{p} = {usd}" for p, usd in ALLOCATION.items())]
    for p in ALLOCATION:
        lines += [f"[providers.{p}]", "requests_per_minute = 100000", "tokens_per_minute = 100000000"]
    (tmp / "config.toml").write_text("\n".join(lines) + "\n")
    with fake_server(latency=dict.fromkeys(ALLOCATION, 0.3), output_tokens=dict.fromkeys(ALLOCATION, args.out)) as fake:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "PYTHONPATH": str(root),
               "SWITCHBOARD_HOME": str(tmp / "state"), "SWITCHBOARD_CONFIG": str(tmp / "config.toml"),
               **fake_environ(fake)}
        spec = {"tasks": [f"{t} (copy {i})" for i in range(10) for t in TASKS], "parallel": 16,
                "start_at": time.time() + 2}
        procs = [subprocess.Popen([sys.executable, "-m", "tests.execution.worker", json.dumps(spec)], cwd=root,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode:
                sys.exit(err[-2000:])
            results.append(json.loads(out))
    statuses = [s for r in results for s in r["statuses"]]
    spent = sum(c for r in results for c in r["costs"])
    print(json.dumps({
        "success": statuses.count("success"), "budget_exceeded": statuses.count("budget_exceeded"),
        "other": len(statuses) - statuses.count("success") - statuses.count("budget_exceeded"),
        "spent": round(spent, 4), "left": round(sum(ALLOCATION.values()) - spent, 4),
        "seconds": round(max(r["ended"] for r in results) - min(r["started"] for r in results), 1),
    }))


if __name__ == "__main__":
    main()
