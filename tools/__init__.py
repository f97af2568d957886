"""MCP tools: thin typed functions over RouterCore, registered on an MCPServer.

Each tool returns a pydantic model. It is sent as structuredContent plus compact JSON text, but
without an outputSchema in tools/list: the output schemas would cost every host about 4,000
context tokens on each session. They are published as the resource ``schema://tool-outputs``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any, get_type_hints

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from tools.budget import get_budget, record_usage
from tools.dispatch import dispatch_agent, run_batch
from tools.feedback import record_feedback
from tools.routing import classify_task, recommend_provider

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
RECORDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)

# recommend_provider writes an audit line but changes no routing state: read-only for hosts
# (Codex auto-approves read-only tools).
TOOLS: list[tuple[Callable[..., Any], ToolAnnotations]] = [
    (classify_task, READ_ONLY),
    (recommend_provider, READ_ONLY),
    (dispatch_agent, ACTS),
    (run_batch, ACTS),
    (get_budget, READ_ONLY),
    (record_usage, RECORDS),
    (record_feedback, RECORDS),
]


def as_result(model: BaseModel) -> CallToolResult:
    data = model.model_dump(mode="json")
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def structured(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a tool so its pydantic result goes out as structuredContent without an outputSchema."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def wrapper_async(*args: Any, **kwargs: Any) -> CallToolResult:
            return as_result(await fn(*args, **kwargs))

        return wrapper_async

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
        return as_result(fn(*args, **kwargs))

    return wrapper


def output_schemas() -> dict[str, Any]:
    return {fn.__name__: get_type_hints(fn)["return"].model_json_schema() for fn, _ in TOOLS}


def register_tools(mcp: MCPServer) -> None:
    for fn, hints in TOOLS:
        mcp.tool(annotations=hints, structured_output=False)(structured(fn))


__all__ = ["register_tools", "output_schemas"]
