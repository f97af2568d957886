"""The dashboard against hostile texts and hostile pages: what it shows is never run, and it may not be framed."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.dashboard import dashboard_routes, page_html

RAN = "document.body.setAttribute('data-xss','1')"
IMG = f'<img src=x onerror="{RAN}">'
SCRIPT = f"</script><script>{RAN}</script>"
SVG = f'<svg onload="{RAN}"></svg>'


async def _const(state):
    return state


def client_for(state) -> TestClient:
    return TestClient(Starlette(routes=dashboard_routes(lambda: _const(state))), base_url="http://127.0.0.1:8765")


def test_the_page_says_what_a_browser_may_run_load_and_frame(state):
    # Before, the page came with no Content-Security-Policy, X-Frame-Options or nosniff: any page could frame it.
    r = client_for(state).get("/dashboard")
    assert r.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    script = re.search(r"<script>(.*?)</script>", page_html(), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy["script-src"] == f"'sha256-{digest}'"  # the page's own script, no other (no 'unsafe-inline')
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"  # names the page to no other site (no-referrer: see http_auth)


@pytest.mark.parametrize("path", ["/dashboard/state.json", "/dashboard/events"])
def test_the_feeds_are_not_sniffed_nor_framed(state, path):
    routes = dashboard_routes(lambda: _const(state), max_events=1)
    with TestClient(Starlette(routes=routes), base_url="http://127.0.0.1:8765") as c:
        r = c.get(path)
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


@pytest.mark.slow
def test_markup_in_every_shown_text_is_shown_as_text_and_never_runs(tmp_path, state):
    # Task texts, agent names, provider errors, alerts and notes come from hosts, providers and the config:
    # the page builds text nodes, so none of them can run (and the policy would stop a script that got in).
    from tests.dashboard.test_dashboard_browser import body_attrs, chromium, console_lines, page_text, serve

    provider = state["providers"][0]
    provider["display_name"] = IMG
    provider["blocks"][0]["reason"] = SVG
    state["budget"]["alerts"][0]["message"] = IMG
    record = state["recent"][0]
    record["task_description"] = f"fix {SCRIPT} and {IMG}"
    record["recommendation"].update(agent_assigned=IMG, provider_reason=SVG)
    record["execution_metrics"] = {"status": "error", "error": f"provider said {IMG}"}
    state["agents_in_use"] = {IMG: 1}
    state["audit_off"] = SCRIPT
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert "data-error" not in attrs and "data-xss" not in attrs, proc.stdout[-3000:]
    assert console_lines(proc.stderr) == []  # nothing refused by the policy either: nothing tried to run
    assert "<img" not in proc.stdout and "<svg onload" not in proc.stdout
    text = page_text(proc.stdout)
    assert "OpenAI Codex blocked" not in text and IMG in text and SVG in text  # the name shown as written
