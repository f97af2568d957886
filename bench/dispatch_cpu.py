"""Client CPU per dispatched task, as a ratio to plain httpx posts to the same 0-latency fake.

    .venv/bin/python bench/dispatch_cpu.py [--tasks 1000] [--rounds 10] [--warmup 50] [--classifier trained|keywords]
                                           [--through core|mcp|mcp-legacy] [--count N [--baseline]]

The fake provider runs in its own process, so only the client's CPU is counted (time.process_time of
this process). Baseline: the same OpenAI Responses request body posted with one httpx.AsyncClient and
its JSON parsed. Measured: ``dispatch`` end to end (classify, capacity, route, lease an agent, reserve
the budget, pace, call, settle usage and budget, release, write the audit line), routed by the default
classifier unless ``--classifier keywords``, its adapters on the client ``switchboard serve`` uses
(execution.adapters.http_client, with its pool limits and timeouts; the baseline keeps a plain client).
Target: <= 1.5x.

``--through mcp`` measures what an MCP host's call costs instead of the core's: the tool dispatch_agent called
through the SDK's in-process client (``mcp.Client(server)``, the modern protocol on its direct dispatcher, no
JSON-RPC framing) on the server ``switchboard serve`` builds (server.app.create_server, with this core; its
executor made by the tool on its first call from the provider variables this script sets, as the server's
would be). It adds the SDK's work on both sides (arguments validated, the Context, the result as
structuredContent and JSON text, read back by the client) and the tool's own (progress reporter, result
record, change notice). ``--through mcp-legacy`` does the same over the 2025 handshake the hosts use
(Claude Code, Codex, Gemini CLI): JSON-RPC messages on in-memory streams, each framed and parsed on both
sides. Both leave out the server's once-a-second checks (live updates, outage probes): they cost per second,
not per dispatch. Default ``--through core``: ``dispatch`` called directly, as above.

``--pin`` puts this process on one CPU and every thread of the fake provider's on another (Linux, two CPUs or more),
as a provider on another machine would leave the client's core to it; by default the scheduler places them. Pinned and
not, the ratio moved by no more than the runs' own spread on 2026-11-30 (bench/HISTORY.md, tenth sitting), so the
figures stay comparable with earlier days'.

``--count N`` runs ``--warmup`` + N dispatches and no baseline, untimed, for counting instructions, which the
machine's load does not move: instructions per dispatch are the difference of two runs, e.g.
``valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null .venv/bin/python
bench/dispatch_cpu.py --count 400`` minus the same with ``--count 100``, divided by 300 (the fake provider runs
in a child process, which valgrind does not follow). ``--count N --baseline`` counts the baseline's plain posts the
same way, for the ratio by instructions (2026-11-29: 4.25 M per dispatch against 2.81 M per plain post, 1.51x, while
CPU time said about 2.1x: dispatch runs more distinct code per request, with about 1.7x the instruction-cache misses
of a post (cachegrind's cache simulation), so it retires fewer instructions per cycle; 2026-11-30, 700 minus 100 of
each: 4.21 M against 2.79 M; 3.98 M after 7f5632c against 2.80 M, 1.42x). Two runs of the same code differ by up to ~1% per
dispatch (the event loop's timing moves the count): compare changes by the difference of larger counts, or by
several runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from router_core.classifier.keywords import KeywordClassifier  # noqa: E402
from router_core.core import RouterCore  # noqa: E402
from router_core.execution.adapters import build_adapters, http_client  # noqa: E402
from router_core.execution.dispatch import dispatch  # noqa: E402
from router_core.execution.executor import Executor  # noqa: E402
from tests.execution.fake_process import spawn  # noqa: E402

THROUGH = {"core": "switchboard dispatch", "mcp": "dispatch_agent via MCP",
           "mcp-legacy": "dispatch_agent via MCP (legacy)"}
TASKS = [
    "Implement a JWT login endpoint in Flask", "Fix the off-by-one bug in the pagination helper",
    "Refactor the payment module into smaller functions", "Write unit tests for the CSV parser",
]


Dispatch = Callable[[int], Awaitable[None]]


def provider_environ(base_urls: dict) -> dict[str, str]:
    return {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": base_urls["codex"], "GEMINI_API_KEY": "k",
            "GEMINI_BASE_URL": base_urls["gemini"], "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": base_urls["claude"]}


@asynccontextmanager
async def core_dispatch(core: RouterCore, base_urls: dict) -> AsyncIterator[Dispatch]:
    """``dispatch`` called directly, its adapters on the server's HTTP client."""
    async with http_client(core.settings) as client:
        executor = Executor(core, build_adapters(core.settings, client=client, clock=core.clock,
                                                 environ=provider_environ(base_urls), which=lambda _: None))

        async def dispatch_one(i: int) -> None:
            result = await dispatch(core, executor, TASKS[i % len(TASKS)], provider="codex")
            assert result.outcome.status == "success", result.outcome.error

        yield dispatch_one


