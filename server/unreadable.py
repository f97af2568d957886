"""Why a JSON or TOML document the user gave could not be read at all, for a one-line message.

``json.loads`` and ``tomllib.loads`` raise RecursionError for nesting deeper than Python's stack, and a
plain ValueError for an integer too long to convert; neither is their own decode error.
"""

from __future__ import annotations

NESTED_TOO_DEEPLY = "it is nested too deeply"


def why_unreadable(exc: RecursionError | ValueError) -> str:
    """The reason to show for ``exc``: nesting too deep, or the first clause of the parser's message."""
    return NESTED_TOO_DEEPLY if isinstance(exc, RecursionError) else str(exc).split(";")[0]
