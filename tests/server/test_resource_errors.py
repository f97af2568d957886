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


async def test_a_core_that_cannot_be_built_at_start_up_is_said_per_request_not_a_closed_session(settings, caplog):
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    (state / "switchboard.db").write_bytes(bytes(range(256)) * 16)  # no SQLite database
    server = create_server(settings, live_interval=None)  # the core is built in the background at start-up
    async with Client(server, raise_exceptions=False) as client:
        for _ in range(2):  # the session stays open: each request says why
            r = await client.call_tool("get_budget", {})
            assert r.is_error and "StateUnusable" in r.content[0].text
            assert "is not a SQLite database" in r.content[0].text
    # The server's log says it in one line: a 40-line traceback (a database locked at start) buried what to do.
    [built] = [r for r in caplog.records if r.getMessage().startswith("building the routing core failed")]
    assert "StateUnusable: the state database" in built.getMessage() and built.exc_info is None


async def test_an_audit_directory_that_cannot_be_listed_is_said_in_the_error(settings, keyword_core):
    # An OSError reading the audit log (another user's files in a shared state dir, a directory replaced) was
    # answered 'Error reading resource audit://recent', and for a day 'Error creating resource from template'.
    keyword_core.decide("Write unit tests for the parser")
    day = keyword_core.audit.days()[-1]
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    audit_dir = keyword_core.audit.directory
    for path in audit_dir.iterdir():
        path.unlink()
    audit_dir.rmdir()
    audit_dir.write_text("not a directory")
    async with Client(server, raise_exceptions=False) as client:
        for uri in ("audit://recent", f"audit://{day}"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            message = str(caught.value)
            assert f"StateUnusable: cannot read the audit log in {audit_dir}" in message
            assert "Not a directory" in message


async def test_an_audit_file_that_cannot_be_read_is_said_in_the_error(settings, keyword_core):
    keyword_core.decide("Write unit tests for the parser")
    day = keyword_core.audit.days()[-1]
    keyword_core.audit.part_path(day, 1).mkdir()  # a part that is no file: reading it fails as unreadable ones do
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server, raise_exceptions=False) as client:
        for uri in ("audit://recent", f"audit://{day}"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            message = str(caught.value)
            assert "StateUnusable: cannot read the audit log in " in message
            assert "Is a directory" in message and str(keyword_core.audit.part_path(day, 1)) in message


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_unknown_resource_names_the_resources_there_are(settings, keyword_core, mode):
    # The SDK said "Unknown resource: budget://yesterday" and no more, where an unknown tool names the tools.
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server, mode=mode, raise_exceptions=False) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("budget://yesterday")
    message = str(caught.value)
    assert message.startswith("Unknown resource: budget://yesterday")
    assert "budget://today" in message and "audit://{day}" in message and "usage://{provider}" in message


async def test_with_the_audit_log_off_the_audit_resources_say_so_not_that_nothing_was_decided(settings, clock):
    # audit://recent answered [] and a day {"entries": [], "complete": true} while decisions were being made
    # (audit.enabled = false): an assistant read that nothing had happened; the CLI's `audit` said the log is off.
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    off = replace(settings, audit=replace(settings.audit, enabled=False))
    core = RouterCore.build(off, clock=clock, classifier=KeywordClassifier(off.providers))
    core.decide("Write unit tests for the parser")
    server = create_server(off, core_factory=lambda: core, live_interval=None)
    async with Client(server, raise_exceptions=False) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("audit://recent")
        day = (await client.read_resource("audit://2026-03-02")).contents[0].text
    assert "the audit log is off (audit.enabled = false in the configuration)" in str(caught.value)
    assert "the audit log is off (audit.enabled = false in the configuration)" in day and '"entries": []' in day
