"""Why a dispatch's CPU time is a larger multiple of a plain post's than its instruction count is.

    .venv/bin/python bench/dispatch_gap.py [--tasks 1000] [--rounds 10] [--warmup 50] [--client-cpu N --fake-cpu M]

A companion to bench/dispatch_cpu.py (same fake provider in its own process, same two sides, alternating in
rounds): per request of each side, what getrusage and the garbage collector say beside the CPU time: user and
system CPU (valgrind's instruction counts see only the user side), voluntary context switches (waits on the event
loop's poll), involuntary ones (preempted: a busy machine), minor page faults, GC collections per generation and
the CPU they took, and the most threads the process had (a worker-thread hand-off per dispatch would show here).
Syscalls are not counted here; ``strace -f -c`` around a ``--count`` run of dispatch_cpu.py counts them.

``--client-cpu`` and ``--fake-cpu`` pin this process and the fake provider's to those CPUs (Linux): the same CPU for
both puts the fake's work between each request and its answer on the client's core, evicting what the client had in
its caches; separate ones leave them to other processes only. dispatch_cpu.py --pin pins them apart.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dispatch_cpu import TASKS, core_dispatch, load_settings, plain_post, spawn  # noqa: E402

from router_core.core import RouterCore  # noqa: E402

FIELDS = ("user_ms", "sys_ms", "vol_switches", "invol_switches", "minor_faults", "gc_gen0", "gc_gen1", "gc_gen2",
          "gc_ms", "threads")


class Counters:
    """getrusage of this process and the GC's collections (per generation) and CPU, read together."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.gc_seconds = 0.0
        self._started = 0.0
        self.threads = 1
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.collections[info["generation"]] += 1
            self._started = time.process_time()
        else:
            self.gc_seconds += time.process_time() - self._started

    def read(self) -> list[float]:
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.threads = max(self.threads, threading.active_count())
        return [r.ru_utime * 1e3, r.ru_stime * 1e3, r.ru_nvcsw, r.ru_nivcsw, r.ru_minflt, *self.collections,
                self.gc_seconds * 1e3]


async def measure(core: RouterCore, base_urls: dict, body: dict, rounds: int, per_round: int,
                  warmup: int) -> tuple[list[float], list[float], int]:
    """Totals per request of (plain post, dispatch), and the most threads seen."""
    counters = Counters()
    sides = [[0.0] * (len(FIELDS) - 1), [0.0] * (len(FIELDS) - 1)]
    async with httpx.AsyncClient() as plain, core_dispatch(core, base_urls) as dispatch_one:
        post = plain_post(plain, base_urls["codex"] + "/responses", body)
        for i in range(warmup):
            await post()
            await dispatch_one(i)
        for _ in range(rounds):
            start = counters.read()
            for _ in range(per_round):
                await post()
            middle = counters.read()
            for i in range(per_round):
                await dispatch_one(i)
            end = counters.read()
            for side, (a, b) in zip(sides, ((start, middle), (middle, end)), strict=True):
                for k, (x, y) in enumerate(zip(a, b, strict=True)):
                    side[k] += (y - x) / (rounds * per_round)
    return sides[0], sides[1], counters.threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="requests on each side (default 1000)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--client-cpu", type=int, help="pin this process to this CPU")
    parser.add_argument("--fake-cpu", type=int, help="pin the fake provider's process to this CPU")
    args = parser.parse_args()
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})  # before the fake starts: it inherits it unless --fake-cpu
    with tempfile.TemporaryDirectory() as home, spawn() as fake:
        if args.fake_cpu is not None:
            for tid in os.listdir(f"/proc/{fake['pid']}/task"):  # its server runs in a thread: the pid alone misses it
                os.sched_setaffinity(int(tid), {args.fake_cpu})
        settings = load_settings(environ={"HOME": home, "SWITCHBOARD_HOME": os.path.join(home, "state")}, cwd=Path(home))
        core = RouterCore.build(settings)
        agent = next(a for a in core.agents if "codex" in a.providers)
        body = {"model": "gpt-5.1-codex", "input": TASKS[0], "store": False, "instructions": agent.system_prompt,
                "max_output_tokens": settings.execution.max_output_tokens}
        per_round = max(1, args.tasks // args.rounds)
        post, dispatched, threads = anyio.run(measure, core, fake["base_urls"], body, args.rounds, per_round,
                                              args.warmup)
    print(f"per request ({args.rounds} rounds of {per_round} each side, alternating):")
    print(f"{'':16}{'plain post':>12}{'dispatch':>12}{'ratio':>8}")
    for name, p, d in zip(FIELDS, post, dispatched, strict=False):
        ratio = f"{d / p:.2f}x" if p else ""
        print(f"{name:16}{p:12.4f}{d:12.4f}{ratio:>8}")
    total = [p[0] + p[1] for p in (post, dispatched)]
    print(f"{'user+sys_ms':16}{total[0]:12.4f}{total[1]:12.4f}{total[1] / total[0]:7.2f}x")
    print(f"{'threads':16}{threads:>24} (most seen, both sides)")


if __name__ == "__main__":
    main()
