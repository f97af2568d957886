"""A host agent's text reaches the tools' replies: it must never make a reply fail."""

from __future__ import annotations

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
