"""A separate Switchboard process that runs one batch: for the two-process tests and bench/rate_limited.py.

    python -m tests.execution.worker '{"tasks": ["...", ...], "parallel": 8, "start_at": 1767225600.5}'

With ``"dispatch": true`` each task goes through ``dispatch`` instead (``parallel`` at a time).

Settings come from the environment (SWITCHBOARD_HOME, HOME, SWITCHBOARD_CONFIG) and the provider keys and
base URLs point at the fake server, so every process shares one state database. ``start_at`` (epoch
seconds) lines the processes up; ``"barrier": [dir, n]`` instead waits, once set up, until ``n`` workers have each
left a file in ``dir`` (so none starts before the others are ready, however slow their start). Prints one JSON object: each task's status, provider and cost, and the
batch's start and end times.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import anyio

from config import load_settings
from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from router_core.execution.adapters import build_adapters, http_client
from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor


async def main(spec: dict) -> dict:
    settings = load_settings()
    core = RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))
    async with http_client(settings) as client:
        executor = Executor(core, build_adapters(settings, client=client, clock=core.clock, which=lambda _: None))
        if spec.get("start_at"):
            await anyio.sleep(max(0.0, spec["start_at"] - time.time()))
        if spec.get("barrier"):
            await barrier(*spec["barrier"])
        started = time.time()
        if spec.get("dispatch"):
            outcomes = await dispatch_all(core, executor, spec["tasks"], spec.get("parallel") or 1)
        else:
            run = await run_batch(core, executor, [(None, t) for t in spec["tasks"]], parallel=spec.get("parallel"))
            outcomes = list(run.outcome.outcomes)
    return {
        "statuses": [o.status for o in outcomes],
        "providers": [o.provider for o in outcomes],
        "costs": [o.cost_usd for o in outcomes],
        "errors": [o.error for o in outcomes if o.error],
        "started": started,
        "ended": time.time(),
    }


async def barrier(folder: str, workers: int, patience: float = 120.0) -> None:
    """Say this worker is ready (a file in ``folder``), then wait until ``workers`` are."""
    ready = Path(folder)
    (ready / str(os.getpid())).touch()
    with anyio.fail_after(patience):
        while sum(1 for _ in ready.iterdir()) < workers:
            await anyio.sleep(0.005)


async def dispatch_all(core: RouterCore, executor: Executor, tasks: list[str], parallel: int) -> list:
    """Each task through ``dispatch`` (routing, lease and reservation per task), ``parallel`` at a time."""
    outcomes: list = [None] * len(tasks)
    queue = list(enumerate(tasks))

    async def worker() -> None:
        while queue:
            index, task = queue.pop(0)
            outcomes[index] = (await dispatch(core, executor, task)).outcome

    async with anyio.create_task_group() as tg:
        for _ in range(parallel):
            tg.start_soon(worker)
    return outcomes


if __name__ == "__main__":
    print(json.dumps(anyio.run(main, json.loads(sys.argv[1]))))
