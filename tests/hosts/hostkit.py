"""Driving the real MCP hosts offline: Claude Code, Gemini CLI, Codex and the MCP Inspector.

scripts/setup-hosts.sh installs them with `npm install --prefix <repo>/.hosts` (or $SWITCHBOARD_HOSTS_DIR);
a test that needs one skips, naming the script, only when its executable is not there. Everything else,
including a server that fails to start, fails the test. Every host runs with its own HOME under tmp_path.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOSTS_DIR = Path(os.environ.get("SWITCHBOARD_HOSTS_DIR", REPO / ".hosts"))
HOSTS_BIN = HOSTS_DIR / "node_modules" / ".bin"
SWITCHBOARD = Path(sys.executable).with_name("switchboard")
TOOLS = {"classify_task", "recommend_provider", "dispatch_agent", "run_batch", "get_budget"}

# Variables that would point a host at the real user's files or accounts.
_DROPPED = (
    "CODEX_HOME",
    "CLAUDE_CONFIG_DIR",
    "XDG_CONFIG_HOME",
    "SWITCHBOARD_CONFIG",
    "GEMINI_CLI_TRUSTED_FOLDERS_PATH",
    "SWITCHBOARD_HTTP_TOKEN",  # the servers the tests start set their own
    "SWITCHBOARD_HTTP_TOKEN_FILE",
    "SWITCHBOARD_TOKEN",
)
_QUIET = {
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "npm_config_update_notifier": "false",
    "NO_COLOR": "1",
}


def host_executable(name: str) -> Path:
    path = HOSTS_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in {HOSTS_BIN}: run scripts/setup-hosts.sh")
    return path


@dataclass
class Sandbox:
    home: Path
    project: Path
    env: dict[str, str]

    def run(self, *cmd: str | Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(c) for c in cmd],
            cwd=self.project,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def install(self, host: str, scope: str, *extra: str) -> None:
        """`switchboard install HOST --SCOPE [extra]` exactly as a user runs it."""
        proc = self.run(SWITCHBOARD, "install", host, f"--{scope}", "--project-dir", self.project, *extra)
        assert proc.returncode == 0, proc.stderr


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    if not SWITCHBOARD.exists():
        pytest.fail(f"{SWITCHBOARD} is missing: run scripts/bootstrap.sh")
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k not in _DROPPED}
    env.update(_QUIET, HOME=str(home), SWITCHBOARD_HOME=str(home / ".switchboard"))
    # This checkout's code, not the one the virtualenv's editable install points at (a worktree's tests ran main's)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH"))))
    return Sandbox(home, project, env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(sandbox: Sandbox) -> Iterator[str]:
    """`switchboard serve --http --port N` in the sandbox; yields http://127.0.0.1:N."""
    yield from _serve_http(sandbox, {})


TEAM_TOKEN = "team-token-0123456789abcdefghij"


@pytest.fixture
def team_server(sandbox: Sandbox) -> Iterator[str]:
    """The Team set-up: `serve --http` guarded by SWITCHBOARD_HTTP_TOKEN=TEAM_TOKEN; yields its /mcp URL.

    The hosts in the sandbox do not get the token: a test gives it to them as SWITCHBOARD_TOKEN."""
    for base in _serve_http(sandbox, {"SWITCHBOARD_HTTP_TOKEN": TEAM_TOKEN}):
        yield f"{base}/mcp"


def _serve_http(sandbox: Sandbox, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(SWITCHBOARD), "serve", "--http", "--port", str(port)],
        cwd=sandbox.project,
        env={**sandbox.env, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # bounded wait for start-up, not a timing assertion
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"switchboard serve --http exited with {proc.returncode}: {proc.stderr.read()[-3000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("switchboard serve --http did not listen within 60 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
