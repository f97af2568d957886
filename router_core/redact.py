"""Make a record JSON-safe and free of secrets before it is written anywhere.

Values under secret-looking keys (api_key, authorization, password, access_token, ...) become
"[redacted]"; counters such as tokens_used or input_tokens are not secrets and stay. Inside any
string, substrings that look like credentials (sk-..., sk-ant-..., AIza..., GitHub and Slack tokens,
AWS key ids, "Bearer <token>") are replaced too, so a key pasted into a task description never
reaches the audit log.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

REDACTED = "[redacted]"

_SECRET_KEYS = frozenset({
    "api_key", "apikey", "authorization", "proxy_authorization", "x_api_key", "x_goog_api_key",
    "password", "passwd", "secret", "client_secret", "access_token", "refresh_token", "id_token",
    "session_token", "auth_token", "bearer_token", "private_key", "cookie", "set_cookie",
})
_SECRET_SUFFIXES = ("_api_key", "_apikey", "_secret", "_password", "_access_token", "_refresh_token")

_SECRET_TEXT = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"sk-[A-Za-z0-9_-]{16,}"  # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-)
    r"|AIza[0-9A-Za-z_-]{30,}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|AKIA[0-9A-Z]{16}"
    r")"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


# A JSON key that is_secret_key would flag (a superset is fine: it only sends the line to clean()).
_SECRET_KEY_JSON = re.compile(
    r'(?i)"(?:[^"]*[_-])?(?:api[_-]?key|authorization|password|passwd|secret|access[_-]token|refresh[_-]token'
    r'|id[_-]token|session[_-]token|auth[_-]token|bearer[_-]token|private[_-]key|cookie)"\s*:'
)


# Literals that every match of the three patterns above contains (in lower case): most records
# contain none, and `in` on a lowered string is far cheaper than the patterns' scans. The five
# gh?_ prefixes are looked for only when "gh" occurs: one scan instead of five for most records.
_HINTS = (
    "aiza", "github_pat_", "xox", "akia", "bearer", "basic", "authorization", "passw", "secret", 'token"', "cookie",
    # the key names _SECRET_KEY_JSON matches; plain "key" would fire on every "keyword" in a reason
    "api_key", "apikey", "api-key", "private_key", "private-key",
)
_GH_HINTS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")


def may_hold_secret(json_text: str) -> bool:
    """A cheap test on a serialised record, or on one plain string: False means clean() would change nothing."""
    lower = json_text.lower()
    # "sk-" inside "task-" (our task ids) cannot start a key: the pattern wants no letter before it.
    if (
        lower.count("sk-") <= lower.count("task-")
        and not any(hint in lower for hint in _HINTS)
        and not ("gh" in lower and any(hint in lower for hint in _GH_HINTS))
    ):
        return False
    return bool(_SECRET_TEXT.search(json_text) or _BEARER.search(json_text) or _SECRET_KEY_JSON.search(json_text))


@functools.lru_cache(maxsize=4096)  # records reuse a small set of keys
def is_secret_key(key: str) -> bool:
    normal = key.lower().replace("-", "_")
    return normal in _SECRET_KEYS or normal.endswith(_SECRET_SUFFIXES)


def scrub(text: str, replacement: str = REDACTED) -> str:
    """``text`` with credential-looking substrings replaced."""
    text = _SECRET_TEXT.sub(replacement, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {replacement}", text)


def scrubbed(text: str, replacement: str = REDACTED) -> str:
    """:func:`scrub`, with the cheap test first: most texts hold no credential and come back as they are."""
    return scrub(text, replacement) if may_hold_secret(text) else text


def clean(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (dicts, lists, str, int, finite float, bool, None), redacted."""
    kind = type(value)  # exact-type checks first: they cover nearly every value and cost little
    if kind is str:
        return scrub(value)
    if kind is dict or isinstance(value, Mapping):
        return {
            str(k): (REDACTED if is_secret_key(str(k)) and v not in (None, "") else clean(v)) for k, v in value.items()
        }
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else None  # NaN/Infinity are not JSON; jq would reject the line
    if kind is list or kind is tuple or isinstance(value, list | tuple | set | frozenset):
        return [clean(v) for v in value]
    if isinstance(value, Enum):
        return clean(value.value)
    if isinstance(value, str):  # str subclasses
        return scrub(str(value))
    if isinstance(value, int):  # int subclasses (bool is final, so never here)
        return int(value)
    if isinstance(value, float):
        return clean(float(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return clean({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, datetime | date):
        return value.isoformat()
    return scrub(str(value))
