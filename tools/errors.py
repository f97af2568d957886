"""Translate core errors into tool errors once, with messages the calling model can act on; and explain
arguments the tools can't take, one line per argument."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from router_core.errors import RouterError

SHOWN_INPUT_CHARS = 40  # of a rejected string, in the message (the whole of it may be 1 MB)
_MODEL_NAME = re.compile(r" or instance of \w+")  # "a valid dictionary or instance of BatchTaskIn"


@contextmanager
def tool_errors() -> Iterator[None]:
    try:
        yield
    except RouterError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc


def unknown_arguments(tool: str, unknown: Iterable[str], allowed: Iterable[str]) -> str:
    """Why a call with arguments the tool doesn't have is refused: an ignored ``max_costs`` would run the
    task uncapped, an ignored ``dry_run`` would run it at all."""
    allowed = list(allowed)
    parts = []
    for name in sorted(unknown):
        close = difflib.get_close_matches(name, allowed, n=1)
        parts.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    have = ", ".join(allowed) if allowed else "none"
    return (f"{tool} has no argument {', '.join(parts)}, so nothing was done; its arguments are {have}. "
            f"Call it again without it.")


def invalid_arguments(exc: ValidationError) -> str:
    """``exc`` (the tool's arguments against its input schema) as one line per argument: where, what is
    wrong and, for a scalar, what was sent; not pydantic's model name, error codes and links."""
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        line = f"{where}: {_MODEL_NAME.sub('', err['msg'])}"
        value = err.get("input")
        if err["type"] != "missing" and (value is None or isinstance(value, bool | int | float | str)):
            shown = repr(value)
            if len(shown) > SHOWN_INPUT_CHARS:
                shown = shown[:SHOWN_INPUT_CHARS] + "..."
            line += f" (got {shown})"
        lines.append(line)
    return "invalid arguments (see the tool's input schema): " + "; ".join(lines)
