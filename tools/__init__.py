"""MCP tools: thin typed functions over RouterCore, registered on an MCPServer."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

from tools.budget import get_budget, record_usage
from tools.dispatch import dispatch_agent, run_batch
from tools.routing import classify_task, recommend_provider

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
RECORDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)


def register_tools(mcp: MCPServer) -> None:
    mcp.tool(annotations=READ_ONLY)(classify_task)
    # recommend_provider writes an audit line but changes no routing state: read-only for hosts.
    mcp.tool(annotations=READ_ONLY)(recommend_provider)
    mcp.tool(annotations=ACTS)(dispatch_agent)
    mcp.tool(annotations=ACTS)(run_batch)
    mcp.tool(annotations=READ_ONLY)(get_budget)
    mcp.tool(annotations=RECORDS)(record_usage)


__all__ = ["register_tools"]
