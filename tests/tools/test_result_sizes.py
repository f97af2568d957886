"""What a tool's result costs the host's context window stays bounded (bench/tool_results.py measures it).

A host's model reads one copy of a result: Claude Code and Codex the structuredContent, Gemini CLI the text
block. Every result is sent once in each, as the same compact JSON, without the fields at their default
(null, false, 0, empty), and still says what the host needs: the decision, why, fallbacks, cost and ETA.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from mcp import Client
from pydantic_core import to_json

from server.app import create_server
from tests.execution.fakes import KEYS, fake_environ, fake_server
from tools.registry import TOOLS, output_model

MODELS = {fn.__name__: output_model(fn) for fn, _ in TOOLS}
TASKS = ["Implement a CSV export endpoint for the reports API", "Explain how the OAuth2 flow works",
         "Design the architecture for a distributed ingest pipeline", "Fix the bug in the data loader",
         "Analyze the error logs and document the findings"]
ENV_VARS = [v for pair in KEYS.values() for v in pair] + ["GOOGLE_API_KEY"]


@pytest.fixture
def backends(monkeypatch, clock):
    with fake_server(clock) as fake:
        for var in ENV_VARS:
            monkeypatch.delenv(var, raising=False)
        for var, value in fake_environ(fake).items():
            monkeypatch.setenv(var, value)
        yield fake


@pytest.fixture(params=["auto", "legacy"])
def connect(request, settings, keyword_core, backends):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    return lambda: Client(server, mode=request.param, raise_exceptions=request.param != "legacy")


def nulls(node, path="") -> list[str]:
    if node is None:
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in nulls(v, f"{path}[{i}]")]
    return []


async def call(client, tool: str, args: dict) -> dict:
    r = await client.call_tool(tool, args)
    assert not r.is_error, r.content
    structured = r.structured_content
    # One text block: the structuredContent as compact JSON (not indented, not a second, different copy).
    assert [b.type for b in r.content] == ["text"]
    assert r.content[0].text == to_json(structured).decode()
    # No null anywhere, and no field at its default: absent means the default, which the schema states.
    assert nulls(structured) == []
    model = MODELS[tool]
    assert model.model_validate(structured).model_dump(mode="json", exclude_defaults=True) == structured
    return structured


async def test_every_result_is_compact_and_valid_against_its_published_schema(connect):
    async with connect() as client:
        schemas = json.loads((await client.read_resource("schema://tool-outputs")).contents[0].text)
        calls = [
            ("classify_task", {"task": TASKS[2]}),
            ("recommend_provider", {"task": TASKS[2]}),
            ("dispatch_agent", {"task": TASKS[0], "execute": False}),
            ("dispatch_agent", {"task": TASKS[0], "context": "Flask 3"}),
            ("run_batch", {"tasks": [{"task": t} for t in TASKS]}),
            ("run_batch", {"tasks": [{"task": t} for t in TASKS], "dry_run": False}),
            ("get_budget", {}),
            ("record_usage", {"provider": "gemini", "requests": 90}),
            ("recommend_provider", {"task": TASKS[1]}),  # gemini now blocked
            ("record_feedback", {"task": TASKS[1], "routed_provider": "gemini", "correct_provider": "claude"}),
        ]
        for tool, args in calls:
            jsonschema.validate(await call(client, tool, args), schemas[tool])


async def test_the_record_still_says_the_decision_why_fallbacks_cost_and_eta(connect):
    async with connect() as client:
        rec = await call(client, "recommend_provider", {"task": TASKS[2]})
        assert rec["task_classification"]["fallback_chain"] and rec["task_classification"]["reasons"]
        r = rec["recommendation"]
        assert {"provider", "reason", "route", "model", "cost_estimate", "cost_estimate_usd",
                "execution_time_estimate"} <= set(r)
        assert rec["agent_assigned"]["agent_id"] and {a["provider"] for a in rec["alternatives"]} == {"codex", "gemini"}
        assert set(rec["budget_status"]) == {"spent", "total", "percent", "remaining"}
        await call(client, "record_usage", {"provider": "gemini", "requests": 90})
        blocked = await call(client, "recommend_provider", {"task": TASKS[1]})
        gemini = blocked["provider_availability"]["gemini"]
        assert gemini["available"] is False and gemini["reason"] and gemini["blocked_until"].endswith("Z")
        assert blocked["recommendation"]["route"].startswith("fallback")


async def test_a_run_says_what_ran_and_what_it_cost(connect, backends):
    async with connect() as client:
        from tests.fakes.fake_script import Fault

        backends.script("codex", [Fault.quota()])
        out = await call(client, "dispatch_agent", {"task": TASKS[3]})
        assert out["status"] == "success" and out["result"] and out["provider_used"] == "gemini"
        assert out["fallback_path"] == ["codex", "gemini"]
        first, second = out["attempts"]
        assert first["outcome"] == "quota_exhausted" and first["status_code"] == 429 and "quota" in first["error"]
        assert second == {"provider": "gemini", "outcome": "success"}  # retry 0, no error: left out
        assert out["cost_actual"].startswith("$") and out["tokens"]["total"] > 0


async def test_a_fifty_task_plan_stays_small(connect):
    async with connect() as client:
        tasks = [{"task": f"{TASKS[i % 5]} (part {i})"} for i in range(50)]
        plan = await call(client, "run_batch", {"tasks": tasks})
        text = json.dumps(plan, separators=(",", ":"))
        # Measured 5,762 characters (9,906 with every field, as sent before); the bound leaves ~20% margin.
        assert len(text) < 7_000, len(text)
        assert sorted(i for g in plan["providers"].values() for i in g["tasks"]) == list(range(50))
        for item in plan["items"]:
            assert {"index", "task_id", "provider", "task_type", "cost_usd"} <= set(item)
            assert item.get("route", "primary") == "primary" and item.get("sub_batch", 0) == 0


async def test_a_planned_task_off_its_primary_says_why(connect):
    # Routing is never silent: a plan item on a fallback carried only "route": "fallback_1".
    async with connect() as client:
        await call(client, "record_usage", {"provider": "gemini", "requests": 90})
        plan = await call(client, "run_batch", {"tasks": [{"task": TASKS[1]}, {"task": TASKS[0]}]})
        moved = [item for item in plan["items"] if item.get("route", "primary") != "primary"]
        assert moved and all("gemini" in item["reason"] or "blocked" in item["reason"] for item in moved)
        assert all("reason" not in item for item in plan["items"] if item.get("route", "primary") == "primary")


async def test_a_reason_shared_by_many_planned_tasks_is_said_once(connect):
    # gemini blocked moves every gemini task: each carried the same words (~200 characters x 20 tasks of 50).
    async with connect() as client:
        await call(client, "record_usage", {"provider": "gemini", "requests": 90})
        tasks = [{"task": f"{TASKS[i % 5]} (part {i})"} for i in range(50)]
        plan = await call(client, "run_batch", {"tasks": tasks})
        moved = [item for item in plan["items"] if item.get("route", "primary") != "primary"]
        assert len(moved) >= 10
        first = moved[0]
        assert "blocked" in first["reason"] or "gemini" in first["reason"]
        same = [item for item in moved[1:] if item["route"] == first["route"]]
        assert same and all(item["reason"] == f"same as item {first['index']}" for item in same)
        # 6,607 characters, then 7,747 with each task's agent id (design 6; ~24 characters a task)
        assert len(json.dumps(plan, separators=(",", ":"))) < 8_000
