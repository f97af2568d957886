"""Codex (`codex`, from npm) reads the installed entry: `codex mcp list --json` and config.toml.

`codex mcp list` does not start servers (it is config-only), so the entry and `required = true`
(which makes Codex wait for the server before the first turn) are checked as Codex reports them.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.hosts.fake_responses import fake_responses_api
from tests.hosts.hostkit import SWITCHBOARD, TEAM_TOKEN, host_executable

pytestmark = pytest.mark.slow


def codex_entries(sandbox, codex) -> dict[str, dict]:
    proc = sandbox.run(codex, "mcp", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    return {e["name"]: e for e in json.loads(proc.stdout)}


@pytest.mark.parametrize("scope", ["user", "project"])
def test_install_is_listed_by_codex_with_required_true(sandbox, scope):
    sandbox.install("codex", scope)
    base = sandbox.home / ".codex" if scope == "user" else sandbox.project / ".codex"
    config = tomllib.loads((base / "config.toml").read_text())
    assert config["mcp_servers"]["switchboard"] == {
        "command": str(SWITCHBOARD),
        "args": ["serve"],
        "required": True,
        "env_vars": ["SWITCHBOARD_DISPATCHED"],
        "tool_timeout_sec": 86400,
    }
    codex = host_executable("codex")
    if scope == "project":
        # Codex reads a project's .codex/config.toml once the user has trusted the project (its first-run prompt).
        (sandbox.home / ".codex").mkdir(exist_ok=True)
        (sandbox.home / ".codex" / "config.toml").write_text(
            f'[projects."{sandbox.project}"]\ntrust_level = "trusted"\n'
        )

    entry = codex_entries(sandbox, codex)["switchboard"]

    assert entry["enabled"] is True
    assert entry["transport"]["type"] == "stdio"
    assert entry["transport"]["command"] == str(SWITCHBOARD)
    assert entry["transport"]["args"] == ["serve"]
    assert entry["transport"]["env_vars"] == ["SWITCHBOARD_DISPATCHED"]  # codex reads the key as its own
    # Codex's own default (300 s) would cancel a dispatch that waits for a rate window.
    assert entry["tool_timeout_sec"] == 86400


def test_codex_home_is_honoured_and_uninstall_removes_the_entry(sandbox):
    codex = host_executable("codex")
    codex_home = sandbox.home / "elsewhere"
    codex_home.mkdir()
    sandbox.env["CODEX_HOME"] = str(codex_home)
    sandbox.install("codex", "user")
    assert "switchboard" in codex_entries(sandbox, codex)

    proc = sandbox.run(SWITCHBOARD, "uninstall", "codex", "--user")
    assert proc.returncode == 0, proc.stderr

    assert "switchboard" not in codex_entries(sandbox, codex)
    assert not (sandbox.home / ".codex" / "config.toml").exists()


def test_codex_exec_calls_a_switchboard_tool(sandbox):
    """A real health check: with required = true Codex starts the server before the first turn, and the
    model (a local fake Responses API) calls classify_task through it."""
    codex = host_executable("codex")
    sandbox.install("codex", "user")
    task = "Design distributed system architecture for a data pipeline"

    with fake_responses_api("classify_task", {"task": task}) as (base_url, requests):
        provider = f'{{name="fake",base_url="{base_url}",wire_api="responses",env_key="FAKE_OPENAI_KEY"}}'
        proc = sandbox.run(
            codex, "exec", "--json", "--skip-git-repo-check",
            "-c", "model_provider=fake", "-c", "model=gpt-fake", "-c", f"model_providers.fake={provider}",
            "classify this task with switchboard",
            FAKE_OPENAI_KEY="sk-fake",
        )  # fmt: skip

    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    [call] = [
        e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == "mcp_tool_call"
    ]
    assert (call["server"], call["tool"], call["status"]) == ("switchboard", "classify_task", "completed")
    assert json.loads(call["result"]["content"][0]["text"])["primary_provider"] == "claude"
    assert len(requests) == 2 and any(e["type"] == "turn.completed" for e in events)


def test_remote_install_is_read_by_codex_and_its_tools_called_with_the_token_from_the_variable(
    sandbox, team_server
):
    """`install codex --url --token-env`: Codex lists the bearer-token variable, and `codex exec` (which
    waits for the required server) calls classify_task on the token-guarded server with the token it
    read from SWITCHBOARD_TOKEN. The file holds the variable's name only."""
    codex = host_executable("codex")
    sandbox.install("codex", "user", "--url", team_server, "--token-env", "SWITCHBOARD_TOKEN")
    config = (sandbox.home / ".codex" / "config.toml").read_text()
    assert TEAM_TOKEN not in config

    entry = codex_entries(sandbox, codex)["switchboard"]

    assert entry["enabled"] is True and entry["auth_status"] == "bearer_token"
    assert entry["transport"]["type"] == "streamable_http"
    assert entry["transport"]["url"] == team_server
    assert entry["transport"]["bearer_token_env_var"] == "SWITCHBOARD_TOKEN"
    assert entry["tool_timeout_sec"] == 86400

    task = "Design distributed system architecture for a data pipeline"

    def exec_(**env: str):
        with fake_responses_api("classify_task", {"task": task}) as (base_url, _):
            provider = f'{{name="fake",base_url="{base_url}",wire_api="responses",env_key="FAKE_OPENAI_KEY"}}'
            return sandbox.run(
                codex, "exec", "--json", "--skip-git-repo-check",
                "-c", "model_provider=fake", "-c", "model=gpt-fake", "-c", f"model_providers.fake={provider}",
                "classify this task with switchboard",
                FAKE_OPENAI_KEY="sk-fake", **env,
            )  # fmt: skip

    without = exec_()  # the check can fail: a required server without its token stops the session
    assert without.returncode != 0
    assert "Environment variable SWITCHBOARD_TOKEN for MCP server 'switchboard' is not set" in without.stderr

    proc = exec_(SWITCHBOARD_TOKEN=TEAM_TOKEN)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    [call] = [
        e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == "mcp_tool_call"
    ]
    assert (call["server"], call["tool"], call["status"]) == ("switchboard", "classify_task", "completed")
    assert json.loads(call["result"]["content"][0]["text"])["primary_provider"] == "claude"
