"""A host agent's text reaches the tools' replies: it must never make a reply fail."""

from __future__ import annotations

import pytest
from mcp import Client

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from server.app import create_server


async def test_a_recommendation_naming_an_agent_whose_description_has_half_an_emoji(settings, clock, tmp_path):
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "schema-architect.md").write_text(
        '---\nname: schema-architect\ndescription: "Designs database schemas \\ud83d"\n---\nYou design schemas.\n'
    )
    core = RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                            host_agent_dirs=[agents])
    server = create_server(settings, core_factory=lambda: core, live_interval=None)
    async with Client(server) as client:
        result = await client.call_tool("recommend_provider", {"task": "Design database schemas for billing"})
    assert not result.is_error, result.content[0].text
    agent = result.structured_content["agent_assigned"]
    assert agent["agent_id"] == "schema-architect"
    assert agent["specialization"] == "Designs database schemas \ufffd"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_provider_answer_with_half_an_emoji_is_returned_not_lost(settings, keyword_core, monkeypatch, mode):
    # JSON's "\ud83d" escape alone (a Node CLI or a proxy that cut its text inside an emoji) decodes to a lone
    # surrogate, which has no UTF-8 form: the reply failed to serialize and the host got "Error executing tool
    # dispatch_agent", the answer paid for lost (every task's, for a batch).
    import tools.dispatch
    from router_core.execution.executor import Executor
    from tests.execution.fakes import ScriptedAdapter

    adapters = {p.name: ScriptedAdapter(p, ["Fixed the loader \ud83d", "Cut \udc00 here"]) for p in settings.providers}
    monkeypatch.setattr(tools.dispatch, "executor_of", lambda state: Executor(keyword_core, adapters))
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server, mode=mode, raise_exceptions=mode != "legacy") as client:
        one = await client.call_tool("dispatch_agent", {"task": "Fix the bug in the loader", "provider": "codex"})
        batch = await client.call_tool("run_batch", {"tasks": [{"task": "Fix the bug in the loader"}],
                                                     "dry_run": False})
    assert not one.is_error, one.content[0].text
    assert one.structured_content["result"] == "Fixed the loader \ufffd"
    assert "Fixed the loader \ufffd" in one.content[0].text
    assert not batch.is_error, batch.content[0].text
    assert batch.structured_content["results"][0]["result"] == "Cut \ufffd here"
