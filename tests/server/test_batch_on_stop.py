"""run_batch while the real server stops (SIGTERM), on stdio and over HTTP: it starts no task more and answers with
what it has. Before, over HTTP, the batch went on starting tasks through the grace (each cut at its end and charged
its estimate) and the answer was the bare "Switchboard stopped" error; on stdio the call got no answer at all.
Either way the finished tasks' answers, billed, were lost, and calling again re-ran and re-billed them."""

from __future__ import annotations

import json
import signal

import anyio
import httpx
import pytest

from tests.fakes.fake_provider import FakeProviders, Fault
from tests.server.test_stdio_in_flight import ended, serving
from tests.server.test_stdio_pipes import answer, send
from tests.server.test_transports import start_http

pytestmark = pytest.mark.slow
TASKS = [{"id": name, "task": f"Explain the OAuth2 flow ({name})"} for name in ("a", "b", "c")]
ARGUMENTS = {"tasks": TASKS, "parallel": 1, "dry_run": False}


def second_task_hangs(fake: FakeProviders) -> None:
    fake.script("gemini", [Fault.ok(), Fault.hang(120)])


def check_partial(structured: dict, fake: FakeProviders) -> None:
    """a answered, b cut off in its call, c never sent."""
    results = {r["task_id"]: r for r in structured["results"]}
    assert [results[n]["status"] for n in "abc"] == ["success", "cancelled", "cancelled"], results
    assert results["a"]["result"]
    assert "not started" in results["c"]["error"] and not results["c"]["cost_actual_usd"]
    assert fake.stats("gemini").requests == 2  # c was never sent


@pytest.mark.parametrize("stop", ["sigterm", "eof"])
def test_stdio_stop_answers_a_batch_with_its_finished_tasks(tmp_path, stop):
    # eof: the host's way to stop a stdio server is to close its stdin. Before, the batch was not told: it went on
    # starting tasks (new billed calls) until the grace ended or the SDK's SIGTERM came, and got no answer. sigterm:
    # stdout ended with no answer.
    with FakeProviders() as fake:
        second_task_hangs(fake)
        proc = serving(tmp_path, fake)
        try:
            send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                        "params": {"name": "run_batch", "arguments": ARGUMENTS}})
            assert fake.wait_for_requests("gemini", 2), "the second task never called"
            if stop == "sigterm":
                proc.send_signal(signal.SIGTERM)
            else:
                proc.stdin.close()  # b cut off a second before the grace ends
            reply = answer(proc)
            assert reply["id"] == 2 and "result" in reply, reply
            check_partial(reply["result"]["structuredContent"], fake)
            assert proc.wait(timeout=60) == 0
        finally:
            ended(proc)


def run_batch_over_http(url: str) -> dict:
    """run_batch's JSON-RPC answer from a 2025-11-25 session, on plain HTTP requests (the SDK's client cancels its
    calls as its GET stream, ended by the stopping server, fails to reconnect: Claude Code's does not)."""
    headers = {"Accept": "application/json, text/event-stream"}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    with httpx.Client(timeout=httpx.Timeout(10, read=60)) as http:
        r = http.post(url, headers=headers, json=init)
        headers.update({"mcp-session-id": r.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"})
        http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        r = http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                                  "params": {"name": "run_batch", "arguments": ARGUMENTS}})
    if r.headers["content-type"].startswith("application/json"):
        return r.json()
    events = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    return next(e for e in events if e.get("id") == 2)


async def test_http_sigterm_starts_no_task_and_answers_within_the_grace(tmp_path):
    with FakeProviders() as fake:
        second_task_hangs(fake)
        env = {"GEMINI_API_KEY": "test-key", "GEMINI_BASE_URL": fake.base_url("gemini")}
        proc, port = start_http(tmp_path, env=env)
        replies = []
        try:
            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    async def call() -> None:
                        replies.append(await anyio.to_thread.run_sync(run_batch_over_http,
                                                                      f"http://127.0.0.1:{port}/mcp"))

                    tg.start_soon(call)
                    assert await anyio.to_thread.run_sync(fake.wait_for_requests, "gemini", 2)
                    proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0  # stopped by its handler; -SIGTERM: killed where it stood
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    [reply] = replies
    assert "result" in reply, reply  # before: the error "Switchboard stopped ... call again once the server is back"
    check_partial(reply["result"]["structuredContent"], fake)
