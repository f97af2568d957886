"""The live dashboard (design Phase 3): one self-contained page plus its JSON and SSE feeds.

    routes = dashboard_routes(get_state)   # get_state: async () -> the state dict (see the page)
    GET /dashboard             the page (inline CSS/JS/SVG: no CDN, works offline)
    GET /dashboard/state.json  the current state
    GET /dashboard/events      text/event-stream: the state now, then each time it changes
    POST /dashboard/logout     (a server with a token) forgets the browser's sign-in cookie: the Sign out button

The event stream polls ``get_state`` every ``poll_seconds`` and sends only changes: a state whose only
change is its time (``generated_at``) goes as a ``tick`` event of that time alone, and a comment line keeps
idle connections open. The page uses EventSource and falls back to polling the JSON.

Only this machine's browser may read them, as the SDK guards /mcp: a request whose Host (or Origin, when
sent) names another site is refused. Otherwise a web page the developer visits could rebind its own domain
to 127.0.0.1 and read the budget and the audit log's task texts (DNS rebinding). A server with a token
(SWITCHBOARD_HTTP_TOKEN) is guarded by server/http_auth.py instead, and answers any Host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

log = logging.getLogger(__name__)

GetState = Callable[[], Awaitable[dict[str, Any]]]
# Every dashboard answer may not be framed (clickjacking), sniffed as another type, nor name the page to others
# (same-origin: no-referrer would make the Sign out form's POST carry 'Origin: null', refused as another site's).
GUARDED = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
NO_STORE = {"Cache-Control": "no-store", **GUARDED}
LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
Handler = Callable[[Request], Awaitable[Response]]


def refusal_for(request: Request) -> Response | None:
    """The answer to a request another site made through this machine's browser; None for a local one."""
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    if host not in LOCAL_NAMES:
        return Response("Host not allowed: this Switchboard has no token (SWITCHBOARD_HTTP_TOKEN), so it serves this "
                        "machine only: open the dashboard on it at http://127.0.0.1:<port>/dashboard. To share it "
                        "with other machines, set SWITCHBOARD_HTTP_TOKEN where it starts and restart it", 421)
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).hostname not in LOCAL_NAMES:
        return Response("Origin not allowed", 403)
    return None


