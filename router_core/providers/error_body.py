"""What an error response says: the provider's JSON error (message, type or status, code, Google details), or
an excerpt of a body that is not the provider's JSON (an HTML page from a proxy), for the messages of
``errors.py``."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx

MAX_MESSAGE = 300
MAX_EXCERPT = 200  # of a body that is not the provider's JSON (an HTML error page from a proxy)
_HTML_SKIPPED = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_HTML_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class ErrorBody:
    message: str
    kind: str  # OpenAI/Anthropic error.type, Google error.status
    code: str  # OpenAI error.code, Anthropic details.error_code
    google_details: tuple[dict[str, Any], ...]


def read_body(response: httpx.Response) -> ErrorBody:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return ErrorBody(excerpt(body_text(response)), "", "", ())
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, str):
        return ErrorBody(_squash(error), "", "", ())
    if not isinstance(error, dict):
        return ErrorBody(_squash(str(data)), "", "", ())
    details = error.get("details")
    google = tuple(d for d in details if isinstance(d, dict)) if isinstance(details, list) else ()
    code = error.get("code")
    if isinstance(details, dict):  # Anthropic puts a machine code under details.error_code
        code = details.get("error_code")
    kind = error.get("status") if google or isinstance(code, int) else error.get("type")
    return ErrorBody(
        message=_squash(str(error.get("message") or "")),
        kind=str(kind or ""),
        code=code if isinstance(code, str) else "",
        google_details=google,
    )


def _squash(text: str) -> str:
    return " ".join(text.split())


def as_list(value: object) -> list | tuple:
    return value if isinstance(value, (list, tuple)) else ()


def body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except Exception:  # noqa: BLE001 - an unknown charset, a body not read
        return ""


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """A body that is not the provider's JSON, for a message: tags, scripts and styles of an HTML page
    dropped, entities decoded, whitespace collapsed, cut to ``limit`` characters."""
    text = text[: 50 * limit]
    if "<" in text:
        text = html.unescape(_HTML_TAG.sub(" ", _HTML_SKIPPED.sub(" ", text)))
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(body: ErrorBody) -> str:
    """The provider's own message, clipped, for the end of ours."""
    text = body.message
    if not text:
        return ""
    return ": " + (text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…")
