"""dispatch_agent and run_batch over MCP (in-process client, both protocol eras), executing on the fake."""

from __future__ import annotations

import pytest
from mcp import Client

from server.app import create_server
from tests.execution.fakes import KEYS, fake_environ

ENV_VARS = [v for pair in KEYS.values() for v in pair] + ["GOOGLE_API_KEY"]


@pytest.fixture(params=["auto", "legacy"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def no_backends(monkeypatch, tmp_path):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no provider CLI either


@pytest.fixture
def fake_backends(monkeypatch, fake):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in fake_environ(fake).items():
        monkeypatch.setenv(var, value)


def connect(settings, core, mode: str) -> Client:
    server = create_server(settings, core_factory=lambda: core, live_interval=None)
    return Client(server, mode=mode, raise_exceptions=mode != "legacy")


async def test_dispatch_without_a_backend_says_what_to_configure(settings, keyword_core, no_backends, mode):
    async with connect(settings, keyword_core, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask"})
        assert not r.is_error
        out = r.structured_content
        assert out["status"] == "not_configured"
        assert "OPENAI_API_KEY" in out["error"] and "recommendation only" in out["error"]
        assert out["recommendation"]["provider"] == "codex"
        assert out["agent_assigned"]["lease_id"]
        assert "result" not in out and "provider_used" not in out  # fields at their default (None) are left out
        # The setup advice is said once, in the error, not again in each attempt (500 characters twice).
        assert [a["outcome"] for a in out["attempts"]] == ["not_configured"] * 3
        assert not any("error" in a for a in out["attempts"]) and r.content[0].text.count("OPENAI_API_KEY") == 1


async def test_dispatch_runs_the_task_and_reports_the_path(settings, keyword_core, fake_backends, fake, mode):
    async with connect(settings, keyword_core, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Implement a JWT login endpoint in Flask",
                                                      "context": "Flask 3, app/auth.py", "max_cost": 0.05})
        assert not r.is_error, r.content
        out = r.structured_content
        assert out["status"] == "success"
        assert out["result"].startswith("codex fake answer to:")
        assert (out["provider_used"], out["fallback_path"]) == ("codex", ["codex"])
        assert out["tokens"]["total"] == out["tokens"]["input"] + out["tokens"]["output"] > 0
        assert out["cost_actual"].startswith("$") and out["cost_actual_usd"] > 0
        assert out["agent_assigned"]["agent_id"]
    assert keyword_core.leases.in_use() == {}
    line = keyword_core.audit.tail(1)[0]
    assert line["event"] == "dispatch" and line["execution_metrics"]["status"] == "success"


async def test_dispatch_route_only_is_the_old_dispatch(settings, keyword_core, fake_backends, fake, mode):
    async with connect(settings, keyword_core, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Explain how the OAuth2 flow works", "execute": False})
        assert r.structured_content["status"] == "routed"
    assert fake.stats("gemini").requests == 0


async def test_run_batch_executes_with_progress(settings, keyword_core, fake_backends, fake, mode):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    tasks = [{"id": "a", "task": "Implement the CSV export endpoint"}, {"id": "b", "task": "Explain OAuth2 flow"},
             {"id": "c", "task": "Design distributed system architecture for ingest"}]
    async with connect(settings, keyword_core, mode) as client:
        r = await client.call_tool("run_batch", {"tasks": tasks, "dry_run": False, "parallel": 3},
                                   progress_callback=on_progress)
        assert not r.is_error, r.content
        out = r.structured_content
    assert out["dry_run"] is False
    assert [x["task_id"] for x in out["results"]] == ["a", "b", "c"]
    assert [x["status"] for x in out["results"]] == ["success"] * 3
    assert {x["provider_used"] for x in out["results"]} == {"codex", "gemini", "claude"}
    assert out["summary"]["succeeded"] == 3 and out["summary"]["statuses"] == {"success": 3}
    assert [p[0] for p in progress] == [1, 2, 3] and all(p[1] == 3 for p in progress)


async def test_run_batch_dry_run_is_still_the_plan(settings, keyword_core, fake_backends, fake, mode):
    async with connect(settings, keyword_core, mode) as client:
        r = await client.call_tool("run_batch", {"tasks": [{"task": "Fix the bug in data loader"}]})
        out = r.structured_content
    assert out["dry_run"] is True and "results" not in out and "summary" not in out
    assert fake.stats("codex").requests == 0


async def test_a_batch_without_backends_says_what_to_set_once_not_in_every_task(settings, keyword_core, no_backends):
    # 50 unconfigured tasks made a 95 KB answer (the advice in each task's error and in each attempt), at
    # Claude Code's limit for a tool's output.
    async with connect(settings, keyword_core, "auto") as client:
        tasks = [{"task": f"Implement feature {i} in Flask"} for i in range(50)]
        r = await client.call_tool("run_batch", {"tasks": tasks, "dry_run": False})
        out = r.structured_content
    assert {res["status"] for res in out["results"]} == {"not_configured"}
    advice = [w for w in out["warnings"] if "Set " in w]
    assert sorted(w.split(":", 1)[0] for w in advice) == ["claude", "codex", "gemini"]
    assert any("OPENAI_API_KEY" in w for w in advice)
    for res in out["results"]:
        assert "OPENAI_API_KEY" not in res["error"] and "in warnings" in res["error"]
        assert all("error" not in a and a["outcome"] == "not_configured" for a in res["attempts"])
    # 100 times before: 95,408 characters, then 49,219; 30,419 without the fields at their default.
    assert r.content[0].text.count("OPENAI_API_KEY") == 1
    assert len(r.content[0].text) < 34_000


async def test_a_failed_batch_task_says_each_error_once(settings, keyword_core, fake_backends, fake):
    # A batch task's error quotes its attempts' errors ("every provider failed (codex: auth_failed: ...)", or
    # the first budget refusal), and each attempt said its own again: every failed task twice over, where
    # dispatch_agent says it once.
    from tests.fakes.fake_script import Fault

    for provider in ("codex", "gemini", "claude"):
        fake.script(provider, [Fault.auth()] * 3)
    async with connect(settings, keyword_core, "auto") as client:
        tasks = [{"task": "Implement the CSV export endpoint"}, {"task": "Explain OAuth2 flow"}]
        r = await client.call_tool("run_batch", {"tasks": tasks, "dry_run": False})
        out = r.structured_content
    for res in out["results"]:
        assert res["status"] != "success" and "rejected the credentials" in res["error"]
        assert [a["outcome"] for a in res["attempts"]] == ["auth_failed"] * 3
        assert all("error" not in a for a in res["attempts"]), res["attempts"]
    assert r.content[0].text.count("rejected the credentials") == 6  # once per provider per task


async def test_a_parked_task_is_said_in_progress_while_it_waits(settings, build_executor, fake, monkeypatch, mode):
    # A batch (or a waiting dispatch) parked while every provider was blocked sent nothing until capacity
    # returned: minutes of silence, where a client that times out without progress gives up.
    from tests.fakes.fake_script import Fault

    core, ex = build_executor(settings)
    monkeypatch.setattr("tools.dispatch.executor_of", lambda state: ex)  # the fake clock's executor
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with connect(settings, core, mode) as client:
        for provider in ("codex", "gemini", "claude"):  # 45 s each: more than the longest backoff, so it parks
            fake.script(provider, [Fault.rate_limited(retry_after=45.0)])
        r = await client.call_tool("run_batch", {"tasks": [{"id": "only", "task": "Implement the CSV export"}],
                                                 "dry_run": False}, progress_callback=on_progress)
        assert r.structured_content["results"][0]["status"] == "success"
        assert [(p[0], p[1]) for p in progress] == [(0.5, 1), (1, 1)]  # progress only ever grows
        assert progress[0][2].startswith("only: waiting 45s for capacity: every provider is blocked (codex: ")
        progress.clear()
        for provider in ("codex", "gemini", "claude"):
            fake.script(provider, [Fault.rate_limited(retry_after=45.0)])
        r = await client.call_tool("dispatch_agent", {"task": "Implement the CSV export", "wait": True},
                                   progress_callback=on_progress)
        assert r.structured_content["status"] == "success"
        assert [p[0] for p in progress] == [0.5] and ": waiting 45s for capacity: every provider is blocked (" in progress[0][2]
        progress.clear()
        fake.script("codex", [Fault.rate_limited(retry_after=45.0)])  # a provider asked for by name: it alone
        r = await client.call_tool("dispatch_agent", {"task": "Implement the CSV export", "wait": True,
                                                      "provider": "codex"}, progress_callback=on_progress)
        assert r.structured_content["status"] == "success"
        assert ": waiting 45s for capacity: codex is blocked (codex: rate limited (429): " in progress[0][2]


async def test_a_park_notice_the_client_cannot_take_does_not_fail_the_waiting_task(caplog):
    from tools.dispatch import ProgressReport

    class GoneClient:
        async def report_progress(self, progress, total=None, message=None):
            raise BrokenPipeError("the client went away")

    await ProgressReport(GoneClient(), 3).parked("t1", 45.0, "every provider is blocked")
    assert "progress report failed" in caplog.text
