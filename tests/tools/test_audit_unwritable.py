"""Tools whose decision is audited, on an audit log that cannot be written: a tool error that says why and
what to do (it was "Error executing tool recommend_provider", with no reason)."""

from __future__ import annotations

import errno
import os

import pytest
from mcp import Client

from server.app import create_server


@pytest.fixture
def server(settings, keyword_core):
    return create_server(settings, core_factory=lambda: keyword_core, live_interval=None)


@pytest.mark.parametrize(("tool", "args"), [
    ("recommend_provider", {"task": "Fix the bug in the login flow"}),
    ("run_batch", {"tasks": [{"task": "Fix the bug in the login flow"}]}),
])
async def test_a_full_disk_under_the_audit_log_is_a_clear_tool_error(server, monkeypatch, tool, args):
    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("router_core.audit_writer._write_all", disk_full)
    async with Client(server, raise_exceptions=False) as client:
        r = await client.call_tool(tool, args)
        assert r.is_error
        text = r.content[0].text
        assert "StateUnusable: cannot write the audit log in " in text and "No space left on device" in text
        monkeypatch.undo()
        assert not (await client.call_tool(tool, args)).is_error  # the server goes on
