"""run_batch names a task as "task 3 (index 2)": counted from 1, with its place in the tasks array it was sent in
(the ``index`` of its item and result), in its errors and warnings alike."""

from __future__ import annotations

from dataclasses import replace

from mcp import Client

from server.app import create_server


def _server(settings, core):
    return create_server(settings, core_factory=lambda: core, live_interval=None)


async def test_an_error_names_the_task_from_1_and_by_its_index(settings, keyword_core):
    # The third task was "task 2", the first "task 0": a host counted its array one way, a person another.
    async with Client(_server(settings, keyword_core)) as client:
        tasks = [{"id": "a", "task": "Write tests"}, {"task": "Fix the bug"}, {"id": "a", "task": "Explain OAuth2"}]
        r = await client.call_tool("run_batch", {"tasks": tasks})
        assert r.is_error and "tasks 1 and 3 (index 0 and 2) have the same id 'a'" in r.content[0].text
        r = await client.call_tool("run_batch", {"tasks": [{"task": "Write tests"}, {"task": "   "}]})
        assert r.is_error and "task 2 (index 1): task is empty" in r.content[0].text


async def test_a_plan_warning_names_the_task_as_its_errors_do(settings, clock):
    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    providers = tuple(replace(p, tokens_per_minute=100) if p.name == "codex" else p for p in settings.providers)
    narrow = replace(settings, providers=providers)
    core = RouterCore.build(narrow, clock=clock, classifier=KeywordClassifier(narrow.providers))
    async with Client(_server(narrow, core)) as client:
        tasks = [{"task": "Explain OAuth2 flow"}, {"task": "Implement the CSV export endpoint with tests"}]
        plan = (await client.call_tool("run_batch", {"tasks": tasks})).structured_content
    assert plan["items"][1]["provider"] == "codex"
    assert [w for w in plan["warnings"] if "needs ~" in w][0].startswith("task 2 (index 1) needs ~"), plan["warnings"]
