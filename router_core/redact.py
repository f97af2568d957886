"""Make a record JSON-safe and free of secrets before it is written anywhere.

Values under secret-looking keys (api_key, authorization, password, access_token, ...) become
"[redacted]"; counters such as tokens_used or input_tokens are not secrets and stay. Inside any
string, substrings that look like credentials (sk-..., sk-ant-..., Stripe sk_live_/rk_live_, AIza...,
GitHub, GitLab, npm, PyPI, Hugging Face, Slack, SendGrid, DigitalOcean tokens, Stripe webhook secrets, age
keys, AWS key ids, JWTs, Google OAuth tokens, PEM private keys, "Bearer <token>"), the password in a URL's
userinfo, a URL's ``?key=`` / ``&sig=`` query value, and the value
of a `password=` / `api_key:` / `token=` / `aws_secret_access_key=` / `DB_PASS=` / `AccountKey=` /
`STRIPE_KEY=` assignment, of an `Authorization:` or `Cookie:` header, of `--password`/`--token`/`--api-key`
flags, curl's `-u user:password` and mysql's `-pPASSWORD` are replaced too, so a key pasted into a
task description never reaches the audit log.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe secret and restricted keys
    r"|AIza[0-9A-Za-z_-]{30,}"  # Google API keys
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|npm_[A-Za-z0-9]{36}"
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{20,}"  # Slack (and its app-level tokens)
    r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"  # SendGrid
    r"|pypi-[A-Za-z0-9_-]{40,}"  # PyPI upload tokens
    r"|whsec_[A-Za-z0-9+/=]{24,}"  # Stripe webhook signing secrets
    r"|do[opr]_v1_[a-f0-9]{40,}"  # DigitalOcean
    r"|AGE-SECRET-KEY-1[0-9A-Z]{40,}"  # age private keys
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key ids
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs: '{"' in base64url is "eyJ"
    r"|ya29\.[A-Za-z0-9_-]{20,}"  # Google OAuth access tokens (the gemini CLI's login, a proxy's echo)
    r")"
    r"|https://hooks\.slack\.com/services/[A-Za-z0-9/]+"
    # A PEM (or PGP) private key, to its END line, or to the end of a text cut short.
    r"|-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"
)
# "Bearer <token>", "Basic <base64>": the credential must look like one (a digit, base64's "=" padding, or 24+
# characters), so "basic functionality" and "bearer authentication" stay (and the classifier reads them).
_BEARER = re.compile(
    r"(?i)\b(bearer|basic)\s+"
    r"(?:(?=[A-Za-z._~+/=-]{0,200}[0-9])|(?=[A-Za-z0-9._~+/-]{0,200}=)|(?=[A-Za-z0-9._~+/=-]{24}))"
    r"[A-Za-z0-9._~+/=-]{8,}"
)
# The password in a URL's userinfo (scheme://user:password@host); the user and the host stay. Anchored on
# "://" (a scheme character before it) so that the scan skips ahead to it.
_URL_PASSWORD = re.compile(r"(?<=[A-Za-z0-9+.-])(://[^\s/?#@:]*:)[^\s/?#]+(?=@)")
# The value of `password=...`, `api_key: ...`, `AWS_SECRET_ACCESS_KEY="..."`, `?token=...`; the name and
# the sign stay. The value must look like a credential (a digit and a letter, or 20+ key characters), so
# "password: required" and "api_key=os.environ[...]" stay. The names ignore ASCII case only: a non-ASCII
# letter that case-folds to an ASCII one would slip past may_hold_secret's lower-case literals. The leading
# class lets the scan skip ahead to a name's first letter.
_VALUE_CHAR = r"""[^\s"'`<>()\[\]{},;&]"""
_VALUE_NOT_DIGIT = r"""[^\s"'`<>()\[\]{},;&0-9]"""
_VALUE_NOT_LETTER = r"""[^\s"'`<>()\[\]{},;&A-Za-z]"""
# A value that looks like a credential (a digit and a letter, or 20+ key characters), not "==" nor a word. The
# lookaheads look a bounded way ahead and cannot backtrack into each other: linear on any text.
_CREDENTIAL = (
    rf"(?!=)(?:(?={_VALUE_NOT_DIGIT}{{0,200}}[0-9])(?={_VALUE_NOT_LETTER}{{0,200}}[A-Za-z])|(?=[A-Za-z0-9+/=_-]{{20}}))"
    rf"{_VALUE_CHAR}{{6,}}"
)
_ASSIGNED = re.compile(
    r"(?=[PSATpsat])((?ai:passw(?:or)?d|passphrase|(?<![a-z])pwd|secret(?:[_-]?access)?(?:[_-]?key)?"
    r"""|api[_-]?key|token|private[_-]key|(?<![a-z])pass(?![a-z])|(?:account|shared[_-]?access)[_-]?key)"""
    r"""["']?\s*(?:==?|:)\s*["']?)"""
    + _CREDENTIAL
)

# A credential that neither "=" nor ":" names: an ``Authorization:`` header's (after any scheme: "Token <key>",
# "Digest ...", a raw key), the value after `--password`, `--token`, `--api-key`, `--secret`... on a command
# line, and the password of `-u user:password` (curl's --user). It must look like a credential, as _ASSIGNED's
# values do, so "-u 1000:1000" and "authorization: required" stay; a "Cookie:" header's name=value pairs go whole.
_GIVEN = re.compile(
    r"(?=[APap-])((?ai:(?:proxy-)?authorization\s*:\s*(?:[a-z]+\s+)?"
    r"|(?<![a-z0-9_-])--(?:password|passwd|pass|passphrase|token|api[_-]?key|secret|client[_-]secret"
    r"|access[_-]token|auth[_-]token)[ \t]+[\"']?)"
    r"""|(?<![A-Za-z0-9_-])(?:-u|--user)(?:[ \t]+|=)[\"']?[^\s:\"'@/]+:)"""
    + _CREDENTIAL
)
_COOKIE = re.compile(r"""(?=[SCsc])((?ai:\b(?:set-)?cookie)\s*:\s*)[^\s=;,"']+=[^\n"']*""")
# The value of an environment variable or setting named ``..._KEY`` (``STRIPE_KEY=``, ``signing_key:``,
# ``ENCRYPTION_KEY="..."``), which _ASSIGNED's names miss; a credential-looking value only, so
# "sort_key=created_at" and "PRIMARY_KEY: id" stay.
_NAMED_KEY = re.compile(
    r"""(?<![A-Za-z0-9_])((?a:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*[_-][Kk][Ee][Yy])["']?\s*(?:==?|:)\s*["']?)"""
    + _CREDENTIAL
)
# A URL query's key or signature (a gateway's ``?key=``, an Azure SAS ``&sig=``), which _ASSIGNED's names miss:
# a bare "key" elsewhere is too common a word; after "?" or "&" and before "=" it is a parameter.
_QUERY_KEY = re.compile(r"(?<=[?&])((?ai:key|sig|signature|auth)=)" + _CREDENTIAL)
# The password of a MySQL or MariaDB client's ``-pPASSWORD`` (written attached to the flag, on the command's
# line); "-p 3306" and "mkdir -p" are no such thing.
_MYSQL_PASSWORD = re.compile(
    r"""((?ai:\b(?:mysql|mariadb)[a-z_-]*\b)[^\n]{0,300}?(?<![^\s"'])-p["']?)""" + _CREDENTIAL
)


# A JSON key that is_secret_key would flag (a superset is fine: it only sends the line to clean()).
_SECRET_KEY_JSON = re.compile(
    r'(?i)"(?:[^"]*[_-])?(?:api[_-]?key|authorization|password|passwd|secret|access[_-]token|refresh[_-]token'
    r'|id[_-]token|session[_-]token|auth[_-]token|bearer[_-]token|private[_-]key|cookie)"\s*:'
)


# may_hold_secret looks for literals that every match of the patterns contains: most texts contain none,
# and `in` on a string is far cheaper than the patterns' scans. Each group of patterns runs only when one
# of its literals is there, and literals that share a part ("key", "_", "gh", "IA") are looked for only
# when that part occurs. Spelled out rather than looped over: this runs on every decision and audit line.
# A pattern's literal missing there would let a secret through: tests/router_core/test_redact.py checks
# the precheck against the scrub on every sample and on random texts.
_TOKEN = re.compile("token(?!s)")
_PASS = re.compile("pass(?![a-z])")  # no look behind: on a JSON line "\\npass=" has an "n" before it
_FLAG_NAME = re.compile("--(?:pass|token|api|secret|client|access|auth)")  # the start of each of _GIVEN's flags
_USER_FLAG = re.compile(r"(?:-u|--user)[ \t=\\]")  # "-u ", "--user=" (a JSON line's "\\t"); not "follow-up"
_QUERY_NAME = re.compile("[?&](?:key|sig|signature|auth)=")  # _QUERY_KEY's start


# The latest text of some length found clean, kept to answer for the very same string object (an ``is``
# test, so never for another text): a decision's task text is tested before it is classified and again as
# its audit line is written.
_last_clean = ""
_REMEMBERED_CHARS = 32  # shorter texts (ids, model names) are tested again: they would only evict the task's


def may_hold_secret(json_text: str) -> bool:
    """A cheap test on a serialised record, or on one plain string: False means clean() would change nothing."""
    global _last_clean
    if json_text is _last_clean or not json_text:
        return False
    found = _may_hold_secret(json_text)
    if not found and len(json_text) >= _REMEMBERED_CHARS:
        _last_clean = json_text
    return found


def any_may_hold_secret(texts: Iterable[str]) -> bool:
    """``any(map(may_hold_secret, texts))`` in one test: the texts not known clean, joined by newlines (a record's
    few short strings cost one test, not one each). No secret hides in the join: every literal and pattern match
    lies within one text, and at a newline each pattern's lookarounds, classes and counts see what they see at a
    text's end (a newline is no key, value or word character); a match across two texts only sends the record to
    clean(), which decides on each string alone."""
    rest = [text for text in texts if text and text is not _last_clean]
    if len(rest) < 2:
        return bool(rest) and may_hold_secret(rest[0])
    return _may_hold_secret("\n".join(rest))


def _may_hold_secret(json_text: str) -> bool:
    lower = json_text.lower()
    keyed = "key" in lower
    # A secret's name (_SECRET_KEY_JSON, _ASSIGNED). "token" counts only outside "tokens": tokens_used and
    # input_tokens are in every record, and neither `tokens=` nor a "..._tokens" key is a secret.
    named = (
        "secret" in lower
        or "passw" in lower
        or "passphrase" in lower
        or "pwd" in lower
        or "authorization" in lower
        or "cookie" in lower
        or (keyed and ("_key" in lower or "-key" in lower or "apikey" in lower or "accountkey" in lower
                       or "accesskey" in lower))
        or ("pass" in lower and _PASS.search(lower) is not None)  # DB_PASS=, not "passes"
        or ("token" in lower and _TOKEN.search(lower) is not None)
    )
    # A credential's own shape (_SECRET_TEXT, _BEARER); "AKIA", "ASIA" and "eyJ" as written ("asia" and
    # "eyj" occur in words). "sk-" inside "task-" (our task ids) cannot start a key: the pattern wants no
    # letter before it.
    shaped = (
        "bearer" in lower
        or "basic" in lower
        or "aiza" in lower
        or "xox" in lower
        or "glpat-" in lower
        or "xapp-" in lower
        or "pypi-" in lower
        or "eyJ" in json_text
        or "ya29." in lower
        or ("SG." in json_text or "AGE-SECRET-KEY-" in json_text)
        or (keyed and "private key" in lower)
        or ("IA" in json_text and ("AKIA" in json_text or "ASIA" in json_text))
        or (
            "_" in lower
            and ("k_live_" in lower or "k_test_" in lower or "npm_" in lower or "hf_" in lower or "github_pat_" in lower
                 or "whsec_" in lower or "_v1_" in lower)
        )
        or ("gh" in lower and ("ghp_" in lower or "gho_" in lower or "ghu_" in lower or "ghs_" in lower or "ghr_" in lower))
        or ("sk-" in lower and lower.count("sk-") > lower.count("task-"))
    )
    # A URL's userinfo (_URL_PASSWORD) or a Slack webhook (_SECRET_TEXT).
    linked = "://" in lower and ("@" in lower or "hooks.slack.com" in lower)
    # A header's or a command line's credential (_GIVEN, _COOKIE).
    given = (
        "authorization" in lower
        or ("--" in lower and _FLAG_NAME.search(lower) is not None)
        or ("-u" in lower and _USER_FLAG.search(lower) is not None)
    )
    cookied = "cookie" in lower
    key_named = keyed and ("_key" in lower or "-key" in lower)
    mysql = "mysql" in lower or "mariadb" in lower
    queried = "=" in lower and ("?" in lower or "&" in lower) and _QUERY_NAME.search(lower) is not None
    if not (named or shaped or linked or given or cookied or mysql or queried):
        return False
    # On a serialised record a string's "\n" or "\"" is escaped: "key:\nsk-..." reads "key:\\nsk-...", where
    # the "n" would hide the key from a pattern that wants no letter before it. So the patterns read the
    # text with JSON escapes undone too (any match in a string is then a match in the line, as the line
    # holds each string whole between quotes); a plain string with a backslash is read both ways.
    texts = (json_text, _json_unescaped(json_text)) if "\\" in json_text else (json_text,)
    return any(
        (named and (_SECRET_KEY_JSON.search(text) or _ASSIGNED.search(text)))
        or (given and _GIVEN.search(text))
        or (cookied and _COOKIE.search(text))
        or (key_named and _NAMED_KEY.search(text))
        or (mysql and _MYSQL_PASSWORD.search(text))
        or (queried and _QUERY_KEY.search(text))
        or (shaped and (_SECRET_TEXT.search(text) or _BEARER.search(text)))
        or (linked and (_URL_PASSWORD.search(text) or _SECRET_TEXT.search(text)))
        for text in texts
    )


_JSON_ESCAPE = re.compile(r'\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))')
_JSON_ESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _json_unescaped(text: str) -> str:
    return _JSON_ESCAPE.sub(
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else _JSON_ESCAPED.get(m.group(2), m.group(2)), text
    )


@functools.lru_cache(maxsize=4096)  # records reuse a small set of keys
def is_secret_key(key: str) -> bool:
    normal = key.lower().replace("-", "_")
    return normal in _SECRET_KEYS or normal.endswith(_SECRET_SUFFIXES)


def scrub(text: str, replacement: str = REDACTED) -> str:
    """``text`` with credential-looking substrings replaced."""
    text = _SECRET_TEXT.sub(replacement, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {replacement}", text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + replacement, text)
    text = _GIVEN.sub(lambda m: m.group(1) + replacement, text)
    text = _COOKIE.sub(lambda m: m.group(1) + replacement, text)
    text = _NAMED_KEY.sub(lambda m: m.group(1) + replacement, text)
    text = _MYSQL_PASSWORD.sub(lambda m: m.group(1) + replacement, text)
    text = _QUERY_KEY.sub(lambda m: m.group(1) + replacement, text)
    return _ASSIGNED.sub(lambda m: m.group(1) + replacement, text)


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


def mask_url(url: str | None) -> str | None:
    """``url`` with what may carry a secret masked: the user info (all of it, up to the last '@', since a
    password may hold one), every query value (a proxy's ?key=), the fragment, and what looks like a key in
    the path (a gateway's /<key>/v1)."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed '[' in an IPv6 host: nothing can be said safely of its parts
        return "*** (not a valid URL)"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = "&".join(f"{item.partition('=')[0]}=***" if "=" in item else "***" for item in parts.query.split("&")
                     if item) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, scrubbed(parts.path), query, "***" if parts.fragment else ""))
