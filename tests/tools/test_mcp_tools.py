"""The MCP surface through the SDK's in-process client, in both protocol eras."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client
from mcp.server.subscriptions import ResourceUpdated
from mcp.types import ResourceUpdatedNotification

from server.app import create_server

TOOLS = {"classify_task", "recommend_provider", "dispatch_agent", "run_batch", "get_budget", "record_usage",
         "record_feedback"}


@pytest.fixture
def server(settings, keyword_core):
    return create_server(settings, core_factory=lambda: keyword_core, live_interval=None)


@pytest.fixture(params=["auto", "legacy"])
def mode(request) -> str:
    return request.param


def connect(server, mode: str) -> Client:
    # raise_exceptions must stay off in legacy mode (the SDK re-raises inside the server task there).
    return Client(server, mode=mode, raise_exceptions=mode != "legacy")


async def test_both_eras_negotiate(server):
    async with Client(server) as modern, Client(server, mode="legacy") as legacy:
        assert modern.protocol_version == "2026-07-28"
        assert legacy.protocol_version.startswith("2025-")


async def test_tools_listed_with_annotations(server, mode):
    async with connect(server, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        for name in ("classify_task", "recommend_provider", "get_budget"):
            assert tools[name].annotations.read_only_hint is True
        for name in ("dispatch_agent", "run_batch"):
            assert tools[name].annotations.read_only_hint is False
            assert tools[name].annotations.open_world_hint is True
        assert "task" in tools["classify_task"].input_schema["properties"]


async def test_run_batch_says_its_default_concurrency(server, settings):
    # "Concurrency cap." left the model to guess what it gets without the argument (review).
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    described = tools["run_batch"].input_schema["properties"]["parallel"]["description"]
    assert f"default {settings.execution.batch_concurrency}" in described


async def test_classify_task_returns_the_design_classification(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("classify_task", {"task": "Implement user authentication with JWT"})
        assert not r.is_error
        c = r.structured_content
        assert c["primary_provider"] == "codex"
        assert c["task_type"] == "code_generation"
        assert set(c["all_scores"]) == {"codex", "gemini", "claude"}
        assert c["fallback_chain"] and c["primary_provider"] not in c["fallback_chain"]
        assert any("implement" in reason for reason in c["reasons"])


async def test_recommend_provider_record_and_audit_line(server, mode, keyword_core):
    async with connect(server, mode) as client:
        r = await client.call_tool("recommend_provider", {"task": "Design distributed system architecture", "repo": "hub"})
        assert not r.is_error
        rec = r.structured_content
        assert set(rec) >= {"task_classification", "provider_availability", "recommendation", "agent_assigned",
                            "alternatives"}
        assert rec["recommendation"]["provider"] == "claude"
        assert rec["recommendation"]["reason"] == "primary available"
        assert rec["recommendation"]["cost_estimate"].startswith("$")
        assert rec["agent_assigned"]["agent_id"] == "system-architect"
        assert {a["provider"] for a in rec["alternatives"]} == {"codex", "gemini"}
        assert rec["provider_availability"]["claude"]["available"] is True
        line = keyword_core.audit.tail(1)[0]
        assert line["task_id"] == rec["task_id"]
        assert line["recommendation"]["provider_reason"] == "primary available"
        assert line["repo"] == "hub"


async def test_bad_arguments_are_tool_errors_that_say_what_is_wrong(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("recommend_provider", {"task": "   "})
        assert r.is_error
        assert "task is empty" in r.content[0].text
        r = await client.call_tool("dispatch_agent", {"task": "fix it", "provider": "mistral"})
        assert r.is_error
        assert "provider" in r.content[0].text
        r = await client.call_tool("run_batch", {"tasks": []})
        assert r.is_error


async def test_dispatch_agent_leases_and_the_pool_shows_it(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Review pull request 42 for race conditions"})
        assert not r.is_error
        agent = r.structured_content["agent_assigned"]
        assert agent["lease_id"]
        pool = json.loads((await client.read_resource("agents://pool")).contents[0].text)
        assert pool["count"] >= 54
        assert pool["in_use"].get(agent["agent_id"]) == 1


async def test_run_batch_plans_groups_and_costs(server, mode):
    async with connect(server, mode) as client:
        tasks = [
            {"task": "Implement the CSV export endpoint", "id": "a"},
            {"task": "Explain OAuth2 flow", "id": "b"},
            {"task": "Design distributed system architecture for ingest", "id": "c"},
            {"task": "Fix the bug in data loader", "id": "d"},
        ]
        r = await client.call_tool("run_batch", {"tasks": tasks, "parallel": 2})
        assert not r.is_error
        plan = r.structured_content
        assert plan["dry_run"] is True
        assert [i["task_id"] for i in plan["items"]] == ["a", "b", "c", "d"]
        assert plan["providers"]["codex"]["tasks"] == [0, 3]
        assert set(plan["providers"]) == {"codex", "gemini", "claude"}
        assert plan["total_cost_usd"] == pytest.approx(sum(i["cost_usd"] for i in plan["items"]))
        assert plan["estimated_seconds"] < plan["sequential_seconds"]


async def test_get_budget_and_record_usage(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("record_usage", {"provider": "gemini", "requests": 90, "tokens": 1000, "cost_usd": 2.5})
        assert not r.is_error
        budget = (await client.call_tool("get_budget", {})).structured_content
        assert budget["providers"]["gemini"]["spent"] == 2.5
        assert budget["total"] == 100.0
        usage = json.loads((await client.read_resource("usage://gemini")).contents[0].text)
        assert usage["requests_used"] == 90
        assert usage["available"] is False
        assert usage["blocks"][0]["reason"] == "requests_percent >= 80%"
        rec = (await client.call_tool("recommend_provider", {"task": "Explain OAuth2 flow"})).structured_content
        assert rec["recommendation"]["provider"] != "gemini"
        assert rec["recommendation"]["reason"].startswith("primary blocked")


async def test_resources_list_and_read(server, mode):
    async with connect(server, mode) as client:
        uris = {r.uri for r in (await client.list_resources()).resources}
        assert {"usage://summary", "budget://today", "audit://recent", "agents://pool", "config://effective"} <= uris
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"usage://{provider}", "audit://{day}"} <= templates
        summary = json.loads((await client.read_resource("usage://summary")).contents[0].text)
        assert set(summary["providers"]) == {"codex", "gemini", "claude"}
        cfg = json.loads((await client.read_resource("config://effective")).contents[0].text)
        assert cfg["environment"]["OPENAI_API_KEY"] in ("set (masked)", "not set")
        budget = json.loads((await client.read_resource("budget://today")).contents[0].text)
        assert budget["total"] == 100.0


async def test_unknown_resource_is_an_error(server):
    from mcp import MCPError

    async with Client(server) as c:
        with pytest.raises(MCPError, match="unknown provider"):
            await c.read_resource("usage://mistral")
        with pytest.raises(MCPError, match="YYYY-MM-DD"):
            await c.read_resource("audit://yesterday")
        with pytest.raises(MCPError, match="2026-02-30 is not a date in the calendar"):
            await c.read_resource("audit://2026-02-30")


async def test_usage_updates_reach_modern_subscribers(server):
    async with Client(server) as c, c.listen(resource_subscriptions=["usage://codex"]) as sub:
        await c.call_tool("record_usage", {"provider": "codex", "requests": 5, "tokens": 10})
        with anyio.fail_after(5):
            assert await sub.__anext__() == ResourceUpdated(uri="usage://codex")


async def test_usage_updates_reach_legacy_subscribers(server):
    got: list[str] = []
    seen = anyio.Event()

    async def handler(msg):
        if isinstance(msg, ResourceUpdatedNotification):
            got.append(msg.params.uri)
            seen.set()

    async with Client(server, mode="legacy", message_handler=handler) as c:
        await c.subscribe_resource("budget://today")
        await c.call_tool("record_usage", {"provider": "claude", "cost_usd": 1.0})
        with anyio.fail_after(5):
            await seen.wait()
    assert "budget://today" in got


async def test_tools_list_stays_small_and_schemas_are_published(server):
    bpe_openai = pytest.importorskip("bpe_openai", reason="bpe-openai (a test extra) counts tokens")
    async with Client(server, mode="legacy") as c:
        tools = (await c.list_tools()).tools
        listing = json.dumps([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools])
        schemas = json.loads((await c.read_resource("schema://tool-outputs")).contents[0].text)
    tokens = len(bpe_openai.get_encoding("o200k_base").encode(listing))
    assert tokens < 2000, f"tools/list costs {tokens} tokens"
    assert set(schemas) == TOOLS
    assert "recommendation" in schemas["recommend_provider"]["properties"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_usage_changed_by_another_process_reaches_subscribers(settings, keyword_core, mode):
    """Another server process writes to the same state dir; the poller notices and pushes updates."""
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=0.05)
    other = RouterCore.build(settings, classifier=KeywordClassifier(settings.providers))  # same DB, own connection
    got: list[str] = []
    seen = anyio.Event()

    async def handler(msg):
        if isinstance(msg, ResourceUpdatedNotification):
            got.append(msg.params.uri)
            seen.set()

    async with connect_with_handler(server, mode, handler) as c:
        await c.call_tool("get_budget", {})  # the server has warmed up (its baseline is taken)
        if mode == "legacy":
            await c.subscribe_resource("usage://gemini")
            other.usage_tracker.record("gemini", requests=3, tokens=300)
            with anyio.fail_after(5):
                await seen.wait()
            assert "usage://gemini" in got
        else:
            async with c.listen(resource_subscriptions=["usage://gemini"]) as sub:
                other.usage_tracker.record("gemini", requests=3, tokens=300)
                with anyio.fail_after(5):
                    assert await sub.__anext__() == ResourceUpdated(uri="usage://gemini")


def connect_with_handler(server, mode: str, handler) -> Client:
    return Client(server, mode=mode, raise_exceptions=mode != "legacy", message_handler=handler)


async def test_audit_day_resource_is_bounded_and_says_so(server, keyword_core, monkeypatch):
    # A busy day's log is 20-60 MiB; the resource goes into a host's context, so it carries the newest part.
    import resources.registry as resources

    monkeypatch.setattr(resources, "DAY_RESOURCE_BYTES", 4096)
    log = keyword_core.audit
    for i in range(100):
        log.append({"event": "recommendation", "i": i, "pad": "x" * 200})
    day = log.days()[-1]
    with log.part_path(day, 0).open("ab") as f:
        f.write(b"not json\n")
    log.append({"event": "recommendation", "i": 100})
    async with Client(server) as c:
        text = (await c.read_resource(f"audit://{day}")).contents[0].text
    view = json.loads(text)
    assert len(text) < 2 * 4096
    assert view["complete"] is False and view["skipped_lines"] == 1 and "switchboard audit --since" in view["note"]
    assert [e["i"] for e in view["entries"]] == list(range(101 - len(view["entries"]), 101))


async def test_an_empty_day_the_log_no_longer_keeps_or_not_yet_begun_says_so(server, keyword_core):
    # A day past audit.keep_days (its files deleted) and a day to come answered {"entries": [], "complete": true}:
    # read as "nothing was decided that day".
    keyword_core.decide("Write unit tests for the parser")  # today, 2026-03-02 on the fake clock
    async with Client(server) as c:
        old, today, later = [json.loads((await c.read_resource(f"audit://{day}")).contents[0].text)
                             for day in ("2026-01-15", "2026-03-02", "2026-03-03")]
    assert old["entries"] == [] and old["complete"] is False
    assert old["note"] == "days more than 30 days old are deleted (audit.keep_days = 30)"
    assert later["entries"] == [] and later["note"] == "2026-03-03 has not begun yet (days are UTC)"
    assert len(today["entries"]) == 1 and "note" not in today


async def test_audit_recent_is_bounded_too(server, keyword_core, monkeypatch):
    # A task may be 200,000 characters and each decision's line holds it: 50 of them were a 10 MB resource.
    import resources.registry as resources

    monkeypatch.setattr(resources, "DAY_RESOURCE_BYTES", 4096)
    for i in range(20):
        keyword_core.audit.append({"event": "recommendation", "i": i, "task_description": "x" * 1000})
    async with Client(server) as c:
        entries = json.loads((await c.read_resource("audit://recent")).contents[0].text)
    assert 0 < len(entries) < 5 and [e["i"] for e in entries] == list(range(20 - len(entries), 20))  # the newest


@pytest.mark.parametrize("cap", [4096, 16384])
async def test_the_audit_resources_text_is_within_the_cap_as_the_host_gets_it(server, keyword_core, monkeypatch, cap):
    # The resources are indented JSON: a decision's line of ~2.4 KB is ~4 KB there, so a cap counted on the log's
    # lines let audit://{day} reach 1.5 times it (393 KB for 256 KiB).
    import resources.registry as resources

    monkeypatch.setattr(resources, "DAY_RESOURCE_BYTES", cap)
    for i in range(40):
        keyword_core.decide(f"Write unit tests for the parser, case {i} é")
    day = keyword_core.audit.days()[-1]
    async with Client(server) as c:
        day_text = (await c.read_resource(f"audit://{day}")).contents[0].text
        recent_text = (await c.read_resource("audit://recent")).contents[0].text
    view, recent = json.loads(day_text), json.loads(recent_text)
    assert len(day_text.encode()) <= cap and len(recent_text.encode()) <= cap
    assert view["entries"] and view["complete"] is False and "switchboard audit --since" in view["note"]
    assert view["entries"][-1]["task_description"].startswith("Write unit tests for the parser, case 39")
    assert recent and recent[-1]["task_description"] == view["entries"][-1]["task_description"]


async def test_listed_descriptions_carry_no_docstring_indentation(server):
    # Three tools' descriptions were their docstrings as written, each line break followed by the source's
    # four spaces of indentation: tokens in every host's context window for nothing (QA).
    async with Client(server) as c:
        tools = (await c.list_tools()).tools
        resources = (await c.list_resources()).resources + (await c.list_resource_templates()).resource_templates
    texts = {t.name: t.description for t in tools}
    texts |= {f"{t.name}.{arg}": p.get("description", "") for t in tools
              for arg, p in t.input_schema["properties"].items()}
    texts |= {r.name: r.description or "" for r in resources}
    for name, text in texts.items():
        assert text == text.strip() and "\n " not in text and "  " not in text, (name, text)


async def test_instructions_say_how_to_run_a_subtask(server, mode):
    # They named recommend_provider and run_batch only: no tool that runs one subtask, and run_batch, which only
    # plans unless dry_run is false, as the way to run several (QA, first day of a user).
    async with connect(server, mode) as client:
        instructions = client.instructions or ""
    assert "dispatch_agent" in instructions
    assert "run_batch with dry_run false" in instructions
