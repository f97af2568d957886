"""Client CPU per dispatched task, as a ratio to plain httpx posts to the same 0-latency fake.

    .venv/bin/python bench/dispatch_cpu.py [--tasks 500] [--warmup 50] [--classifier trained|keywords]

The fake provider runs in its own process, so only the client's CPU is counted (time.process_time of
this process). Baseline: the same OpenAI Responses request body posted with one httpx.AsyncClient and
its JSON parsed. Measured: ``dispatch`` end to end (classify, capacity, route, lease an agent, reserve
the budget, pace, call, settle usage and budget, release, write the audit line), routed by the default
classifier unless ``--classifier keywords``. Target: <= 1.5x.
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
from router_core.execution.adapters import build_adapters  # noqa: E402
from router_core.execution.dispatch import dispatch  # noqa: E402
from router_core.execution.executor import Executor  # noqa: E402
from tests.execution.fake_process import spawn  # noqa: E402

TASKS = [
    "Implement a JWT login endpoint in Flask", "Fix the off-by-one bug in the pagination helper",
    "Refactor the payment module into smaller functions", "Write unit tests for the CSV parser",
]


async def plain_posts(url: str, body: dict, headers: dict, n: int) -> float:
    async with httpx.AsyncClient() as client:
        async def post() -> None:
            response = await client.post(url, json=body, headers=headers)
            response.raise_for_status()
            response.json()

        for _ in range(20):
            await post()
        start = time.process_time()
        for _ in range(n):
            await post()
        return (time.process_time() - start) / n


async def dispatches(core: RouterCore, base_urls: dict, n: int, warmup: int) -> tuple[float, float]:
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": base_urls["codex"], "GEMINI_API_KEY": "k",
           "GEMINI_BASE_URL": base_urls["gemini"], "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": base_urls["claude"]}
    async with httpx.AsyncClient() as client:
        executor = Executor(core, build_adapters(core.settings, client=client, clock=core.clock, environ=env,
                                                 which=lambda _: None))
        for i in range(warmup):
            await dispatch(core, executor, TASKS[i % len(TASKS)], provider="codex")
        start, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            result = await dispatch(core, executor, TASKS[i % len(TASKS)], provider="codex")
            assert result.outcome.status == "success", result.outcome.error
        return (time.process_time() - start) / n, (time.perf_counter() - wall) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--classifier", choices=["trained", "keywords"], default="trained",
                        help="the classifier routing uses (default: the shipped default, as `switchboard serve`)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, spawn() as fake:
        settings = load_settings(environ={"HOME": home, "SWITCHBOARD_HOME": os.path.join(home, "state")}, cwd=Path(home))
        keywords = KeywordClassifier(settings.providers) if args.classifier == "keywords" else None
        core = RouterCore.build(settings, classifier=keywords)  # None: the default, as the server builds it
        agent = next(a for a in core.agents if "codex" in a.providers)
        body = {"model": "gpt-5.1-codex", "input": TASKS[0], "store": False, "instructions": agent.system_prompt,
                "max_output_tokens": settings.execution.max_output_tokens}
        url = fake["base_urls"]["codex"] + "/responses"
        baseline = anyio.run(plain_posts, url, body, {"Authorization": "Bearer k"}, args.tasks)
        per_task, wall = anyio.run(dispatches, core, fake["base_urls"], args.tasks, args.warmup)
    print(f"plain httpx post:   {baseline * 1e3:.3f} ms CPU per request (baseline)")
    print(f"switchboard dispatch: {per_task * 1e3:.3f} ms CPU per task ({wall * 1e3:.3f} ms wall)")
    print(f"ratio: {per_task / baseline:.2f}x plain httpx (target <= 1.5x; classifier: {args.classifier})")


if __name__ == "__main__":
    main()
