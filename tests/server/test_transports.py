"""The real server process: stdio (what hosts start) and Streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.slow
SWITCHBOARD = str(Path(sys.executable).with_name("switchboard"))


def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("SWITCHBOARD_HTTP_TOKEN")}
    env.update(HOME=str(tmp_path / "home"), SWITCHBOARD_HOME=str(tmp_path / "state"))
    # This checkout's code, not the one the virtualenv's editable install points at (a worktree's tests ran main's)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH"))))
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_server_recommends(tmp_path, mode):
    params = StdioServerParameters(command=SWITCHBOARD, args=["serve"], env=server_env(tmp_path), cwd=str(tmp_path))
    with anyio.fail_after(60):
        async with Client(params, mode=mode) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            assert {"classify_task", "recommend_provider", "dispatch_agent", "run_batch", "get_budget"} <= names
            r = await c.call_tool("recommend_provider", {"task": "Explain OAuth2 flow"})
            assert not r.is_error, r.content
            assert r.structured_content["recommendation"]["provider"] == "gemini"
            usage = json.loads((await c.read_resource("usage://summary")).contents[0].text)
            assert set(usage["providers"]) == {"codex", "gemini", "claude"}
    # The decision reached the shared audit log in the state dir.
    lines = [json.loads(x) for f in (tmp_path / "state/audit").glob("*.jsonl") for x in f.read_text().splitlines()]
    assert any(line.get("task_description") == "Explain OAuth2 flow" for line in lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(tmp_path, *extra: str, env: dict[str, str] | None = None):
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [SWITCHBOARD, "serve", "--http", "--port", str(port), *extra],
            env={**server_env(tmp_path), **(env or {})},
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return proc, port


@pytest.fixture
def http_server(tmp_path):
    proc, port = start_http(tmp_path)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_server_serves_both_eras(http_server, mode):
    with anyio.fail_after(30):
        async with Client(f"{http_server}/mcp", mode=mode) as c:
            assert c.protocol_version == ("2026-07-28" if mode == "auto" else "2025-11-25")
            r = await c.call_tool("classify_task", {"task": "Design distributed system architecture"})
            assert not r.is_error
            assert r.structured_content["primary_provider"] == "claude"
            budget = json.loads((await c.read_resource("budget://today")).contents[0].text)
            assert budget["total"] == 100.0


def test_http_rejects_foreign_host_header(http_server):
    # DNS-rebinding protection: a page on another origin can't drive the local server.
    r = httpx.post(f"{http_server}/mcp", headers={"Host": "evil.example"}, json={})
    assert r.status_code == 421


def test_http_with_a_token_serves_a_teammate_naming_any_host(tmp_path):
    token = "real-uvicorn-token-0123456789abcdef"
    proc, port = start_http(tmp_path, "--host", "127.0.0.1", env={"SWITCHBOARD_HTTP_TOKEN": token})
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        headers = {"Host": f"team-server.lan:{port}", "Accept": "application/json, text/event-stream"}
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
        refused = httpx.post(url, headers=headers, json=init)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        r = httpx.post(url, headers={**headers, "Authorization": f"Bearer {token}"}, json=init)
        assert r.status_code == 200 and "mcp-session-id" in r.headers, r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = (tmp_path / "server.log").read_text()
    assert "Authorization: Bearer <token>" in log and token not in log


def test_http_answers_an_unsupported_protocol_version_with_the_versions_it_serves(http_server):
    # Reproduced with httpx on the real server: 'garbage' (or 1999-01-01) got -32602 about params._meta envelope keys.
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "garbage"}
    r = httpx.post(f"{http_server}/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == -32022
    assert "2025-11-25" in r.json()["error"]["data"]["supported"]
