"""How late a server's event loop wakes while another process writes the shared state database.

    .venv/bin/python bench/loop_lag.py [--seconds 8] [--parallel 4] [--hold 2.0] [--every 3.0]
        [--cases alone,writer,holder,paced]

A server-like process runs ``parallel`` dispatch loops against the fake provider (its own process) with a
probe task beside them that sleeps 5 ms and records how late it wakes: the loop's lag, which every other
session, ping and progress notice of an HTTP server shares. It is measured three times, each for ``seconds``:

- alone: no other process;
- writer: a second Switchboard process dispatches flat out on the same state directory;
- holder: a second process takes BEGIN IMMEDIATE and holds it ``hold`` seconds, every ``every`` seconds (a
  sqlite3 shell left in a transaction, a backup, a process stopped in a debugger while writing);
- paced: the same holder, while the dispatches mostly wait for room at the provider (6 requests a minute, with
  wait=true) and their reservations and leases are heartbeaten every second (budget.reservation_ttl_seconds 3):
  the writes of tasks that wait rather than run.

Printed per case: dispatches done, and the probe's lag (median, p99, max, and how many wakes were late by
more than 50 ms). SQLite's busy handler sleeps synchronously, so a write transaction begun on the loop
while another process holds the lock stalls the whole loop until it gets it.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.execution.fake_process import spawn  # noqa: E402

TASKS = [
    "Implement a JWT login endpoint in Flask", "Fix the off-by-one bug in the pagination helper",
    "Refactor the payment module into smaller functions", "Write unit tests for the CSV parser",
]
PROBE = 0.005  # seconds the probe sleeps
# High limits: pacing must not park the dispatches (that would be an await, not a stall).
CONFIG = "[providers.codex]\nrequests_per_minute = 1000000\ntokens_per_minute = 1000000000\n"
# The paced case: tasks wait for room, heartbeating every second (a third of the reservations' TTL).
PACED = ("[providers.codex]\nrequests_per_minute = 6\ntokens_per_minute = 1000000000\n"
         "[execution]\nrequest_timeout_seconds = 1\ncli_timeout_seconds = 1\nmax_park_seconds = 3600\n"
         "[budget]\nreservation_ttl_seconds = 3\n")


def environ(home: str, urls: dict) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": home, "PYTHONPATH": str(ROOT),
            "SWITCHBOARD_HOME": os.path.join(home, "state"), "SWITCHBOARD_CONFIG": os.path.join(home, "config.toml"),
            "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": urls["codex"]}


async def serve(seconds: float, parallel: int, probe: bool, wait: bool = False) -> dict:
    """Dispatch loops (and the probe) for ``seconds``, in this process; settings from the environment. ``wait``:
    the dispatches wait for capacity (wait=true), and are cancelled when the time is up."""
    from config import load_settings
    from router_core.core import RouterCore
    from router_core.execution.adapters import build_adapters, http_client
    from router_core.execution.dispatch import dispatch
    from router_core.execution.executor import Executor

    settings = load_settings()
    core = await anyio.to_thread.run_sync(RouterCore.build, settings)
    lags: list[float] = []
    done = 0
    async with http_client(settings) as client:
        executor = Executor(core, build_adapters(settings, client=client, clock=core.clock, which=lambda _: None))
        if not wait:  # (a waiting one would wait for the window the others filled)
            await dispatch(core, executor, TASKS[0], provider="codex")  # warm up (classifier, connections)
        end = time.monotonic() + seconds

        async def loop(k: int) -> None:
            nonlocal done
            i = k
            while time.monotonic() < end:
                result = await dispatch(core, executor, TASKS[i % len(TASKS)] + f" ({os.getpid()}, {i})",
                                        provider="codex", wait=wait)
                assert result.outcome.status == "success", result.outcome.error
                done += 1
                i += parallel

        async def lag() -> None:
            while time.monotonic() < end:
                start = time.monotonic()
                await anyio.sleep(PROBE)
                lags.append(time.monotonic() - start - PROBE)

        async def stop() -> None:
            await anyio.sleep(max(0.0, end - time.monotonic()))
            tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            for k in range(parallel):
                tg.start_soon(loop, k)
            if probe:
                tg.start_soon(lag)
            if wait:
                tg.start_soon(stop)
    core.db.close()
    return {"done": done, "lags": lags}


def hold(db: Path, seconds: float, hold_for: float, every: float) -> None:
    """Take the write lock for ``hold_for`` seconds every ``every`` seconds, for ``seconds``."""
    conn = sqlite3.connect(db, timeout=15, isolation_level=None)
    end = time.monotonic() + seconds
    time.sleep(min(0.5, every))
    while time.monotonic() < end:
        conn.execute("BEGIN IMMEDIATE")
        time.sleep(hold_for)
        conn.execute("ROLLBACK")
        time.sleep(max(0.0, every - hold_for))
    conn.close()


def other(case: str, env: dict, args: argparse.Namespace) -> subprocess.Popen | None:
    if case == "alone":
        return None
    spec = {"case": "holder" if case == "paced" else case, "seconds": args.seconds + 1.0, "parallel": args.parallel, "hold": args.hold,
            "every": args.every, "db": os.path.join(env["SWITCHBOARD_HOME"], "switchboard.db")}
    return subprocess.Popen([sys.executable, __file__, "--other", json.dumps(spec)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL)


def report(case: str, result: dict) -> None:
    lags = sorted(result["lags"])
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    late = sum(1 for x in lags if x > 0.05)
    print(f"{case:7} dispatches {result['done']:5}   loop lag: median {statistics.median(lags) * 1e3:7.2f} ms, "
          f"p99 {p99 * 1e3:8.2f} ms, max {lags[-1] * 1e3:8.2f} ms, >50 ms {late} of {len(lags)} wakes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="each case's length")
    parser.add_argument("--parallel", type=int, default=4, help="concurrent dispatch loops in each process")
    parser.add_argument("--hold", type=float, default=2.0, help="seconds the holder keeps BEGIN IMMEDIATE")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between the holder's transactions")
    parser.add_argument("--cases", default="alone,writer,holder,paced")
    parser.add_argument("--other", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.other:  # the second process
        spec = json.loads(args.other)
        if spec["case"] == "holder":
            hold(Path(spec["db"]), spec["seconds"], spec["hold"], spec["every"])
        else:
            anyio.run(serve, spec["seconds"], spec["parallel"], False)
        return
    with spawn() as fake:
        for case in args.cases.split(","):
            with tempfile.TemporaryDirectory() as home:  # the paced case's shared budget settings differ
                (Path(home) / "config.toml").write_text(PACED if case == "paced" else CONFIG)
                env = environ(home, fake["base_urls"])
                os.environ.update(env)
                anyio.run(serve, 0.1, 1, False, case == "paced")  # the database, made before the other process opens it
                proc = other(case, env, args)
                try:
                    if proc is not None:
                        time.sleep(2.0)  # the other process builds its core first
                    report(case, anyio.run(serve, args.seconds, args.parallel, True, case == "paced"))
                finally:
                    if proc is not None:
                        proc.terminate()
                        proc.wait()


if __name__ == "__main__":
    main()
