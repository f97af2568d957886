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
    if not allowed:
        return f"{tool} takes no arguments (got {', '.join(parts)}), so nothing was done. Call it again with none."
    return (f"{tool} has no argument {', '.join(parts)}, so nothing was done; its arguments are "
            f"{', '.join(allowed)}. Call it again without it.")


def invalid_arguments(exc: ValidationError) -> str:
    """``exc`` (the tool's arguments against its input schema) as one line per argument: where, what is
    wrong and, for a scalar, what was sent; not pydantic's model name, error codes and links."""
    # The same error of many items of a list (300 task strings) is said once, with how many more had it.
    groups: dict[tuple[str, str], list[str]] = {}
    lines: dict[tuple[str, str], str] = {}
    hints: list[str] = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        msg = _MODEL_NAME.sub("", err["msg"])
        key = (".".join("N" if isinstance(part, int) else str(part) for part in err["loc"]), msg)
        groups.setdefault(key, []).append(where)
        if key in lines:
            continue
        line = f"{where}: {msg}"
        value = err.get("input")
        if err["type"] != "missing" and (value is None or isinstance(value, bool | int | float | str)):
            shown = repr(value)
            if len(shown) > SHOWN_INPUT_CHARS:
                shown = shown[:SHOWN_INPUT_CHARS] + "..."
            line += f" (got {shown})"
        lines[key] = line
        hint = _HINTS.get((key[0], err["type"]))
        if hint is not None and hint not in hints:
            hints.append(hint)
    said = []
    for key, line in lines.items():
        more = groups[key][1:]
        if more:
            shown = ", ".join(more[:3]) + (", ..." if len(more) > 3 else "")
            line += f"; the same for {len(more)} more ({shown})"
        said.append(line)
    return "invalid arguments (see the tool's input schema): " + "; ".join(said + hints)


# What to send instead, for a mistake models make: run_batch's tasks as strings.
_HINTS = {("tasks.N", "dict_type"): 'each task is an object: {"task": "<the subtask>", "id": "<optional id>"}',
          ("tasks.N", "model_type"): 'each task is an object: {"task": "<the subtask>", "id": "<optional id>"}'}
