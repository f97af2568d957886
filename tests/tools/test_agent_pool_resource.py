"""agents://pool goes whole into a host's context: with many host agent files it is cut to a bound, and says so."""

from __future__ import annotations

import json

from mcp import Client

from router_core.classifier.keywords import KeywordClassifier
from router_core.core import RouterCore
from server.app import create_server

# Claude Code's own agent descriptions carry examples: ~1 KB each.
DESCRIPTION = ("Use this agent when the user needs a review of recently written code for quality and security. "
               "Examples: <example>Context: the user has just written a new function. user: 'I added the login "
               "handler' assistant: 'Let me use the code-reviewer agent to review it' <commentary>New code was "
               "written, so use the agent.</commentary></example> ") * 3


async def test_a_pool_of_many_host_agents_is_bounded_and_says_so(settings, clock, tmp_path):
    # 300 such agents made agents://pool ~450 KB (~110k tokens), unbounded up to 500 files of 64 KiB each.
    import resources.registry as resources

    agents_dir = tmp_path / "agents"
    agents_dir.mkdir()
    for i in range(300):
        (agents_dir / f"reviewer-{i}.md").write_text(
            f'---\nname: reviewer-{i}\ndescription: "{DESCRIPTION}"\n---\nYou review code.\n')
    core = RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                            host_agent_dirs=[agents_dir])
    server = create_server(settings, core_factory=lambda: core, live_interval=None)
    async with Client(server) as c:
        text = (await c.read_resource("agents://pool")).contents[0].text
    pool = json.loads(text)
    assert len(text.encode()) <= resources.DAY_RESOURCE_BYTES
    assert pool["count"] == len(core.agents) == len(settings.agents) + 300
    shown = [a["id"] for a in pool["agents"]]
    assert 0 < len(shown) < pool["count"] and shown == [a.id for a in core.agents][:len(shown)]  # the first ones
    assert f"only the first {len(shown)} of {pool['count']} agents" in pool["note"]


async def test_the_built_in_pool_is_shown_whole_without_a_note(settings, keyword_core):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as c:
        pool = json.loads((await c.read_resource("agents://pool")).contents[0].text)
    assert len(pool["agents"]) == pool["count"] == len(keyword_core.agents) and "note" not in pool
