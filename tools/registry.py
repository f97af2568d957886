"""MCP tools: thin typed functions over RouterCore, registered on an MCPServer.

Each tool returns a pydantic model, or (recommend_provider and dispatch_agent, the hot paths) plain data in
a model's shape, typed ``Annotated[dict, Model]``. It is sent as structuredContent plus compact JSON text, without
the fields at their default (as_result), and without an outputSchema in tools/list: the output schemas would cost every host about 4,000
context tokens on each session. They are published as the resource ``schema://tool-outputs``.

The tool modules leave out ``from __future__ import annotations`` on purpose: the SDK evaluates each
tool's annotations three times while registering it (its signature, then two type-hint scans), and
string annotations made that ~2 ms of every server start; evaluated at definition, it is done once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_origin, get_type_hints

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from router_core.inputs import surrogates_replaced
from router_core.settings import ExecutionSettings
from tools.budget import get_budget, record_usage, used_description
from tools.dispatch import dispatch_agent, parallel_description, run_batch
from tools.errors import invalid_arguments, unknown_arguments
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


def _arguments(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments a host may send ``fn``: its parameters but the Context the SDK passes."""
    return tuple(name for name, p in inspect.signature(fn).parameters.items() if p.annotation is not Context)


ARGUMENTS: dict[str, tuple[str, ...]] = {fn.__name__: _arguments(fn) for fn, _ in TOOLS}


def check_call(name: str, arguments: dict[str, Any]) -> None:
    """Refuse, before anything runs, a call with an argument its tool doesn't have (the SDK drops those
    silently)."""
    if name not in ARGUMENTS:
        return  # a tool registered elsewhere, or none (explained() names the tools)
    unknown = set(arguments) - set(ARGUMENTS[name])
    if unknown:
        raise ToolError(f"Error executing tool {name}: {unknown_arguments(name, unknown, ARGUMENTS[name])}")


def explained(name: str, exc: ToolError) -> ToolError:
    """The SDK's error for arguments that fail the input schema (pydantic's text, with its internal model
    name, error codes and links) as one line per argument, and for an unknown tool with the tools' names;
    any other tool error as it is."""
    if type(exc) is ToolError and str(exc) == f"Unknown tool: {name}":
        return ToolError(f"Unknown tool: {name}; Switchboard's tools are {', '.join(ARGUMENTS)}")
    if type(exc) is ToolError and isinstance(exc.__cause__, ValidationError):
        error = ToolError(f"Error executing tool {name}: {invalid_arguments(exc.__cause__)}")
        error.__cause__ = exc.__cause__  # the SDK logs the rejected fields' names from it
        return error
    return exc


def configured_descriptions(execution: ExecutionSettings) -> dict[str, dict[str, str]]:
    """tool -> argument -> its description as ``execution`` has it, for the arguments whose default or meaning
    config sets (the tool functions' own name the shipped values). A server lists its settings at start-up,
    the ones in force until it restarts: an edit of them waits for one (config/watch.py)."""
    return {"run_batch": {"parallel": parallel_description(execution.batch_concurrency)},
            "record_usage": {what.lower(): used_description(what, execution.rate_window_seconds)
                             for what in ("Requests", "Tokens")}}


def listed_schema(schema: dict[str, Any], described: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A tool's input schema as tools/list sends it: without pydantic's titles ("Max Cost" for max_cost, 12% of
    the listing, read by every host's model on every session), closed (``additionalProperties: false``)
    as check_call makes it, and with the descriptions of ``described`` (configured_descriptions)."""

    def strip(node: Any, names: bool = False) -> Any:
        if isinstance(node, list):
            return [strip(item) for item in node]
        if not isinstance(node, dict):
            return node
        if names:  # "properties" or "$defs": the keys are names, each value a schema
            return {key: strip(value) for key, value in node.items()}
        return {key: strip(value, names=key in ("properties", "$defs")) for key, value in node.items()
                if not (key == "title" and isinstance(value, str))}

    listed = {**strip(schema), "additionalProperties": False}
    for name, text in (described or {}).items():
        listed["properties"][name] = {**listed["properties"][name], "description": text}
    return listed


def as_result(result: BaseModel | dict[str, Any]) -> CallToolResult:
    """A model, or data already in a model's JSON shape (recommendation_record), as structuredContent plus its
    compact JSON text, without the fields at their default (None, false, 0, empty; each default is in the
    published schema): they were 10-40% of a result (bench/tool_results.py).

    Both are kept, though a host's model reads only one: Claude Code and Codex give it the structuredContent,
    Gemini CLI the text (checked with Claude Code 2.1.197, Codex 0.169.0, Gemini CLI 0.61.0), and the spec
    asks for the text for clients that don't read structuredContent. The text is the same compact JSON, not
    the SDK's indented copy (1.3-1.6x the characters)."""
    data = result.model_dump(mode="json", exclude_defaults=True) if isinstance(result, BaseModel) else result
    try:
        text = to_json(data).decode()
    except PydanticSerializationError:  # a lone surrogate (an answer cut inside an emoji) has no UTF-8 form
        data = _surrogates_replaced(data)
        text = to_json(data).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def _surrogates_replaced(data: Any) -> Any:
    """``data`` with each unpaired surrogate in its strings as U+FFFD. A provider's answer or error may hold one
    (JSON's "\\ud83d" escape alone, from a Node CLI or a proxy that cut its text inside an emoji): the reply
    failed, and the host lost the answer it paid for."""
    if isinstance(data, str):
        return surrogates_replaced(data)
    if isinstance(data, dict):
        return {_surrogates_replaced(key): _surrogates_replaced(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_surrogates_replaced(item) for item in data]
    return data


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


def output_model(fn: Callable[..., Any]) -> type[BaseModel]:
    """The model a tool's result follows: its return type, or the model of an ``Annotated[dict, Model]``."""
    hint = get_type_hints(fn, include_extras=True)["return"]
    return hint.__metadata__[0] if get_origin(hint) is Annotated else hint


def output_schemas() -> dict[str, Any]:
    return {fn.__name__: output_model(fn).model_json_schema() for fn, _ in TOOLS}


def listed_description(fn: Callable[..., Any]) -> str:
    """``fn``'s docstring as tools/list sends it: each paragraph on one line, without the source's indentation
    (the SDK sends ``__doc__`` as written, four spaces after each line break: tokens in every host's context
    window for nothing)."""
    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(fn.__doc__ or "").split("\n\n"))


def register_tools(mcp: MCPServer) -> None:
    for fn, hints in TOOLS:
        mcp.tool(description=listed_description(fn), annotations=hints, structured_output=False)(structured(fn))


__all__ = ["register_tools", "output_schemas", "check_call", "explained", "listed_schema",
           "configured_descriptions"]
