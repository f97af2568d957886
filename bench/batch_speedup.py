"""run_batch against sequential dispatch at equal provider latency, and a 100-task batch against the ideal.

    .venv/bin/python bench/batch_speedup.py [--latency 0.2] [--tasks 100] [--parallel 10]

The fake provider runs in its own process with the same latency on all three providers.
1. Five tasks (design 6.1-6.3 promise 3x; target >= 4.5x): dispatched one after another, then as one
   run_batch with parallel=5. Figure: sequential time / batch time.
2. ``--tasks`` tasks with ``parallel`` in flight: run_batch time against the ideal tasks * latency /
   parallel (target within 1.1x), and against plain httpx posts with the same cap (a measured floor).
Each measurement starts from a fresh state directory; all share one HTTP client, warmed up by a first
untimed batch, as a running server's would be. Every figure is a ratio of times measured in this run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from router_core.classifier.keywords import KeywordClassifier  # noqa: E402
from router_core.core import RouterCore  # noqa: E402
from router_core.execution.adapters import build_adapters, http_client  # noqa: E402
from router_core.execution.batch import run_batch  # noqa: E402
from router_core.execution.dispatch import dispatch  # noqa: E402
from router_core.execution.executor import Executor  # noqa: E402
from tests.execution.fake_process import spawn  # noqa: E402

TASKS = [
    "Implement a CSV export endpoint", "Explain how the OAuth2 flow works",
    "Design the architecture for a distributed ingest pipeline", "Fix the bug in the data loader",
    "Analyze the logs and document findings", "Refactor the payment module",
]


def environ(urls: dict) -> dict[str, str]:
    return {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": urls["codex"], "GEMINI_API_KEY": "k",
            "GEMINI_BASE_URL": urls["gemini"], "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": urls["claude"]}


def fresh_core(home: str, name: str) -> RouterCore:
    settings = load_settings(environ={"HOME": home, "SWITCHBOARD_HOME": os.path.join(home, name)}, cwd=Path(home))
    return RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))


async def measure(home: str, urls: dict, runs: list) -> list[float]:
    """Time each (name, work) on a fresh state directory, over one warmed-up HTTP client (as a server has)."""
    times = []
    async with http_client(fresh_core(home, "warm").settings) as client:
        for name, work in [("warm", runs[0][1]), *runs]:
            core = fresh_core(home, name)
            executor = Executor(core, build_adapters(core.settings, client=client, clock=core.clock,
                                                     environ=environ(urls), which=lambda _: None))
            start = time.perf_counter()
            await work(core, executor)
            times.append(time.perf_counter() - start)
    return times[1:]


async def plain_capped(url: str, n: int, parallel: int) -> float:
    limit = anyio.Semaphore(parallel)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=parallel * 2)) as client:
        async def one() -> None:
            async with limit:
                r = await client.post(url, json={"model": "gpt-5.1-codex", "input": "x"},
                                      headers={"Authorization": "Bearer k"})
                r.raise_for_status()

        async def run(count: int) -> float:
            start = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for _ in range(count):
                    tg.start_soon(one)
            return time.perf_counter() - start

        await run(parallel)  # warm the connections, as for the batches
        return await run(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=10)
    args = parser.parse_args()
    latency = [f"{p}={args.latency}" for p in ("codex", "gemini", "claude")]
    five = [TASKS[i % len(TASKS)] + f" (task {i})" for i in range(5)]
    many = [(None, TASKS[i % len(TASKS)] + f" (task {i})") for i in range(args.tasks)]
    with tempfile.TemporaryDirectory() as home, spawn(*(a for x in latency for a in ("--latency", x))) as fake:
        urls = fake["base_urls"]

        async def batch_of_five(core, executor):
            run = await run_batch(core, executor, [(None, t) for t in five], parallel=5)
            assert run.outcome.succeeded == 5

        async def sequential(core, executor):
            for text in five:
                result = await dispatch(core, executor, text)
                assert result.outcome.status == "success", result.outcome.error

        async def batch_of_many(core, executor):
            run = await run_batch(core, executor, many, parallel=args.parallel)
            assert run.outcome.succeeded == len(many), [o.error for o in run.outcome.outcomes if o.error]

        runs = [("five", batch_of_five), ("seq", sequential), ("many", batch_of_many)]
        par, seq, big = anyio.run(measure, home, urls, runs)
        floor = anyio.run(plain_capped, urls["codex"] + "/responses", args.tasks, args.parallel)
    ideal = args.tasks * args.latency / args.parallel
    print(f"5 tasks at {args.latency:g}s latency: sequential dispatch {seq:.3f}s, run_batch {par:.3f}s "
          f"-> speedup {seq / par:.2f}x (target >= 4.5x)")
    print(f"{args.tasks} tasks, parallel {args.parallel}: run_batch {big:.3f}s vs ideal {ideal:.3f}s "
          f"-> {big / ideal:.3f}x (target <= 1.1x); vs plain httpx at the same cap {floor:.3f}s -> {big / floor:.3f}x")


if __name__ == "__main__":
    main()
