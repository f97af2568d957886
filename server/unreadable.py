"""Why a JSON or TOML document the user gave could not be read at all, for a one-line message.

``json.loads`` and ``tomllib.loads`` raise RecursionError for nesting deeper than Python's stack, and a
plain ValueError for an integer too long to convert; neither is their own decode error.
"""

from __future__ import annotations

NESTED_TOO_DEEPLY = "it is nested too deeply"
# What a parsed value is, in its format's own words: Python's type names ("found list", "found str") are not the
# user's file's.
_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
               float: "a number", type(None): "null"}
_TOML_KINDS = {dict: "a table", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
               float: "a float"}  # anything else: a date or time


def why_unreadable(exc: RecursionError | ValueError) -> str:
    """The reason to show for ``exc``: nesting too deep, or the first clause of the parser's message."""
    return NESTED_TOO_DEEPLY if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def json_kind(value: object) -> str:
    """``value``'s JSON type with its article: "an array", "a string", "null"."""
    return _JSON_KINDS.get(type(value), "a value")


def toml_kind(value: object) -> str:
    """``value``'s TOML type with its article: "a table", "a string", "a date or time"."""
    return _TOML_KINDS.get(type(value), "a date or time")
