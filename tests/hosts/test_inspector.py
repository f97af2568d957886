"""MCP Inspector's CLI mode (`@modelcontextprotocol/inspector --cli`) against the real server, stdio and HTTP."""

from __future__ import annotations

import json

import pytest

from tests.hosts.hostkit import SWITCHBOARD, TOOLS, host_executable

pytestmark = pytest.mark.slow


@pytest.fixture
def inspect(sandbox):
    inspector = host_executable("mcp-inspector")

    def run(target: list[str], *args: str) -> dict:
        proc = sandbox.run(inspector, "--cli", *target, *args)
        assert proc.returncode == 0, f"inspector {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout)

    return run


def check_server(inspect, target: list[str]) -> None:
    tools = inspect(target, "--method", "tools/list")["tools"]
    assert {t["name"] for t in tools} >= TOOLS
    for tool in tools:
        assert tool["description"] and tool["inputSchema"]["type"] == "object"

    uris = {r["uri"] for r in inspect(target, "--method", "resources/list")["resources"]}
    assert {"usage://summary", "budget://today"} <= uris

    usage = inspect(target, "--method", "resources/read", "--uri", "usage://summary")["contents"][0]
    assert usage["mimeType"] == "application/json"
    assert set(json.loads(usage["text"])["providers"]) == {"codex", "gemini", "claude"}
    budget = json.loads(
        inspect(target, "--method", "resources/read", "--uri", "budget://today")["contents"][0]["text"]
    )
    assert budget["total"] > 0

    task = "task=Design distributed system architecture for a data pipeline"
    result = inspect(target, "--method", "tools/call", "--tool-name", "classify_task", "--tool-arg", task)
    assert result["isError"] is False
    assert result["structuredContent"]["primary_provider"] == "claude"


def test_stdio(inspect):
    check_server(inspect, [str(SWITCHBOARD), "serve"])


def test_streamable_http(inspect, http_server):
    check_server(inspect, [f"{http_server}/mcp", "--transport", "http"])


def test_a_tool_error_is_reported_as_an_error_result(inspect):
    result = inspect(
        [str(SWITCHBOARD), "serve"],
        "--method",
        "tools/call",
        "--tool-name",
        "classify_task",
        "--tool-arg",
        "task=   ",  # blank: the server must refuse it
    )
    assert result["isError"] is True and "task is empty" in result["content"][0]["text"]
