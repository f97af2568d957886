"""Signing in to a team server's dashboard, and out of it, in headless Chromium.

The pages are the real ones behind the real token check (server/http_auth.py), with their own headers; the test adds a
script of its own to each HTML page (dropping the page's script policy for it, and nothing else) that does what a
teammate does: type the token and press the button, then press Sign out. Each page it reaches is noted, so the final
page's DOM tells the whole way.
"""

from __future__ import annotations

import json

import pytest

from server.http_auth import TokenRequired
from tests.dashboard.test_dashboard_browser import body_attrs, chromium, page_text, serve

pytestmark = pytest.mark.slow

TOKEN = "team-token-0123456789-abcdefXYZ"

ACT = """<script>
(function () {
  var step = Number(sessionStorage.getItem("step") || "0");
  var login = document.querySelector("input[name=token]");
  var out = document.querySelector("form[action$='logout']");
  var page = (login ? "login" : out ? "dashboard" : "other") + location.search;
  var log = (sessionStorage.getItem("log") || "") + page + ";";
  sessionStorage.setItem("log", log);
  document.body.setAttribute("data-log", log);
  if (step === 0 && login) { sessionStorage.setItem("step", "1"); login.value = TOKEN; login.form.submit(); }
  else if (step === 1 && out) { sessionStorage.setItem("step", "2"); out.submit(); }
})();
</script>"""


def acting(app):
    """``app`` with ACT run on each HTML page it answers (its Content-Security-Policy left out so that ACT runs)."""
    script = ACT.replace("TOKEN", json.dumps(TOKEN)).encode()

    async def serve_(scope, receive, send):
        html = False

        async def sending(message):
            nonlocal html
            if message["type"] == "http.response.start":
                headers = message["headers"]
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                if html:
                    headers = [(k, v) for k, v in headers
                               if k.lower() not in (b"content-security-policy", b"content-length")]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and html:
                body = message.get("body", b"")
                body = body.replace(b"</body>", script + b"</body>") if b"</body>" in body else body + script
                message = {**message, "body": body}
            await send(message)

        await app(scope, receive, sending)

    return serve_


def under(prefix: str, app):
    """``app`` served under ``prefix`` as a reverse proxy does that strips it (nginx's ``location /switchboard/ {
    proxy_pass http://127.0.0.1:8765/; }``, Caddy's ``handle_path``): 404 for any other path."""
    async def proxied(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if not scope["path"].startswith(prefix + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            return await send({"type": "http.response.body", "body": b"not under " + prefix.encode()})
        path = scope["path"][len(prefix):]
        await app({**scope, "path": path, "raw_path": path.encode()}, receive, send)

    return proxied


@pytest.mark.parametrize("prefix", ["", "/switchboard"])
def test_a_teammate_signs_in_with_the_token_and_out_again(tmp_path, state, prefix):
    # Before: the sign-in form's POST was answered 403 'Origin not allowed'. The login page's Referrer-Policy was
    # no-referrer, under which a browser sends 'Origin: null' with a form's POST, and the token check took null for
    # another site: no teammate could open the team dashboard in a browser.
    async def get_state():
        return state

    # Under a prefix, before: the form posted to /dashboard/login, outside it (404 'not under /switchboard').
    def wrap(app):
        app = acting(TokenRequired(app, TOKEN))
        return under(prefix, app) if prefix else app

    with serve(get_state, max_events=1, host_guard=False, wrap=wrap) as base:
        proc = chromium(tmp_path, f"{base}{prefix}/dashboard?transport=poll", "--dump-dom")

    text = page_text(proc.stdout)
    assert "Origin not allowed" not in text, text
    # The dashboard's query (?transport=poll) is kept through signing in: before, the sign-in led to /dashboard.
    assert body_attrs(proc.stdout).get("data-log") == "login?transport=poll;dashboard?transport=poll;login;", \
        proc.stdout[-1500:]
