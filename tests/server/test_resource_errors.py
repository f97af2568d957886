"""A resource that cannot be read because of the state says why and what to do, as a tool does: the SDK
answered 'Error reading resource budget://today' and nothing more."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from server.app import create_server

URIS = ["budget://today", "usage://summary", "usage://codex", "agents://pool"]  # audit://recent reads no state


@pytest.mark.parametrize("uri", URIS)
async def test_a_state_dir_cleaned_up_under_a_running_server_is_said_in_the_error(settings, keyword_core, uri):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server, raise_exceptions=False) as client:
        await client.read_resource("budget://today")  # the state is open and its -shm file mapped
        (settings.state_dir / "switchboard.db-shm").unlink()  # a clean-up of the state dir
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
    message = str(caught.value)
    assert "StateUnusable: the state database's switchboard.db-shm file" in message
    assert "restart every Switchboard process" in message
