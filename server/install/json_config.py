"""Edit the `mcpServers` object of a JSON host file (Claude Code, Gemini CLI) and keep the rest.

Only our entry changes; other keys keep their order and values, and the file keeps its indentation.
A file that is not a JSON object, or whose `mcpServers` is not an object, is an error, never rewritten.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.install.core import SERVER_NAME, HostFileError
from server.unreadable import json_kind, why_unreadable

SERVERS_KEY = "mcpServers"


class _NotADouble(ValueError):
    pass


def _finite_float(literal: str) -> float:
    """A JSON number as a float; one beyond a double (1e400) would be written back as Infinity, not JSON."""
    value = float(literal)
    if math.isinf(value):
        raise _NotADouble(literal)
    return value


def load_object(text: str | None, path: Path) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        doc = json.loads(text, parse_float=_finite_float)
    except _NotADouble as exc:
        raise HostFileError(path, f"holds the number {exc}, too large to keep; fix it or move the file aside") from None
    except json.JSONDecodeError as exc:
        if _has_comments(text):
            raise HostFileError(
                path, "has comments, which its host accepts but which Switchboard cannot keep when it writes the "
                "file back, so it is left as it is: change the switchboard entry of its \"mcpServers\" by hand "
                "(see README, 'Add it to your assistant'), or remove the comments and run the command again"
            ) from exc
        raise HostFileError(
            path, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; fix it or move the file aside"
        ) from exc
    except (RecursionError, ValueError) as exc:  # nested too deeply, or a number too long to convert
        raise HostFileError(path, f"cannot be read as JSON ({why_unreadable(exc)}); fix or move the file aside") from None
    if not isinstance(doc, dict):
        raise HostFileError(path, f"must hold a JSON object, found {json_kind(doc)}; fix it or move the file aside")
    servers = doc.get(SERVERS_KEY)
    if servers is not None and not isinstance(servers, dict):
        raise HostFileError(path, f'"{SERVERS_KEY}" must be an object of servers by name, found '
                                  f'{json_kind(servers)}; fix it or move the file aside')
    return doc


def _has_comments(text: str) -> bool:
    """Whether ``text`` is JSON once its // and /* */ comments (outside strings) are taken out."""
    out, i, n, quoted = [], 0, len(text), False
    while i < n:
        c = text[i]
        if quoted:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i - 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return False
            i = end + 1
        else:
            out.append(c)
        i += 1
    stripped = "".join(out)
    if stripped == text:
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def _indent(text: str | None) -> int | str:
    """The indentation the file already uses (2 spaces for a new file)."""
    match = re.search(r"^([ \t]+)\S", text or "", flags=re.MULTILINE)
    if not match:
        return 2
    ws = match.group(1)
    return "\t" if ws.startswith("\t") else len(ws)


# json.loads turns an escaped half of a surrogate pair ("\\ud83d", an emoji cut in two, as in a pasted
# history entry of ~/.claude.json) into a lone surrogate, which cannot be written as UTF-8.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dump(doc: dict[str, Any], like: str | None) -> str:
    text = json.dumps(doc, indent=_indent(like), ensure_ascii=False) + "\n"
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # escaped again, as it was


def set_server(text: str | None, path: Path, make_entry: Callable[[object], dict[str, Any]]) -> str | None:
    """The file with our entry in ``mcpServers``, made from the current one (or None) by ``make_entry``
    (see core.merged_entry); the same text when it is already there."""
    doc = load_object(text, path)
    servers = doc.get(SERVERS_KEY) or {}
    entry = make_entry(servers.get(SERVER_NAME))
    if servers.get(SERVER_NAME) == entry:
        return text
    doc[SERVERS_KEY] = {**servers, SERVER_NAME: entry}
    return dump(doc, text)


def remove_server(text: str | None, path: Path) -> str | None:
    """The file without our entry; an emptied `mcpServers` goes too, and an emptied file is deleted (None)."""
    doc = load_object(text, path)
    servers = doc.get(SERVERS_KEY)
    if not servers or SERVER_NAME not in servers:
        return text
    rest = {k: v for k, v in servers.items() if k != SERVER_NAME}
    if rest:
        doc[SERVERS_KEY] = rest
    else:
        del doc[SERVERS_KEY]
    return dump(doc, text) if doc else None


def _string_list(doc: dict[str, Any], key: str, path: Path) -> list[str]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HostFileError(path, f'"{key}" must be an array of strings; fix it or move the file aside')
    return value


def add_to_list(text: str | None, path: Path, key: str, item: str) -> str | None:
    """The file with ``item`` in the string list ``key``; the same text when it is already there."""
    doc = load_object(text, path)
    items = _string_list(doc, key, path)
    if item in items:
        return text
    doc[key] = [*items, item]
    return dump(doc, text)


def remove_from_list(text: str | None, path: Path, key: str, item: str) -> str | None:
    """The file without ``item`` in ``key``; an emptied list goes, and an emptied file is deleted (None)."""
    doc = load_object(text, path)
    items = _string_list(doc, key, path)
    if item not in items:
        return text
    rest = [i for i in items if i != item]
    if rest:
        doc[key] = rest
    else:
        del doc[key]
    return dump(doc, text) if doc else None