@asynccontextmanager
async def mcp_dispatch(core: RouterCore, base_urls: dict, mode: str) -> AsyncIterator[Dispatch]:
    """The tool dispatch_agent called through the SDK's in-process client on the server (--through mcp)."""
    from mcp import Client

    from server.app import create_server

    os.environ.update(provider_environ(base_urls))  # read by the tool's executor, as `switchboard serve` reads them
    server = create_server(core.settings, core_factory=lambda: core, live_interval=None)
    # raise_exceptions stays off: in legacy mode the SDK re-raises inside the server's task (tests/tools).
    async with Client(server, mode=mode, raise_exceptions=False) as client:

        async def dispatch_one(i: int) -> None:
            r = await client.call_tool("dispatch_agent", {"task": TASKS[i % len(TASKS)], "provider": "codex"})
            assert not r.is_error and r.structured_content["status"] == "success", r.content

        yield dispatch_one


async def measure(through: str, core: RouterCore, base_urls: dict, body: dict, rounds: int, per_round: int,
                  warmup: int) -> list[tuple[float, float]]:
    """CPU seconds per request of each side, per round: (plain post, dispatch).

    The two sides alternate in rounds, so a burst of load from other processes on this shared machine
    falls on both sides of a round rather than on one whole side.
    """
    url = base_urls["codex"] + "/responses"
    dispatcher = (core_dispatch(core, base_urls) if through == "core"
                  else mcp_dispatch(core, base_urls, "legacy" if through == "mcp-legacy" else "auto"))
    async with httpx.AsyncClient() as plain, dispatcher as dispatch_one:
        post = plain_post(plain, url, body)
        for i in range(warmup):
            await post()
            await dispatch_one(i)
        figures = []
        for _ in range(rounds):
            start = time.process_time()
            for _ in range(per_round):
                await post()
            middle = time.process_time()
            for i in range(per_round):
                await dispatch_one(i)
            figures.append(((middle - start) / per_round, (time.process_time() - middle) / per_round))
        return figures


def plain_post(plain: httpx.AsyncClient, url: str, body: dict) -> Callable[[], Awaitable[None]]:
    """The baseline: one plain httpx post of ``body``, its JSON answer parsed."""

    async def post() -> None:
        response = await plain.post(url, json=body, headers={"Authorization": "Bearer k"})
        response.raise_for_status()
        response.json()

    return post


async def count_only(through: str, core: RouterCore, base_urls: dict, body: dict, warmup: int, n: int,
                     baseline: bool) -> None:
    """``warmup`` + ``n`` dispatches, or with ``baseline`` as many plain posts, nothing else (--count)."""
    if baseline:
        async with httpx.AsyncClient() as plain:
            post = plain_post(plain, base_urls["codex"] + "/responses", body)
            for _ in range(warmup + n):
                await post()
        return
    dispatcher = (core_dispatch(core, base_urls) if through == "core"
                  else mcp_dispatch(core, base_urls, "legacy" if through == "mcp-legacy" else "auto"))
    async with dispatcher as dispatch_one:
        for i in range(warmup + n):
            await dispatch_one(i)


