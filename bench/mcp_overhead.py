"""What Switchboard costs a host over stdio, as ratios to a minimal MCPServer measured in the same run.

Prints:
  - cold start (spawn -> first tool result): switchboard's first recommend_provider vs the minimal server's
    first echo (median of N alternating runs);
  - round trip of recommend_provider vs a trivial echo on the minimal server (median, p90 of M calls), and
    the same with Switchboard on the SDK's own stdio transport, so that the routing work's share shows apart
    from the transport's (server/stdio.py);
  - the size of tools/list in tokens (o200k_base via bpe-openai if installed, else chars/4, labelled).

Before measuring, the project's packages are compiled to bytecode (compileall, as pip does when it installs
a package): the minimal server's modules in site-packages were compiled by pip, and with PYTHONDONTWRITEBYTECODE
set a spawned server would otherwise recompile every project module edited since its .pyc was written.

Usage: .venv/bin/python bench/mcp_overhead.py [--runs 7] [--calls 300]
Targets (issue 2): round trip <= 1.3x, cold start <= 1.15x, tools/list < 2,000 tokens.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

HERE = Path(__file__).resolve().parent
SWITCHBOARD = str(Path(sys.executable).with_name("switchboard"))
TASK = "Design distributed system architecture for the ingest pipeline"
PACKAGES = ("server", "tools", "resources", "config", "router_core")


def compile_project() -> bool:
    """Write the project's bytecode, as pip does for an installed package; True if every module compiled."""
    root = HERE.parent
    results = [compileall.compile_dir(root / name, quiet=1) for name in PACKAGES]  # quiet=1: errors only
    return all(results)


def env_for(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["SWITCHBOARD_HOME"] = str(state)
    # The `switchboard` script imports the package it was installed from (/work/main's editable install, say):
    # this checkout's code first, so a worktree's figures are its own.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(HERE.parent), env.get("PYTHONPATH"))))
    return env


def minimal(state: Path) -> tuple[StdioServerParameters, str, dict]:
    params = StdioServerParameters(command=sys.executable, args=[str(HERE / "minimal_server.py")], env=env_for(state))
    return params, "echo", {"text": "hello"}


def switchboard(state: Path, transport: str = "pipes") -> tuple[StdioServerParameters, str, dict]:
    env = env_for(state)
    env.pop("SWITCHBOARD_STDIO", None)
    if transport == "sdk":
        env["SWITCHBOARD_STDIO"] = "sdk"  # the SDK's thread-per-line stdio transport (server/stdio.py)
    params = StdioServerParameters(command=SWITCHBOARD, args=["serve"], env=env)
    return params, "recommend_provider", {"task": TASK}


async def cold_start(spec) -> float:
    params, tool, args = spec
    start = time.perf_counter()
    async with Client(params, mode="legacy") as c:
        r = await c.call_tool(tool, args)
        elapsed = time.perf_counter() - start
        assert not r.is_error, r.content
    return elapsed


async def round_trips(specs: list, calls: int, block: int = 25) -> list[list[float]]:
    """Per-call round trips for each server, all sessions open at once and called in alternating blocks of
    ``block`` calls, so that a shared machine's drifting load falls on every server alike."""
    out: list[list[float]] = [[] for _ in specs]
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(params, mode="legacy")) for params, _, _ in specs]
        for c, (_, tool, args) in zip(clients, specs, strict=True):
            for _ in range(20):
                await c.call_tool(tool, args)
        for _ in range(0, calls, block):
            for samples, c, (_, tool, args) in zip(out, clients, specs, strict=True):
                for _ in range(block):
                    start = time.perf_counter()
                    r = await c.call_tool(tool, args)
                    samples.append(time.perf_counter() - start)
                    assert not r.is_error
    return out


async def tools_list_json(spec) -> str:
    params, _, _ = spec
    async with Client(params, mode="legacy") as c:
        tools = (await c.list_tools()).tools
    return json.dumps([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools])


def count_tokens(text: str) -> tuple[int, str]:
    try:
        import bpe_openai

        return len(bpe_openai.get_encoding("o200k_base").encode(text)), "o200k_base tokens"
    except ImportError:
        return len(text) // 4, "tokens (approx. chars/4; pip install bpe-openai for exact)"


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--calls", type=int, default=300)
    a = ap.parse_args()
    compiled = compile_project()
    print(f"project bytecode compiled (as pip install does): {'yes' if compiled else 'NO, some modules failed'}")
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        base, sb = minimal(state / "min"), switchboard(state / "sb")
        await cold_start(sb)  # first run builds the database; not counted
        cold_base, cold_sb = [], []
        for _ in range(a.runs):
            cold_base.append(await cold_start(base))
            cold_sb.append(await cold_start(sb))
        rt_base, rt_sb, rt_sdk = await round_trips([base, sb, switchboard(state / "sb", "sdk")], a.calls)
        listing = await tools_list_json(sb)
    mb, ms = statistics.median(cold_base), statistics.median(cold_sb)
    print(f"cold start to first result (median of {a.runs}): minimal {mb * 1000:.0f} ms, "
          f"switchboard {ms * 1000:.0f} ms -> ratio {ms / mb:.2f}x (target <= 1.15x)")
    rb, rs = statistics.median(rt_base), statistics.median(rt_sb)
    print(f"round trip (median of {a.calls}): minimal echo {rb * 1000:.2f} ms, recommend_provider "
          f"{rs * 1000:.2f} ms -> ratio {rs / rb:.2f}x (target <= 1.3x); p90 {p(rt_base, .9) * 1000:.2f} / "
          f"{p(rt_sb, .9) * 1000:.2f} ms")
    rk = statistics.median(rt_sdk)
    print(f"  the same on the SDK's stdio transport (SWITCHBOARD_STDIO=sdk, as the minimal server uses): "
          f"{rk * 1000:.2f} ms -> ratio {rk / rb:.2f}x")
    n, unit = count_tokens(listing)
    print(f"tools/list: {len(listing):,} bytes, {n:,} {unit} (target < 2,000)")


if __name__ == "__main__":
    anyio.run(main)
