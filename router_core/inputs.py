"""What a host or a user sends, checked once before routing: the task text and short labels.

Text is kept as sent except where it cannot be stored or shown: an unpaired UTF-16 surrogate (a host cut
the text inside an emoji, or a command line held bytes that were not UTF-8) becomes U+FFFD, and a label's
control characters become spaces. Anything too long, or a task with nothing visible in it, is refused
with what to do.
"""

from __future__ import annotations

import re

from router_core.errors import InvalidRequest

MAX_TASK_CHARS = 200_000
MAX_LABEL_CHARS = 500  # a task id or a repository name
SHOWN_CHARS = 40  # of a rejected value, in its message (as tools/errors.py quotes a wrong argument)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a Python str holds a surrogate only unpaired


def surrogates_replaced(text: str) -> str:
    """``text`` with each unpaired surrogate as U+FFFD: it has no UTF-8 form, so it could be neither
    stored, written to a file nor sent."""
    return text if text.isascii() else _LONE_SURROGATE.sub("\ufffd", text)


def shown(value: object) -> str:
    """``value`` quoted for a message that rejects it: cut to SHOWN_CHARS characters, with its length when cut (a
    model may send a whole task where a name belongs, and the message goes back into its context)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return f"{text[:SHOWN_CHARS]}...{size}"


def validate_task(task: str) -> str:
    if not isinstance(task, str):
        raise InvalidRequest("task must be a string describing the work")
    text = surrogates_replaced(task.strip())  # e.g. half an emoji: a host cut the text inside a UTF-16 pair
    if not any(c.isprintable() and not c.isspace() for c in text):  # also NULs, zero-width spaces
        raise InvalidRequest("task is empty: describe the subtask in a sentence or more")
    if len(text) > MAX_TASK_CHARS:
        raise InvalidRequest(f"task is {len(text):,} characters; the limit is {MAX_TASK_CHARS:,}. Summarise it.")
    return text


def validate_label(value: str | None, name: str, *, limit: int = MAX_LABEL_CHARS) -> str | None:
    """A host's short label (a task id, a repository name), as the audit log will hold it: one line of
    text with no control characters, at most ``limit`` characters; None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidRequest(f"{name} is {len(value):,} characters; the limit is {limit:,}. Shorten it.")
    text = surrogates_replaced(value.strip())  # e.g. a command line's bytes that were not UTF-8
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text or None


# Every JSON escape, a surrogate pair first, then one surrogate alone, then any other escape (which
# consumes "\\" whole: an escaped backslash followed by "ud83d" is never taken for an escape).
_ESCAPES = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    r"|\\.",
    re.S,
)


def lone_surrogates_replaced(line: str) -> str:
    """``line`` with each escaped lone UTF-16 surrogate (``"\\ud83d"`` not followed by its pair) as ``\\ufffd``.

    A host that cuts a string inside an emoji sends one; it is valid JSON to JavaScript and Python,
    but the SDK's parser rejects the whole message, and the host then waits for an answer that never
    comes. With the replacement character in its place the request is served.
    """
    if "\\ud" not in line and "\\uD" not in line:
        return line
    return _ESCAPES.sub(lambda m: "\\ufffd" if len(m.group()) == 6 else m.group(), line)
