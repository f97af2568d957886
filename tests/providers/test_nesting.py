"""A Switchboard running inside a task Switchboard dispatched to a CLI routes but does not dispatch again
(router_core/providers/nesting.py): the CLI's own MCP configuration starts a Switchboard of its own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest

from router_core.clock import FakeClock
from router_core.execution.adapters import build_adapters
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.results import NOT_CONFIGURED
from router_core.providers.cli import run_cli
from router_core.providers.nesting import DISPATCHED_ENV, dispatched_environment, dispatching_switchboard

ROOT = Path(__file__).resolve().parents[2]


def fake_proc(tmp_path: Path, tree: dict[int, tuple[int, str, dict[str, str] | None]]) -> Path:
    """A /proc of pid -> (parent pid, comm, environment or None for an unreadable one)."""
    for pid, (ppid, comm, env) in tree.items():
        folder = tmp_path / str(pid)
        folder.mkdir(parents=True)
        (folder / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1")
        if env is not None:
            (folder / "environ").write_bytes(b"".join(f"{k}={v}".encode() + b"\0" for k, v in env.items()))
    return tmp_path


def test_the_marker_in_this_process_environment_says_who_dispatched():
    assert dispatching_switchboard({DISPATCHED_ENV: "4242"}, proc=Path("/nonexistent")) == "4242"
    assert dispatched_environment({"PATH": "/bin"}) == {"PATH": "/bin", DISPATCHED_ENV: str(os.getpid())}


def test_an_ancestor_carrying_the_marker_is_found_through_a_cli_that_drops_the_environment(tmp_path):
    # switchboard (10) -> codex (20, marked) -> codex binary (30, env cut down) -> nested switchboard (40)
    proc = fake_proc(tmp_path, {
        40: (30, "python3", {"PATH": "/bin"}),
        30: (20, "codex (rust) x", {"PATH": "/bin", "HOME": "/h"}),  # a comm with spaces and a ')'
        20: (10, "node", {"PATH": "/bin", DISPATCHED_ENV: "10"}),
        10: (1, "python3", {"PATH": "/bin"}),
    })
    assert dispatching_switchboard({}, proc=proc, pid=40) == "10"


def test_no_marker_up_the_tree_or_unreadable_ancestors_are_not_nested(tmp_path):
    proc = fake_proc(tmp_path, {
        40: (30, "python3", {}), 30: (20, "claude", None), 20: (1, "bash", {"PATH": "/bin"}),
    })
    assert dispatching_switchboard({}, proc=proc, pid=40) is None
    assert dispatching_switchboard({}, proc=tmp_path / "none", pid=40) is None


async def test_a_cli_run_carries_the_marker():
    run = await run_cli(["/bin/sh", "-c", f'printf %s "${DISPATCHED_ENV}"'], b"", provider="codex", env=None,
                        cwd=None, timeout=30)
    assert run.stdout.strip() == str(os.getpid())


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="ancestors' environments are read from /proc")
async def test_a_real_child_whose_cli_cut_its_environment_still_finds_the_dispatcher():
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); "
             "from router_core.providers.nesting import dispatching_switchboard as d; print(d())")
    # sh stands for the CLI (marked by run_cli); env -i for Codex starting its MCP server with a few variables.
    script = f'env -i PATH="$PATH" {sys.executable} -c "{probe}" {ROOT}'
    run = await run_cli([shutil.which("sh") or "/bin/sh", "-c", script], b"", provider="codex", env=None,
                        cwd=None, timeout=60)
    assert run.stdout.strip() == str(os.getpid()), run.stderr


async def test_a_nested_switchboard_routes_but_dispatches_nothing(keyword_core):
    env = {"OPENAI_API_KEY": "k", DISPATCHED_ENV: "4242"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: pytest.fail("a call was sent"))) as client:
        adapters = build_adapters(keyword_core.settings, client=client, clock=FakeClock(), environ=env)
        assert {a.backend for a in adapters.values()} == {"none"}
        result = await dispatch(keyword_core, Executor(keyword_core, adapters), "Fix the off-by-one in pagination")
    assert result.outcome.status == NOT_CONFIGURED
    assert "does not dispatch again" in result.outcome.error and "pid 4242" in result.outcome.error
    assert result.decision.recommendation.provider == "codex"  # the routing stands
