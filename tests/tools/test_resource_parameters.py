"""Resource template parameters reach no file but the day's audit part and no provider but a configured one:
what a host (or a prompt-injected model) puts in a URI is refused, never used as a path."""

from __future__ import annotations

import pytest
from mcp import Client, MCPError

from server.app import create_server


@pytest.fixture
def server(settings, keyword_core):
    return create_server(settings, core_factory=lambda: keyword_core, live_interval=None)


@pytest.mark.parametrize("uri", [
    "audit://..%2F..%2F..%2Fetc%2Fpasswd", "audit://../../etc/passwd", "audit:///etc/passwd",
    "audit://2026-01-01%2F..%2Fstate.db", "audit://2026-01-01%00", "audit://2026-01-01%0A", "audit://%2E%2E",
    "audit://２０２６-０１-０１", "audit://" + "9" * 100_000, "audit://" + "x" * 5_000,
    "usage://..%2Fcodex", "usage://codex%00", "usage://" + "x" * 100_000, "usage://" + "y" * 5_000,
])
async def test_a_parameter_that_is_no_day_or_provider_is_refused(server, keyword_core, uri):
    keyword_core.audit.append({"event": "recommendation", "task_description": "a task"})
    async with Client(server) as c:
        with pytest.raises(MCPError) as caught:
            await c.read_resource(uri)
    said = str(caught.value)
    assert "root:" not in said and "SQLite" not in said
    assert len(said) < 1_000, said[:200]  # a 100,000-character value is not echoed back whole


@pytest.mark.parametrize(("day", "shown"), [("2026-01-01\n", r"got '2026-01-01\n'"), ("２０２６-０１-０１", "got '２０２６")])
async def test_a_day_with_a_line_end_or_other_digits_is_no_day_and_is_quoted(server, day, shown):
    # Before, "2026-01-01\n" passed the shape test (re's "$" matches before a final newline) and the message
    # carried a raw line break: "2026-01-01<newline> is not a date in the calendar".
    from router_core.audit import day_problem

    assert shown in day_problem(day)
