"""A shared secret for the HTTP server, so one Switchboard can serve a team over the network.

With ``SWITCHBOARD_HTTP_TOKEN`` set, every request must present it (compared in constant time):

* MCP clients send ``Authorization: Bearer <token>`` (any path);
* a browser opens /dashboard, gets a small form, and POSTs the token once to /dashboard/login, which sets
  an HttpOnly, SameSite=Strict cookie (Secure over TLS) limited to /dashboard holding an HMAC of the token (not the token).

Anything else is answered 401 with ``WWW-Authenticate: Bearer`` and what is wrong (no Authorization header,
one that is not 'Bearer <token>', an empty token, or a wrong one) and what to do (outside /dashboard as a
JSON-RPC error, which MCP clients show: the Python SDK's said only 'Server returned an error response' for a
plain text one). The token replaces the
loopback-only Host check (a DNS-rebinding page can't supply it), so clients may name the server by any
host; a browser request whose Origin is another site than the one it asks is still refused (403).
An address that sends 10 wrong tokens in a minute is answered 429 until the minute ends
(server/token_throttle.py). The token is never logged, echoed or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import os
import shlex
import stat
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from router_core.clock import SystemClock
from server.dashboard import NO_STORE, UP_TO_PAGE
from server.http_messages import jsonrpc_error
from server.token_throttle import FailedTokens

logger = logging.getLogger(__name__)

ENV = "SWITCHBOARD_HTTP_TOKEN"
FILE_ENV = "SWITCHBOARD_HTTP_TOKEN_FILE"
MIN_LENGTH = 16
COOKIE = "switchboard_dashboard"
DASHBOARD = "/dashboard"
LOGIN = "/dashboard/login"
MAX_LOGIN_BODY = 4096
UNAUTHORIZED = -32001  # JSON-RPC's range for a server's own errors: no standard code says it
SUGGEST = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
NO_TOKEN = (f"Unauthorized: this Switchboard requires its token ({ENV} on the server) and the request "
            "carried none. MCP clients: send the header 'Authorization: Bearer <token>': `switchboard install "
            "HOST --url URL --token-env VAR` writes it, or pass it with your host's header option (e.g. `claude "
            "mcp add --transport http switchboard URL --header \"Authorization: Bearer $VAR\"`). Browsers: "
            "open the dashboard and sign in with it.")  # no path: under a proxy's sub-path /dashboard is another's
# Said on the sign-in form (GET /dashboard) and as the text of any other dashboard request: one wording for both.
STALE_COOKIE = (f"Unauthorized: this browser's dashboard sign-in is no longer valid: the server's token ({ENV}) "
                "has changed since it signed in: sign in again with the current token, on the dashboard's form.")
NOT_BEARER = (f"Unauthorized: the request's Authorization header is not 'Bearer <token>'; this Switchboard requires "
              f"its token ({ENV} on the server) in the header 'Authorization: Bearer <token>'.")
EMPTY = ("Unauthorized: the request's header 'Authorization: Bearer <token>' carried no token: the variable your "
         "MCP client reads it from (install's --token-env, or the one its Authorization header names) is unset or "
         "empty where the client starts. Set it to the server's token and restart the client.")
WRONG = (f"Unauthorized: the token in the request's header 'Authorization: Bearer <token>' is not this server's "
         f"({ENV} where the server runs). Check that the variable your MCP client reads it from (install's "
         "--token-env, or the one its Authorization header names) holds the server's current token where the "
         "client starts, and restart the client.")


def why_unauthorized(headers: Headers, stale_sign_in: bool = False) -> str:
    """What a request without the right token is told: none sent, not sent as a Bearer one, empty, or wrong;
    ``stale_sign_in``: a dashboard request whose sign-in cookie is no longer valid (the token changed). Nothing
    about the token itself (its length, how near a guess came) is said."""
    if "authorization" not in headers:
        return STALE_COOKIE if stale_sign_in else NO_TOKEN
    if (bearer := _bearer(headers)) is None:
        return NOT_BEARER
    return WRONG if bearer else EMPTY


class TokenProblem(ValueError):
    """``SWITCHBOARD_HTTP_TOKEN`` is set to something unusable; the message says why (never the value)."""


def token_from_env(environ: dict[str, str] | None = None) -> str | None:
    """The token, from ``SWITCHBOARD_HTTP_TOKEN`` or the file ``SWITCHBOARD_HTTP_TOKEN_FILE`` names (a Docker or
    systemd secret, which keeps it out of the process environment and shell history); None when neither is
    set. Raises TokenProblem for one that protects too little, or a file that cannot be read."""
    env = os.environ if environ is None else environ
    value, path = env.get(ENV), env.get(FILE_ENV)
    if value is not None and path:
        raise TokenProblem(f"both {ENV} and {FILE_ENV} are set; set one of them")
    if value is None and path is not None and not path.strip():
        # Set but blank (a compose file's unset ${VAR}): not "no token", which would serve without one.
        raise TokenProblem(f"{FILE_ENV} is set but empty; point it at a file holding the token, or unset it "
                           "to serve this machine only")
    if path:
        value = _read_token_file(path)
    if value is None:
        return None
    source = f"the token in {path} ({FILE_ENV})" if path else ENV
    if len(value) < MIN_LENGTH:
        raise TokenProblem(f"{source} is {len(value)} characters long; use at least {MIN_LENGTH} random ones, "
                           f"e.g. {ENV}=$({SUGGEST}) (or unset it to serve this machine only)")
    if not all("!" <= c <= "~" for c in value):
        raise TokenProblem(f"{source} holds spaces, control or non-ASCII characters, which an HTTP header can't "
                           f"carry reliably; make one with {SUGGEST}")
    return value


def _read_token_file(path: str) -> str:
    """The token in the file at ``path``: its text without the line end an editor or ``echo`` leaves."""
    try:
        with open(os.path.expanduser(path), "rb") as f:
            raw = f.read(4097)
            _warn_if_others_may_use(path, f.fileno())
    except OSError as exc:
        raise TokenProblem(f"{FILE_ENV} names {path}, which cannot be read ({exc.strerror or exc}); point it at "
                           f"a file holding the token, or unset it") from None
    if len(raw) > 4096:
        raise TokenProblem(f"{FILE_ENV} names {path}, which is over 4 KiB: it should hold the token alone")
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise TokenProblem(f"{FILE_ENV} names {path}, which is not text; make a token with {SUGGEST}") from None


def _warn_if_others_may_use(path: str, fd: int) -> None:
    """Logged once, as the server reads its token at start-up: a token file other users may read (a new file
    is 0644 under the usual umask), with the chmod that makes it private. Not refused: the server is as safe
    as the file, and an admin may mean it (a group of operators)."""
    if not hasattr(os, "fstatvfs"):  # Windows: its permission bits say nothing of who may read the file
        return
    st, read_only = os.fstat(fd), bool(os.fstatvfs(fd).f_flag & os.ST_RDONLY)
    if (others := who_else_may(st, uid=os.geteuid(), read_only=read_only)) is not None:
        logger.warning("%s names %s, which %s can read (mode %04o): they can take the token and use this "
                       "server; make the file yours alone: chmod 600 %s", FILE_ENV, path, others,
                       stat.S_IMODE(st.st_mode), shlex.quote(path))


def who_else_may(st: os.stat_result, *, uid: int, read_only: bool) -> str | None:
    """Who besides its owner can read a token file ("other users", "its group"), None when no one or when a
    warning could not be acted on: a file on a read-only mount or owned by another user is how Docker (0444)
    and Kubernetes (0644) mount secrets, root's and read-only, where chmod cannot change them (and a container
    seldom has other users)."""
    if read_only or st.st_uid != uid:
        return None
    if st.st_mode & stat.S_IROTH:
        return "every user on this machine"
    return "its group" if st.st_mode & stat.S_IRGRP else None


def cookie_value(token: str) -> str:
    """What the dashboard cookie holds: derived from the token, so the cookie jar never stores the token."""
    return hmac.new(token.encode(), b"switchboard dashboard session v1", hashlib.sha256).hexdigest()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _bearer(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _cookie(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def foreign_origin(headers: Headers) -> bool:
    """A browser request made by a page of another origin than the one it asks: Origin's host:port is neither
    the Host nor, behind a reverse proxy, the X-Forwarded-Host (a header no page can add to a cross-origin
    request without a CORS preflight, which this server never grants). SameSite cookies don't stop another
    port of the same host; this does."""
    origin = headers.get("origin")
    if origin is None:
        return False
    names = (headers.get("host", ""), headers.get("x-forwarded-host", "").split(",")[0].strip())
    try:
        parts = urlsplit(origin)
        return not parts.netloc or _site(parts.netloc, parts.scheme) not in {
            _site(name, parts.scheme) for name in names if name}
    except ValueError:  # a port that is not a number, in the Origin or a Host
        return True


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _site(netloc: str, scheme: str) -> tuple[str, int | None]:
    """(host, port) of a Host-style ``netloc``, the scheme's default port filled in: a proxy sending
    X-Forwarded-Host 'sb.example:443' names the site a browser calls 'https://sb.example'."""
    parts = urlsplit(f"//{netloc.strip().lower()}")
    return parts.hostname or "", parts.port or _DEFAULT_PORTS.get(scheme.lower())


# The login page runs no script and posts only here; the dashboard's own guard headers (server/dashboard: not
# framed, not sniffed, Referrer-Policy same-origin, which keeps the form's POST from carrying 'Origin: null').
LOGIN_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
}


def login_page(problem: str = "", query: str = "", *, at: str = DASHBOARD) -> str:
    """The token form, served at ``at`` (/dashboard, or /dashboard/login after a wrong token); it posts with
    ``query`` (dashboard_query's), which signing in leads to the dashboard with. Its action is relative to the
    page, so that it works under a reverse proxy's sub-path (https://host/switchboard/dashboard) too."""
    action = ("login" if at == LOGIN else "dashboard/login") + query
    note = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    return ("<!doctype html><meta charset=utf-8><title>Switchboard: token required</title>"
            "<body style='font-family:sans-serif;max-width:32em;margin:4em auto'>"
            "<h1>Switchboard</h1><p>This server requires its token (<code>" + ENV + "</code>).</p>" + note +
            f"<form method=post action='{html.escape(action)}'><input type=password name=token autocomplete=current-password "
            "autofocus required size=40> <button>Open the dashboard</button></form>")


def dashboard_query(scope: Scope) -> str:
    """The request's query re-encoded ('?transport=poll'), or '': what the dashboard's URL had is kept through
    signing in. Only a query is carried: the sign-in always leads to the dashboard itself (no open redirect)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return f"?{urlencode(pairs)}" if pairs else ""


class TokenRequired:
    """ASGI middleware: see the module docstring; ``throttle`` counts wrong tokens (server/token_throttle.py)."""

    def __init__(self, app: ASGIApp, token: str, throttle: FailedTokens | None = None) -> None:
        self.app, self.token, self.cookie = app, token, cookie_value(token)
        self.throttle = FailedTokens(SystemClock()) if throttle is None else throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if foreign_origin(headers):
            return await PlainTextResponse("Origin not allowed\n", 403)(scope, receive, send)
        path = scope["path"]
        if path == LOGIN and scope["method"] == "POST":
            return await self._login(scope, receive, send)
        if path == DASHBOARD + "/" and scope["method"] == "GET":  # its redirect to /dashboard tells nothing
            return await self.app(scope, receive, send)
        dashboard = path == DASHBOARD or path.startswith(DASHBOARD + "/")
        cookie = _cookie(headers) if dashboard else None  # read once: the sign-in, or why it failed
        if _same(cookie, self.cookie):
            return await self.app(scope, receive, send)
        if (bearer := _bearer(headers)) is not None:
            address = _address(scope)
            if (wait := self.throttle.retry_after(address)) is not None:  # not checked: see token_throttle
                return await _too_many(wait, dashboard)(scope, receive, send)
            if _same(bearer, self.token):
                return await self.app(scope, receive, send)
            self.throttle.failed(address)
        challenge = {"WWW-Authenticate": 'Bearer realm="switchboard"', "Cache-Control": "no-store"}
        if path == DASHBOARD and scope["method"] == "GET":
            page = login_page(STALE_COOKIE if cookie else "", dashboard_query(scope))
            return await HTMLResponse(page, 401, headers={**challenge, **LOGIN_HEADERS})(scope, receive, send)
        said = why_unauthorized(headers, stale_sign_in=bool(cookie))
        if dashboard:
            return await PlainTextResponse(said + "\n", 401, headers=challenge)(scope, receive, send)
        await jsonrpc_error(401, UNAUTHORIZED, said, headers=challenge)(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more and len(body) <= MAX_LOGIN_BODY:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        given = parse_qs(body[:MAX_LOGIN_BODY].decode("utf-8", "replace")).get("token", [None])[0]
        given = None if given is None else given.strip()  # pasted with a space or line end; a token holds none
        query, address = dashboard_query(scope), _address(scope)
        if (wait := self.throttle.retry_after(address)) is not None:
            return await _too_many(wait, dashboard=True, login=query)(scope, receive, send)
        if not _same(given, self.token):
            self.throttle.failed(address)
            page = login_page("That is not this server's token.", query, at=LOGIN)
            return await HTMLResponse(page, 401, headers=LOGIN_HEADERS)(scope, receive, send)
        # Relative to /dashboard/login, and the cookie's Path left to the browser (the login URL's directory: /dashboard,
        # or /switchboard/dashboard under a proxy's sub-path), so that neither names a path the browser may not see.
        response = RedirectResponse(UP_TO_PAGE + query, 303, headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, self.cookie, path=None, httponly=True, samesite="strict", secure=_over_tls(scope))
        await response(scope, receive, send)


def _address(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _too_many(wait: int, dashboard: bool, *, login: str | None = None) -> Response:
    """429 for an address that sent too many wrong tokens: how long to wait, and what to check meanwhile;
    ``login``: the login form's query, when it is the form that is answered."""
    said = (f"Too many wrong tokens were sent from your address: wait {wait} s before sending one again, and check "
            f"that it is this server's ({ENV} on the server).")
    headers = {"Retry-After": str(wait), "Cache-Control": "no-store"}
    if login is not None:
        return HTMLResponse(login_page(said, login, at=LOGIN), 429, headers={**LOGIN_HEADERS, **headers})
    if dashboard:
        return PlainTextResponse(said + "\n", 429, headers=headers)
    return jsonrpc_error(429, UNAUTHORIZED, said, headers=headers)


def _over_tls(scope: Scope) -> bool:
    """Whether the browser reached the server over HTTPS: directly, or through a TLS proxy that says so.
    uvicorn trusts X-Forwarded-Proto only from 127.0.0.1; a proxy on another machine is read here too,
    for the cookie's Secure flag alone (a client that lies about it only keeps its own cookie off plain HTTP)."""
    forwarded = Headers(scope=scope).get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return scope.get("scheme") == "https" or forwarded == "https"
