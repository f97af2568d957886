"""tools/list describes an argument whose default or meaning config sets as this server's configuration has it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from mcp import Client

from server.app import SwitchboardServer, create_server


@pytest.mark.parametrize(("concurrency", "window", "per"), [(3, 3600.0, "hour"), (16, 90.0, "90 seconds")])
async def test_the_configured_concurrency_and_rate_window_are_described(settings, keyword_core, concurrency, window,
                                                                         per):
    # run_batch said "default 8" and record_usage "in the last minute" whatever execution.batch_concurrency and
    # execution.rate_window_seconds were: with 3 and 3600 a host's model expected 8 tasks at once, and entered the
    # last minute's requests where the core took them for the last hour's.
    configured = replace(settings, execution=replace(settings.execution, batch_concurrency=concurrency,
                                                     rate_window_seconds=window))
    async with Client(create_server(configured, core_factory=lambda: keyword_core, live_interval=None)) as client:
        tools = {t.name: t.input_schema["properties"] for t in (await client.list_tools()).tools}
    assert tools["run_batch"]["parallel"]["description"] == (
        f"Concurrency cap (default {concurrency}: execution.batch_concurrency).")
    assert tools["record_usage"]["requests"]["description"] == f"Requests used in the last {per}."
    assert tools["record_usage"]["tokens"]["description"] == f"Tokens used in the last {per}."


def test_each_server_has_its_own_descriptions(settings, keyword_core):
    # `described` was a class-level {} that build_server replaced per instance: a server made without build_server
    # shared one dict with every other such server (and the class), so an entry set on one showed in all.
    bare, other = SwitchboardServer("a"), SwitchboardServer("b")
    bare.described["run_batch"] = {"parallel": "set on one server"}
    assert other.described == {} and "described" not in vars(SwitchboardServer)
    one = create_server(replace(settings, execution=replace(settings.execution, batch_concurrency=3)),
                        core_factory=lambda: keyword_core, live_interval=None)
    two = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    assert one.described["run_batch"] != two.described["run_batch"]
    assert "(default 3:" in one.described["run_batch"]["parallel"]
