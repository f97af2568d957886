"""The dashboard as `switchboard serve --http` serves it, over the real state, in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_state_json_has_the_documented_shape(http_server):
    state = httpx.get(f"{http_server}/dashboard/state.json", timeout=30).json()

    assert {"generated_at", "providers", "budget", "spend_by_day", "recent", "agents_in_use"} <= set(state)
    assert {p["provider"] for p in state["providers"]} == {"codex", "gemini", "claude"}
    for p in state["providers"]:
        assert {"requests_used", "requests_limit", "tokens_percent", "available", "blocks", "outage"} <= set(
            p
        )
    assert {"day", "total", "spent", "remaining", "next_reset_at", "providers", "alerts"} <= set(
        state["budget"]
    )


def test_page_renders_the_served_state_without_errors(http_server, tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/setup-hosts.sh installs Debian's chromium package)")
    page = httpx.get(f"{http_server}/dashboard", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")

    # Polling mode: an open event stream would stop Chromium's virtual clock (tests/dashboard covers SSE).
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", f"{http_server}/dashboard?transport=poll"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    body = re.search(r"<body([^>]*)>", proc.stdout).group(1)
    assert 'data-transport="polling"' in body and "data-error" not in body, proc.stdout[-3000:]
    assert [line for line in proc.stderr.splitlines() if ":CONSOLE" in line] == []
    assert sorted(re.findall(r'<div class="provider" data-provider="(\w+)"', proc.stdout)) == [
        "claude",
        "codex",
        "gemini",
    ]
