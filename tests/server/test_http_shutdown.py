"""Stopping the real HTTP server with SIGTERM while a dashboard streams and a tool call is in flight."""

from __future__ import annotations

import contextlib
import json
import signal
import threading

import anyio
import httpx
import pytest
from mcp import Client

from tests.fakes.fake_provider import FakeProviders
from tests.server.test_transports import start_http

pytestmark = pytest.mark.slow


def _stream_dashboard(url: str, first_event: threading.Event, ended: list[str]) -> None:
    with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=120)) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                first_event.set()
    ended.append("closed")


async def test_sigterm_ends_streams_and_lets_the_call_in_flight_finish(tmp_path):
    # Before, the dashboard's stream kept the server from stopping for ever (uvicorn waits for every response),
    # and a 2025-era session's tool call was cut at once by sse-starlette; now the stream ends at once and the
    # call, a second from its answer, gets the grace to finish.
    with FakeProviders(latency={"gemini": 1}) as fake:
        env = {"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": fake.base_url("gemini")}
        proc, port = start_http(tmp_path, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            first_event, ended = threading.Event(), []
            viewer = threading.Thread(target=_stream_dashboard, args=(f"{base}/dashboard/events", first_event, ended))
            viewer.start()
            assert await anyio.to_thread.run_sync(first_event.wait, 60)
            # A 2025-era session keeps its GET stream open, as Claude Code's does. (The SDK's client, which
            # reconnects that stream at once, fails when it finds the server gone: hence the suppress.)
            with anyio.fail_after(60), contextlib.suppress(Exception):
                async with Client(f"{base}/mcp", mode="legacy") as c, anyio.create_task_group() as tg:
                    tg.start_soon(_call_and_ignore_the_end, c)
                    while fake.stats("gemini").requests == 0:  # the provider call is in flight
                        await anyio.sleep(0.05)
                    proc.send_signal(signal.SIGTERM)
                    await anyio.to_thread.run_sync(lambda: proc.wait(timeout=30))  # before: never
                    tg.cancel_scope.cancel()
            assert proc.wait(timeout=30) == 0  # stopped by its handler (uvicorn's signal raised again: -SIGTERM)
            await anyio.to_thread.run_sync(viewer.join, 30)
            assert ended == ["closed"]  # the dashboard's stream was ended, not cut
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    ran = _runs_audited(tmp_path)
    assert ran and ran[-1]["execution_metrics"]["status"] == "success", ran
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and "still running" not in log


async def _call_and_ignore_the_end(c: Client) -> None:
    with contextlib.suppress(Exception):  # the server stopped under it
        await c.call_tool("dispatch_agent", {"task": "Explain the OAuth2 flow", "provider": "gemini"})


async def _signalled_mid_call(tmp_path, signum: int, *, listening: bool) -> int:
    """The server's exit status when ``signum`` reaches it while a dispatch_agent call waits on a slow provider
    (beside a subscriptions/listen stream if ``listening``)."""
    with FakeProviders(latency={"gemini": 600}) as fake:
        env = {"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": fake.base_url("gemini")}
        proc, port = start_http(tmp_path, env=env)
        try:
            with anyio.fail_after(60):
                async with Client(f"http://127.0.0.1:{port}/mcp") as c, contextlib.AsyncExitStack() as stack, \
                        anyio.create_task_group() as tg:
                    if listening:
                        await stack.enter_async_context(c.listen(resource_subscriptions=["budget://today"]))
                    tg.start_soon(_call_and_ignore_the_end, c)
                    while fake.stats("gemini").requests == 0:
                        await anyio.sleep(0.05)
                    proc.send_signal(signum)
                    code = await anyio.to_thread.run_sync(lambda: proc.wait(timeout=30))
                    tg.cancel_scope.cancel()
            return code
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _runs_audited(tmp_path) -> list[dict]:
    """The audit lines of the task the tests dispatch."""
    lines = [json.loads(x) for f in (tmp_path / "state/audit").glob("*.jsonl") for x in f.read_text().splitlines()]
    return [x for x in lines if x.get("task_description") == "Explain the OAuth2 flow"]



async def test_sigterm_ends_a_listen_stream_at_once_and_a_new_era_call_after_the_grace(tmp_path):
    # A 2026-07-28 client's subscriptions/listen is a POST whose answer streams for ever: before, it kept the
    # server from stopping too. It carries no work, so it ends at once; the tool call in flight beside it has
    # the grace to answer, then is cancelled, audited, and its response ended (no ASGI error's traceback).
    code = await _signalled_mid_call(tmp_path, signal.SIGTERM, listening=True)
    assert code == 0
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    assert log.count("still running") == 1 and "POST /mcp was still running" in log  # the call, not the listen
    ran = _runs_audited(tmp_path)
    assert ran and ran[-1]["execution_metrics"]["status"] == "cancelled", ran
    # Not blamed on the caller ("cancelled by the caller" read, after a deploy, as a teammate's doing)
    assert ran[-1]["execution_metrics"]["error"].endswith("or the server stopped")


async def test_sighup_stops_the_server_as_sigterm_does_its_call_in_flight_audited(tmp_path):
    # `switchboard serve --http` started in a terminal (or an ssh session) that then closed: SIGHUP, left to its
    # default action, killed it where it stood, the call in flight never audited (nor a CLI it ran stopped).
    code = await _signalled_mid_call(tmp_path, signal.SIGHUP, listening=False)
    assert code == 0  # stopped as by SIGTERM, not killed by the signal
    ran = _runs_audited(tmp_path)
    assert ran and ran[-1]["execution_metrics"]["status"] == "cancelled", ran
