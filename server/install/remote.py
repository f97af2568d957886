"""`install --url URL [--token-env NAME]`: check what a teammate typed before any file is read.

Errors (RemoteServerError) stop the install; warnings are printed and the install goes on. Neither ever
holds a token: a value given by mistake where a variable's name belongs is refused without being echoed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from router_core.redact import scrubbed
from server.install.core import RemoteServer

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ENDPOINT = "/mcp"  # where `switchboard serve --http` answers
MIN_TOKEN = 16  # the shortest SWITCHBOARD_HTTP_TOKEN the server accepts


class RemoteServerError(ValueError):
    """--url or --token-env cannot be used; the message says why and what to give instead."""


def remote_server(
    url: str, token_env: str | None, environ: Mapping[str, str], host: str
) -> tuple[RemoteServer, list[str]]:
    """The server to write for ``host``, and the warnings to show; RemoteServerError if it can't be."""
    warnings = _check_url(url)
    if token_env is not None:
        _check_name(token_env, environ)
        if not environ.get(token_env):
            warnings.append(
                f"{token_env} is not set here; {host} reads it when it starts, so set it (to the server's "
                f"SWITCHBOARD_HTTP_TOKEN) where you start {host}: without it {host} cannot connect"
                + (" (and Codex, which waits for switchboard, starts no session)" if host == "codex" else "")
            )
        if urlsplit(url).scheme == "http" and not _loopback(urlsplit(url).hostname or ""):
            warnings.append(
                "the URL is plain http to another machine: the token travels in clear; beyond a trusted LAN "
                "put the server behind TLS (https://) or reach it over a VPN"
            )
    return RemoteServer(url, token_env), warnings


def _check_url(url: str) -> list[str]:
    if not url or url != url.strip() or any(c.isspace() or ord(c) < 32 for c in url):
        raise RemoteServerError("--url must be a URL without spaces, such as http://build-box:8765/mcp")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        raise RemoteServerError(f"--url {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise RemoteServerError(f"--url must start with http:// or https://, not {url!r}")
    if not parts.hostname:
        raise RemoteServerError(f"--url {url!r} names no host; give one, such as http://build-box:8765/mcp")
    if parts.username is not None or parts.password is not None:
        # It would be written into the host's file as it is: credentials go through --token-env.
        raise RemoteServerError(
            "--url must not hold a user name or password (they would be written into the file); "
            "give the token's variable with --token-env"
        )
    if scrubbed(url) != url:  # ?token=..., ?api_key=...: the server reads no token there, and the file would keep it
        raise RemoteServerError(
            "--url must not hold a credential (it would be written into the file, and the server reads tokens only "
            "from the Authorization header); give the token's variable with --token-env"
        )
    if not parts.path.endswith((ENDPOINT, ENDPOINT + "/")):  # /mcp/ is the same endpoint (server/http_app.py)
        return [
            f"the URL's path {parts.path or '/'!r} does not end in {ENDPOINT}, where `switchboard serve --http` "
            "answers (fine if a reverse proxy maps it)"
        ]
    return []


def _check_name(name: str, environ: Mapping[str, str]) -> None:
    # A token pasted (or a $VAR expanded by the shell) in place of the name would be written into the
    # file as the name: refuse it, and do not repeat it in the message. Tokens are 16+ characters (serve).
    holders = sorted(k for k, v in environ.items() if v == name and k != name and len(v) >= MIN_TOKEN)
    if holders:
        raise RemoteServerError(
            f"--token-env takes the name of the variable that holds the token, not its value: "
            f"--token-env {holders[0]} (not ${holders[0]})"
        )
    if _looks_like_a_token(name):
        mixed_case = any(c.islower() for c in name) and any(c.isupper() for c in name)
        raise RemoteServerError(
            "--token-env looks like a token, not the name of a variable (long, with digits, and "
            + ("lower and upper case letters" if mixed_case else "no _ between words")
            + "); give the variable's name, such as SWITCHBOARD_TOKEN, and keep the token in it"
        )
    if not ENV_NAME.match(name):
        raise RemoteServerError(
            "--token-env must be the name of an environment variable (letters, digits and _, not starting "
            "with a digit), such as SWITCHBOARD_TOKEN; the host reads the token from it"
        )


def _looks_like_a_token(name: str) -> bool:
    """A random secret (secrets.token_urlsafe gives 43 such characters) rather than a variable's name, which
    is a few words, mostly in one case: written as the name, the token would land in the file and the output.
    A token in one case (`openssl rand -hex 32`, secrets.token_hex, base32) is as long and digit-strewn, but
    has no ``_`` between words, as a name of that length has."""
    if len(name) < MIN_TOKEN or sum(c.isdigit() for c in name) < 3:
        return False
    mixed_case = any(c.islower() for c in name) and any(c.isupper() for c in name)
    return mixed_case or "_" not in name


def _loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost" or hostname.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