def pin_apart(fake_pid: int) -> str:
    """This process on one CPU and every thread of the fake provider's on another; what was done, said."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "not pinned (one CPU)"
    client, fake = cpus[0], cpus[1]
    os.sched_setaffinity(0, {client})
    for tid in os.listdir(f"/proc/{fake_pid}/task"):  # the server runs in a thread: pinning the pid alone misses it
        os.sched_setaffinity(int(tid), {fake})
    return f"client on CPU {client}, fake provider on CPU {fake}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="requests on each side (default 1000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds they are split into")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--classifier", choices=["trained", "keywords"], default="trained",
                        help="the classifier routing uses (default: the shipped default, as `switchboard serve`)")
    parser.add_argument("--through", choices=list(THROUGH), default="core",
                        help="what is measured: dispatch called directly (default), or the tool dispatch_agent "
                             "through the SDK's in-process client (mcp: modern protocol; mcp-legacy: the hosts' "
                             "JSON-RPC handshake)")
    parser.add_argument("--count", type=int, metavar="N",
                        help="only --warmup + N dispatches, no baseline, untimed: for instruction counts under valgrind")
    parser.add_argument("--pin", action="store_true",
                        help="this process and the fake provider's on two different CPUs (default: the scheduler's choice)")
    parser.add_argument("--baseline", action="store_true",
                        help="with --count: the baseline's plain posts instead of dispatches")
    args = parser.parse_args()
    if args.baseline and args.count is None:
        parser.error("--baseline counts the baseline's posts for --count N: give --count too")
    per_round = max(1, args.tasks // args.rounds)
    with tempfile.TemporaryDirectory() as home, spawn() as fake:
        settings = load_settings(environ={"HOME": home, "SWITCHBOARD_HOME": os.path.join(home, "state")}, cwd=Path(home))
        keywords = KeywordClassifier(settings.providers) if args.classifier == "keywords" else None
        core = RouterCore.build(settings, classifier=keywords)  # None: the default, as the server builds it
        agent = next(a for a in core.agents if "codex" in a.providers)
        body = {"model": "gpt-5.1-codex", "input": TASKS[0], "store": False, "instructions": agent.system_prompt,
                "max_output_tokens": settings.execution.max_output_tokens}
        if args.count is not None:
            anyio.run(count_only, args.through, core, fake["base_urls"], body, args.warmup, args.count, args.baseline)
            print(f"{args.warmup + args.count} " + ("plain httpx posts" if args.baseline else
                  f"dispatches ({THROUGH[args.through]}, classifier: {args.classifier})"))
            return
        pinned = pin_apart(fake["pid"]) if args.pin else "not pinned"
        figures = anyio.run(measure, args.through, core, fake["base_urls"], body, args.rounds, per_round, args.warmup)
    baseline = statistics.fmean(b for b, _ in figures)
    per_task = statistics.fmean(d for _, d in figures)
    ratios = sorted(d / b for b, d in figures)
    print(f"plain httpx post:     {baseline * 1e3:.3f} ms CPU per request (baseline)")
    print(f"{THROUGH[args.through] + ':':21} {per_task * 1e3:.3f} ms CPU per task")
    print(f"ratio per round ({len(ratios)} rounds of {per_round}): min {ratios[0]:.2f}x, "
          f"median {statistics.median(ratios):.2f}x, max {ratios[-1]:.2f}x")
    print(f"ratio: {statistics.median(ratios):.2f}x plain httpx, the median round "
          f"(target <= 1.5x; classifier: {args.classifier}"
          + ("" if args.through == "core" else f"; through {args.through}") + f"; {pinned})")


if __name__ == "__main__":
    main()
