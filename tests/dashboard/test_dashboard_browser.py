"""The dashboard in headless Chromium (Debian's `chromium`, installed by scripts/setup-hosts.sh).

The page is served by uvicorn on 127.0.0.1 from a fake get_state. `--dump-dom` after a virtual time
budget shows what the page rendered; the page writes any JS error into #errors and data-error, and
Chromium's console log (--enable-logging=stderr) must hold no message from the page.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from server.dashboard import dashboard_routes

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed (scripts/setup-hosts.sh installs Debian's chromium package)",
        allow_module_level=True,
    )

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
]


@contextmanager
def serve(get_state, **options) -> Iterator[str]:
    """Serve the dashboard routes on a free 127.0.0.1 port in a thread; yields the base URL."""
    with serve_with_server(get_state, **options) as (base, _server):
        yield base


@contextmanager
def serve_with_server(
    get_state, *, one_request_per_connection: bool = False, wrap=None, **options
) -> Iterator[tuple[str, uvicorn.Server]]:
    """As ``serve``, and the uvicorn server too, so a test can stop it while the page is open.

    ``one_request_per_connection`` closes each connection after its answer, so a browser cannot reuse one
    to reach a server that has stopped listening.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = Starlette(routes=dashboard_routes(get_state, **options))
    if wrap is not None:  # ``wrap(app)``: the ASGI app served instead
        app = wrap(app)
    if one_request_per_connection:
        app = connection_close(app)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(500):  # bounded wait for start-up, not a timing assertion
        if server.started or not thread.is_alive():
            break
        ready.wait(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def connection_close(app):
    async def closing(scope, receive, send):
        async def send_closing(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return closing


def chromium(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def changing_state(state: dict):
    """A get_state whose `tester` agent count grows by one per call, up to 3 more, to show live updates."""
    calls = {"n": 0}

    async def get_state():
        calls["n"] += 1
        s = copy.deepcopy(state)
        s["agents_in_use"]["tester"] = 2 + min(calls["n"] - 1, 3)
        return s

    return get_state, calls


def page_text(dom: str) -> str:
    """What the page shows, as words: its script's source (which holds texts such as "lifts: unknown") left out."""
    shown = re.sub(r"<script.*?</script>", " ", dom, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())


def body_attrs(dom: str) -> dict[str, str]:
    tag = re.search(r"<body([^>]*)>", dom).group(1)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def test_page_renders_the_state_live_with_no_console_error(tmp_path, state):
    get_state, calls = changing_state(state)
    # One state per stream: EventSource reconnects, so virtual time can advance between streams.
    with serve(get_state, max_events=1, poll_seconds=0.05) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    attrs = body_attrs(dom)
    assert "data-error" not in attrs, re.search(r'<pre id="errors"[^>]*>(.*?)</pre>', dom, re.S).group(1)
    assert console_lines(proc.stderr) == []
    assert attrs["data-transport"] == "live"
    assert int(attrs["data-rendered"]) >= 2 and calls["n"] >= 2
    text = page_text(dom)
    # capacity, with the block and when it lifts
    assert "requests 51 / 60 (85%)" in text and "tokens 138,000 / 150,000 (92%)" in text
    assert "tokens 850,000 / 1,000,000 (85%)" in text
    assert "tokens_percent >= 90%: lifts 2025-01-11 10:30:42 UTC (in 42 s)" in text
    # a block that lifts at no known time says why, not "lifts: unknown" (a zero allocation never lifts)
    assert "budget: codex has no allocation (budget.allocation.codex = 0)" in text and "lifts: unknown" not in text
    assert "OpenAI Codex blocked" in text and "Anthropic Claude available" in text
    # today's budget and alerts
    assert "total $170.00 spent $22.10 reserved $0.45 remaining $147.45" in text
    assert "claude $100.00 $8.40 $0.45 $91.15" in text
    assert "10%: Spent $22.10 of $170.00 today (13%)" in text
    # spend chart: one bar per provider per day, with the amounts
    bars = re.findall(r'<rect [^>]*data-day="([\d-]+)" data-provider="(\w+)" data-usd="([\d.]+)"', dom)
    assert sorted((day, p, float(usd)) for day, p, usd in bars) == sorted(
        (day, p, usd) for day, by in state["spend_by_day"].items() for p, usd in by.items()
    )
    # recent decisions (newest first), reasons and fallbacks; task text is shown, not run
    assert text.index("Design distributed system") < text.index("Write unit tests")
    assert "gemini primary blocked, using fallback 1 tester $0.02" in text
    assert "claude primary available claude-architect $0.45 success $0.51" in text
    assert "<script>alert(1)</script> parser" in text and "<script>alert(1)" not in dom
    assert len(re.findall(r'<tr class="fallback"', dom)) == 1
    # agents in use, updated live: each stream pushed a newer state, and the page shows the last one
    assert f"tester {2 + min(int(attrs['data-rendered']) - 1, 3)}" in text and "idle-agent" not in text


def test_page_says_when_the_server_is_gone(tmp_path, state):
    # Before, a live page whose server died kept saying "live" over the last state it had.
    holder = {}

    async def get_state():
        server = holder["server"]  # the server stops once it has sent this first state: it takes no
        for listener in server.servers:  # new connection from here on, and then exits
            listener.close()
        server.should_exit = True
        return state

    with serve_with_server(get_state, max_events=1, one_request_per_connection=True) as (base, server):
        holder["server"] = server
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert int(attrs["data-rendered"]) >= 1 and "data-error" not in attrs
    assert attrs["data-transport"] == "offline", attrs
    assert "connection lost" in proc.stdout


def test_a_parked_task_shows_when_it_resumes(tmp_path, state):
    # Before, a parked task's row said only "parked": not until when, though the audit line has it.
    state["recent"].append({
        "timestamp": "2025-01-11T10:30:30Z",
        "task_id": "task-12346",
        "task_description": "Refactor the billing module",
        "recommendation": {"provider": "codex", "provider_reason": "primary available", "cost_estimate": "$0.01"},
        "execution_metrics": {"status": "parked", "resumes_at": "2025-01-11T10:31:00Z",
                              "error": "every provider is blocked"},
    })
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    assert "data-error" not in body_attrs(proc.stdout)
    assert '<td title="every provider is blocked">parked until 2025-01-11 10:31:00 UTC</td>' in proc.stdout


def test_page_falls_back_to_polling_the_json(tmp_path, state):
    with serve(changing_state(state)[0]) as base:
        proc = chromium(tmp_path, f"{base}/dashboard?transport=poll", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert attrs["data-transport"] == "polling" and int(attrs["data-rendered"]) >= 2
    assert "data-error" not in attrs and console_lines(proc.stderr) == []


def test_polling_page_shows_why_the_state_failed(tmp_path):
    async def get_state():
        raise RuntimeError("database is locked")

    with serve(get_state) as base:
        proc = chromium(tmp_path, f"{base}/dashboard?transport=poll", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert attrs["data-transport"] == "offline" and "data-error" not in attrs
    assert "state error: RuntimeError: database is locked" in proc.stdout


def test_a_script_error_is_caught_and_shown(tmp_path, state):
    """The no-error checks above can fail: a state the page cannot render surfaces its JS error."""
    state["providers"] = "not a list"
    with serve(lambda: _const(state), max_events=1) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert attrs.get("data-error") == "1"
    assert "is not a function" in proc.stdout
    assert any("Uncaught TypeError" in line for line in console_lines(proc.stderr))


async def _const(state):
    return state


def test_screenshot_is_kept_as_an_artifact(tmp_path, state):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    shot.unlink(missing_ok=True)
    with serve(changing_state(state)[0], max_events=1) as base:
        proc = chromium(
            tmp_path,
            f"{base}/dashboard",
            "--window-size=1280,900",
            "--hide-scrollbars",
            f"--screenshot={shot}",
        )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"



def aging_state(state: dict, server_holder: dict | None = None):
    """A get_state whose state only gets older: the same content, generated_at one second later per call
    (up to 10:30:10). With ``server_holder``, the server stops after the fifth call: a live stream would
    otherwise never end, nor would Chromium's virtual time."""
    calls = {"n": 0}

    async def get_state():
        calls["n"] += 1
        if server_holder is not None and calls["n"] == 5:
            server = server_holder["server"]
            for listener in server.servers:
                listener.close()
            server.should_exit = True
        return {**state, "generated_at": f"2025-01-11T10:30:{min(calls['n'], 10):02d}Z"}

    return get_state, calls


def test_a_state_that_only_got_older_moves_the_countdowns_without_rebuilding_the_page(tmp_path, state):
    # Before, the whole state was sent and the whole page rebuilt every second, though only the time had
    # changed: some 60 KB a second per tab, and a cut task's tooltip vanished under the pointer.
    holder: dict = {}
    get_state, calls = aging_state(state, holder)
    with serve_with_server(get_state, poll_seconds=0.05, one_request_per_connection=True) as (base, server):
        holder["server"] = server
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    _shows_the_last_time_on_the_first_render(proc, calls)


def test_a_polled_state_that_only_got_older_does_not_rebuild_the_page(tmp_path, state):
    get_state, calls = aging_state(state)
    with serve(get_state) as base:
        proc = chromium(tmp_path, f"{base}/dashboard?transport=poll", "--dump-dom")

    assert body_attrs(proc.stdout)["data-transport"] == "polling"
    _shows_the_last_time_on_the_first_render(proc, calls)


def _shows_the_last_time_on_the_first_render(proc: subprocess.CompletedProcess[str], calls: dict) -> None:
    attrs = body_attrs(proc.stdout)
    assert "data-error" not in attrs and console_lines(proc.stderr) == []
    assert calls["n"] >= 3 and attrs["data-rendered"] == "1"
    second = int(attrs["data-generated-at"][-3:-1])
    assert second >= 2
    text = page_text(proc.stdout)
    assert f"state at 2025-01-11 10:30:{second:02d} UTC" in text
    assert f"tokens_percent >= 90%: lifts 2025-01-11 10:30:42 UTC (in {42 - second} s)" in text


def test_a_page_whose_token_no_longer_works_says_to_sign_in_again(tmp_path, state):
    # Before, a page of a token server restarted with another token said only "state error: HTTP 401".
    from server.http_auth import TokenRequired

    def page_loaded_before_the_restart(app):
        guarded = TokenRequired(app, "a-token-of-32-characters-or-so-x")

        async def serve_(scope, receive, send):
            await (app if scope.get("path") == "/dashboard" else guarded)(scope, receive, send)

        return serve_

    with serve(lambda: _const(state), max_events=1, wrap=page_loaded_before_the_restart) as base:
        proc = chromium(tmp_path, f"{base}/dashboard", "--dump-dom")

    attrs = body_attrs(proc.stdout)
    assert "data-error" not in attrs and attrs["data-transport"] == "offline"
    assert "signed out: reload the page and enter the token" in page_text(proc.stdout)
