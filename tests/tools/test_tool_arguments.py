"""Arguments as hosts' models send them: a misspelt or invented argument is refused before anything runs,
and a wrong one is explained in a line per argument, without pydantic's internals."""

from __future__ import annotations

import pytest
from mcp import Client

from server.app import create_server


@pytest.fixture
def server(settings, keyword_core):
    return create_server(settings, core_factory=lambda: keyword_core, live_interval=None)


@pytest.fixture(params=["auto", "legacy"])
def mode(request) -> str:
    return request.param


def connect(server, mode: str) -> Client:
    return Client(server, mode=mode, raise_exceptions=mode != "legacy")


async def test_an_unknown_argument_of_dispatch_is_refused_and_nothing_runs(server, mode, keyword_core):
    # run_batch's dry_run sent to dispatch_agent: dropped silently, the task was routed, leased and run.
    async with connect(server, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Fix the bug in the data loader", "dry_run": True})
        assert r.is_error
        text = r.content[0].text
        assert "'dry_run'" in text and "nothing was done" in text
        assert "task, provider, context, max_cost, wait, execute" in text
    assert keyword_core.audit.tail(1) == []
    assert keyword_core.leases.in_use() == {}


async def test_a_misspelt_cap_is_refused_with_the_name_it_meant(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Fix the bug", "max_costs": 0.01})
        assert r.is_error
        assert "did you mean 'max_cost'" in r.content[0].text


async def test_unknown_arguments_of_the_other_tools_are_refused(server, mode):
    async with connect(server, mode) as client:
        for tool, args in [
            ("classify_task", {"task": "Fix the bug", "verbose": True}),
            ("recommend_provider", {"task": "Fix the bug", "provider": "claude"}),
            ("get_budget", {"provider": "codex"}),
            ("record_usage", {"provider": "codex", "cost": 5}),
            ("run_batch", {"tasks": [{"task": "Fix the bug"}], "dryRun": False}),
            ("run_batch", {"tasks": [{"task": "Fix the bug", "provider": "claude"}]}),
        ]:
            r = await client.call_tool(tool, args)
            assert r.is_error, (tool, args)
            assert "Traceback" not in r.content[0].text


async def test_a_wrong_argument_is_explained_in_one_line_without_pydantic_internals(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("dispatch_agent", {"task": "Fix the bug", "max_cost": -1})
        assert r.is_error
        text = r.content[0].text
        assert "max_cost: Input should be greater than 0 (got -1)" in text
        for noise in ("dispatch_agentArguments", "errors.pydantic.dev", "[type="):
            assert noise not in text
        r = await client.call_tool("run_batch", {"tasks": [{"task": "a"}] * 501})
        assert r.is_error
        assert "tasks: List should have at most 500 items" in r.content[0].text
        assert "{'task'" not in r.content[0].text  # not the 501 tasks echoed back
        r = await client.call_tool("classify_task", {})
        assert r.is_error and "task: Field required" in r.content[0].text
        r = await client.call_tool("run_batch", {"tasks": [{"task": "a", "id": 5}]})
        assert r.is_error and "tasks.0.id: Input should be a valid string (got 5)" in r.content[0].text
        r = await client.call_tool("run_batch", {"tasks": ["Fix the bug"]})
        assert r.is_error and "tasks.0: Input should be a valid dictionary (got 'Fix the bug')" in r.content[0].text


async def test_an_unknown_tool_names_the_tools(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("dispatch", {"task": "Fix the bug"})
        assert r.is_error
        assert "dispatch_agent" in r.content[0].text and "run_batch" in r.content[0].text
        r = await client.call_tool("get_budget", {})
        assert not r.is_error  # and the server goes on serving


def titles(node) -> list[str]:
    if isinstance(node, list):
        return [t for item in node for t in titles(item)]
    if not isinstance(node, dict):
        return []
    found = [node["title"]] if isinstance(node.get("title"), str) else []
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found += [t for schema in value.values() for t in titles(schema)]
        elif key != "title":
            found += titles(value)
    return found


async def test_listed_input_schemas_are_closed_and_carry_no_titles(server, mode):
    # pydantic's titles ("Max Cost" for max_cost) were 12% of tools/list, read by the model on every session.
    async with connect(server, mode) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert titles(tool.input_schema) == [], tool.name
        assert tool.input_schema["additionalProperties"] is False
        assert tool.input_schema["type"] == "object"
    batch = next(t for t in tools if t.name == "run_batch").input_schema
    assert batch["$defs"]["BatchTaskIn"]["additionalProperties"] is False
    assert batch["properties"]["tasks"]["items"] == {"$ref": "#/$defs/BatchTaskIn"}
    dispatch = next(t for t in tools if t.name == "dispatch_agent").input_schema
    assert dispatch["required"] == ["task"] and dispatch["properties"]["max_cost"]["description"]


async def test_an_unknown_prompt_is_invalid_params_that_say_there_are_none(server, mode, caplog):
    # The SDK answered a ValueError: "Internal server error" (JSON-RPC code 0 over stdio), with a traceback logged.
    from mcp import MCPError
    from mcp.types import INVALID_PARAMS

    async with connect(server, mode) as client:
        with pytest.raises(MCPError) as err:
            await client.get_prompt("route_task")
    assert err.value.code == INVALID_PARAMS
    assert "Unknown prompt: route_task; Switchboard has no prompts" in err.value.error.message
    assert "Traceback" not in caplog.text and "raised" not in caplog.text


async def test_a_long_wrong_task_type_is_quoted_short_not_echoed_whole(server, mode):
    # A model that put the task itself in task_type got all of it back in the error (a 1 MB task_type, 1 MB of
    # error in its context), where a wrong argument is quoted to 40 characters.
    task = "Refactor the billing module so that invoices are generated per tenant. " * 2000
    async with connect(server, mode) as client:
        r = await client.call_tool("record_feedback", {"task": "Fix the bug", "routed_provider": "codex",
                                                       "correct_provider": "claude", "task_type": task})
    assert r.is_error
    text = r.content[0].text
    assert len(text) < 600, len(text)
    assert "task_type 'Refactor the billing module" in text and "(142,000 characters)" in text
    assert "use one of code_generation" in text


async def test_tasks_sent_as_strings_are_refused_once_with_the_shape_to_send(server, mode):
    # 300 task strings got 300 clauses, "tasks.N: Input should be a valid dictionary (got 'tN')", ~20 KB of error
    # in the model's context, none of them saying what a task looks like.
    async with connect(server, mode) as client:
        r = await client.call_tool("run_batch", {"tasks": [f"Fix bug {i}" for i in range(300)]})
    assert r.is_error
    text = r.content[0].text
    assert len(text) < 600, len(text)
    assert "tasks.0: Input should be a valid dictionary (got 'Fix bug 0')" in text
    assert "the same for 299 more (tasks.1, tasks.2, tasks.3, ...)" in text
    assert 'each task is an object: {"task": "<the subtask>", "id": "<optional id>"}' in text


async def test_a_function_with_no_arguments_says_so(server, mode):
    async with connect(server, mode) as client:
        r = await client.call_tool("get_budget", {"provider": "codex"})
    assert r.is_error and "its arguments are none" not in r.content[0].text
    assert "get_budget takes no arguments" in r.content[0].text


async def test_record_feedbacks_task_type_lists_the_task_types_and_a_wrong_one_is_still_refused_clearly(server, mode):
    # task_type was a plain string in the schema: a host saw no choices, and its model guessed ("bugfix").
    from router_core.settings import TASK_TYPES

    async with connect(server, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        r = await client.call_tool("record_feedback", {"task": "Fix the bug", "routed_provider": "codex",
                                                       "correct_provider": "claude", "task_type": "bugfix"})
    choices = tools["record_feedback"].input_schema["properties"]["task_type"]["anyOf"]
    assert {"type": "string", "enum": list(TASK_TYPES)} in choices and {"type": "null"} in choices
    assert len(TASK_TYPES) == 14
    assert r.is_error and "task_type 'bugfix' is unknown; use one of code_generation" in r.content[0].text