def local_only(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        return refusal_for(request) or await handler(request)

    return guarded


LOGOUT = "/dashboard/logout"
# The page, from any /dashboard/<x> (a redirect after signing in or out, /dashboard/): relative, as is every URL the
# dashboard names, so that it works under a proxy's sub-path too and keeps the browser's https://.
UP_TO_PAGE = "../dashboard"
# Relative to the page (/dashboard).
SIGN_OUT = '<form method="post" action="dashboard/logout"><button>Sign out</button></form>'


def page_html(sign_out: bool = False) -> str:
    """The page; with ``sign_out`` (a server whose token the browser signed in with), its Sign out button."""
    page = resources.files(__package__).joinpath("static/dashboard.html").read_text(encoding="utf-8")
    return page.replace("<!--sign-out-->", SIGN_OUT if sign_out else "")


_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def content_policy(page: str) -> str:
    """The page's Content-Security-Policy: its own inline script (by hash) runs, no other; it may fetch only
    from this server, load nothing from elsewhere, and not be framed. A text the page shows that slipped into
    its markup could neither run nor send anything anywhere."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'"
        for m in _SCRIPT.finditer(page)
    )
    # style 'unsafe-inline': the page's <style> and the bars' style attributes (widths, colours) it sets.
    forms = "'self'" if SIGN_OUT in page else "'none'"  # the Sign out button posts here
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
            f"connect-src 'self'; base-uri 'none'; form-action {forms}; frame-ancestors 'none'")


def _dumps(state: Any) -> str:
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False, default=str)


def problem_message(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


async def state_events(
    get_state: GetState,
    *,
    poll_seconds: float = 1.0,
    keepalive_seconds: float = 15.0,
    max_events: int | None = None,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> AsyncIterator[str]:
    """SSE frames: the state, then every changed state; ends after ``max_events`` states if given.

    A state whose only change is its ``generated_at`` (every poll: it is the time of the poll) is sent as a
    ``tick`` event of that time alone, which the page needs for its countdowns: before, the whole state,
    some 60 KB with 30 recent decisions, went to every open page every second, and the page was rebuilt
    under the reader's pointer (a cut task's full text, in its tooltip, could not be read)."""
    yield "retry: 2000\n\n"
    last: str | None = None  # the last state sent, without its generated_at
    generated: Any = None  # the generated_at the page was last given, in a state or a tick
    problem: str | None = None  # the one the page was last told of, until a good state comes
    sent = 0
    quiet = 0.0
    while max_events is None or sent < max_events:
        try:
            state = await get_state()
            content = _dumps({**state, "generated_at": None})
        except Exception as exc:  # a failing snapshot must not end the stream; the page shows it
            state = content = last = None  # the page now shows the problem: the next good state must be sent again
            if problem_message(exc) != problem:  # a lasting problem is logged and sent once, not every poll
                problem, quiet = problem_message(exc), 0.0
                log.exception("dashboard state failed")
                yield f"event: problem\ndata: {_dumps({'message': problem})}\n\n"
        else:
            problem = None
        if content is not None and content != last:
            last, sent, quiet = content, sent + 1, 0.0
            yield f"data: {_dumps(state)}\n\n"
        elif content is not None and state.get("generated_at") != generated:
            quiet = 0.0
            yield f"event: tick\ndata: {_dumps({'generated_at': state.get('generated_at')})}\n\n"
        elif quiet >= keepalive_seconds:
            quiet = 0.0
            yield ": keepalive\n\n"
        if content is not None:
            generated = state.get("generated_at")
        if max_events is not None and sent >= max_events:
            break
        await sleep(poll_seconds)
        quiet += poll_seconds


def dashboard_routes(
    get_state: GetState, *, poll_seconds: float = 1.0, max_events: int | None = None, host_guard: bool = True
) -> list[Route]:
    """GET /dashboard, /dashboard/state.json and /dashboard/events over ``get_state``.

    ``max_events`` closes each event stream after that many states (EventSource then reconnects).
    ``host_guard=False`` drops the loopback-only Host/Origin check: for a server whose token
    (server/http_auth.py) guards every request instead, and checks Origin itself.
    """
    guard = local_only if host_guard else (lambda handler: handler)
    # Read and hashed once, here: the page is a file of the package, fixed while the server runs.
    html = page_html(sign_out=not host_guard)
    page_headers = {**NO_STORE, "Content-Security-Policy": content_policy(html)}

    async def page(request: Request) -> Response:
        return HTMLResponse(html, headers=page_headers)

    logged: list[str | None] = [None]  # the problem last logged with its traceback, until a good state

    async def state(request: Request) -> Response:
        try:
            data = _dumps(await get_state())
        except Exception as exc:  # the polling page shows the message, as the event stream's does
            message = problem_message(exc)
            if message != logged[0]:  # a lasting problem is logged once, not on every poll of every page
                logged[0] = message
                log.exception("dashboard state failed")
            return JSONResponse({"error": message}, 503, headers=NO_STORE)
        logged[0] = None
        return Response(data, media_type="application/json", headers=NO_STORE)

    async def events(request: Request) -> Response:
        stream = state_events(get_state, poll_seconds=poll_seconds, max_events=max_events)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **GUARDED}
        return StreamingResponse(stream, media_type="text/event-stream", headers=headers)

    async def sign_out(request: Request) -> Response:
        # The token server's middleware let this request in with its cookie; the browser forgets it here.
        # Relative, and the cookie's default Path (this URL's directory), as the login set it (server/http_auth.py).
        from server.http_auth import COOKIE

        response = RedirectResponse(UP_TO_PAGE, 303, headers=NO_STORE)
        response.delete_cookie(COOKIE, path=None, httponly=True, samesite="strict")
        return response

    async def slashed(request: Request) -> Response:
        # Relative, so that a browser behind a TLS proxy keeps its https:// (an absolute URL names the scheme seen here).
        query = request.url.query
        return RedirectResponse(UP_TO_PAGE + (f"?{query}" if query else ""), 307, headers=GUARDED)

    signing_out = [] if host_guard else [Route(LOGOUT, sign_out, methods=["POST"], name="dashboard_logout")]
    return [
        *signing_out,
        Route("/dashboard/", slashed, methods=["GET"], name="dashboard_slashed"),
        Route("/dashboard", guard(page), methods=["GET"], name="dashboard"),
        Route("/dashboard/state.json", guard(state), methods=["GET"], name="dashboard_state"),
        Route("/dashboard/events", guard(events), methods=["GET"], name="dashboard_events"),
    ]
