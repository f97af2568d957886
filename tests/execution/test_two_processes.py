"""Two processes share one budget and one rate limit through the state database: no 429s, no overspend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import load_settings
from router_core.classifier.keywords import KeywordClassifier
from router_core.clock import SystemClock
from router_core.core import RouterCore
from tests.execution.fakes import fake_environ, fake_server
from tests.fakes.fake_limits import Limits

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ("codex", "gemini", "claude")
TASKS = [
    "Implement a CSV export endpoint", "Fix the bug in the data loader", "Explain how the OAuth2 flow works",
    "Design the architecture for a distributed ingest pipeline", "Analyze the logs and document findings",
    "Refactor the payment module",
]


def config(window: float, rpm: dict[str, int], allocation: dict[str, float]) -> str:
    lines = ['classifier = "keywords"', "[execution]", f"rate_window_seconds = {window}",
             "request_timeout_seconds = 20.0", "[budget]", f"daily_total = {sum(allocation.values())}",
             "[budget.allocation]", *(f"{p} = {usd}" for p, usd in allocation.items())]
    for p, n in rpm.items():
        lines += [f"[providers.{p}]", f"requests_per_minute = {n}", "tokens_per_minute = 1000000"]
    return "\n".join(lines) + "\n"


def run_two(tmp_path: Path, *, window: float, rpm: dict[str, int], allocation: dict[str, float],
            output_tokens: int, copies: int, dispatch: bool = False) -> tuple[list[dict], dict]:
    (tmp_path / "config.toml").write_text(config(window, rpm, allocation))
    limits = {p: Limits(n, None, window) for p, n in rpm.items()}
    with fake_server(limits=limits, output_tokens=dict.fromkeys(rpm, output_tokens)) as fake:
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
            "SWITCHBOARD_HOME": str(tmp_path / "state"), "SWITCHBOARD_CONFIG": str(tmp_path / "config.toml"),
            **fake_environ(fake),
        }
        (tmp_path / "ready").mkdir()
        spec = {"tasks": [f"{t} (copy {i})" for i in range(copies) for t in TASKS], "parallel": 6,
                "barrier": [str(tmp_path / "ready"), 2], "dispatch": dispatch}
        procs = [
            subprocess.Popen([sys.executable, "-m", "tests.execution.worker", json.dumps(spec)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(json.loads(out))
        return results, {p: fake.stats(p) for p in rpm}


def shared_core(tmp_path: Path) -> RouterCore:
    settings = load_settings(environ={"HOME": str(tmp_path), "SWITCHBOARD_HOME": str(tmp_path / "state"),
                                      "SWITCHBOARD_CONFIG": str(tmp_path / "config.toml")}, cwd=tmp_path)
    return RouterCore.build(settings, clock=SystemClock(), classifier=KeywordClassifier(settings.providers))


@pytest.mark.slow
def test_two_processes_share_one_rate_limit(tmp_path):
    rpm = dict.fromkeys(PROVIDERS, 2)
    results, stats = run_two(tmp_path, window=0.5, rpm=rpm, allocation=dict.fromkeys(PROVIDERS, 10.0),
                             output_tokens=20, copies=2)
    statuses = [s for r in results for s in r["statuses"]]
    assert statuses == ["success"] * 24
    # The two processes ran at the same time (each waits at a barrier for the other to be ready) and together sent
    # every task, several windows' worth...
    assert max(r["started"] for r in results) < min(r["ended"] for r in results)
    assert sum(s.requests for s in stats.values()) == 24
    # (Not each provider: a batch planned while another process fills a provider's window sends that group to
    # a provider with room, so how the 24 split between providers depends on timing.)
    # ...and never one too many: the fake refused none.
    assert {p: s.limit_429 for p, s in stats.items()} == dict.fromkeys(PROVIDERS, 0)
    assert {p: s.sent_429 for p, s in stats.items()} == dict.fromkeys(PROVIDERS, 0)


@pytest.mark.slow
@pytest.mark.parametrize("dispatch", [False, True], ids=["batch", "dispatch"])
def test_two_processes_share_one_budget_and_one_rate_limit(tmp_path, dispatch):
    # Every answer is 1,500 tokens: enough spend that the budget, not the task list, ends the run (dispatch
    # without waiting parks some tasks while the window is full, so it gets a smaller budget).
    allocation = {p: usd * (0.3 if dispatch else 1) for p, usd in {"codex": 0.05, "gemini": 0.04, "claude": 0.03}.items()}
    results, stats = run_two(tmp_path, window=1.0, rpm={"codex": 4, "gemini": 3, "claude": 3},
                             allocation=allocation, output_tokens=1500, copies=2, dispatch=dispatch)
    statuses = [s for r in results for s in r["statuses"]]
    assert len(statuses) == 24 and set(statuses) <= {"success", "budget_exceeded", *(("parked",) if dispatch else ())}
    assert "budget_exceeded" in statuses and "success" in statuses  # the budget ran out part-way
    assert {p: s.limit_429 for p, s in stats.items()} == dict.fromkeys(PROVIDERS, 0)
    assert sum(s.requests for s in stats.values()) == statuses.count("success")
    budget = shared_core(tmp_path).budget()
    assert budget.reserved == 0
    assert budget.spent == pytest.approx(sum(c for r in results for c in r["costs"]))
    for p, usd in allocation.items():
        assert budget.provider(p).spent <= usd + 1e-9
    assert budget.spent <= sum(allocation.values()) + 1e-9
    assert shared_core(tmp_path).leases.in_use() == {}  # every lease taken with a reservation went back
