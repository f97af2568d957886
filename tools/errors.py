"""Translate core errors into tool errors once, with messages the calling model can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError

from router_core.errors import RouterError


@contextmanager
def tool_errors() -> Iterator[None]:
    try:
        yield
    except RouterError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc
