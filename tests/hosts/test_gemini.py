"""Gemini CLI (`gemini`, from npm) health-checks the installed server: `gemini mcp list`."""

from __future__ import annotations

import json

import pytest

from tests.hosts.hostkit import SWITCHBOARD, TEAM_TOKEN, host_executable

pytestmark = pytest.mark.slow
TRUSTED = {"GEMINI_CLI_TRUST_WORKSPACE": "true"}  # the folder trust a user grants at first start


def status_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if "switchboard:" in line]
    assert lines, f"`gemini mcp list` does not list switchboard:\n{output}"
    return lines[0]


@pytest.mark.parametrize("scope", ["project", "user"])
def test_install_is_connected(sandbox, scope):
    gemini = host_executable("gemini")
    sandbox.install("gemini", scope)

    proc = sandbox.run(gemini, "mcp", "list", **TRUSTED)

    assert proc.returncode == 0, proc.stderr
    assert status_line(proc.stdout + proc.stderr) == f"✓ switchboard: {SWITCHBOARD} serve (stdio) - Connected"
    # Connected with the entry's "timeout" (ms), which Gemini CLI validates (a string there disconnects it).
    base = sandbox.project if scope == "project" else sandbox.home
    settings = json.loads((base / ".gemini" / "settings.json").read_text())
    assert settings["mcpServers"]["switchboard"]["timeout"] == 86_400_000


def test_uninstall_removes_it(sandbox):
    gemini = host_executable("gemini")
    sandbox.install("gemini", "project")
    proc = sandbox.run(SWITCHBOARD, "uninstall", "gemini", "--project", "--project-dir", sandbox.project)
    assert proc.returncode == 0, proc.stderr

    listed = sandbox.run(gemini, "mcp", "list", **TRUSTED)

    assert "switchboard" not in listed.stdout + listed.stderr


@pytest.mark.parametrize("scope", ["project", "user"])
def test_remote_install_connects_to_a_token_guarded_server_with_the_token_from_the_variable(
    sandbox, team_server, scope
):
    """`install --url --token-env`: Gemini CLI expands `${SWITCHBOARD_TOKEN}` in the header it sends."""
    gemini = host_executable("gemini")
    sandbox.install("gemini", scope, "--url", team_server, "--token-env", "SWITCHBOARD_TOKEN")

    connected = sandbox.run(gemini, "mcp", "list", SWITCHBOARD_TOKEN=TEAM_TOKEN, **TRUSTED)
    without = sandbox.run(gemini, "mcp", "list", **TRUSTED)

    assert connected.returncode == 0, connected.stderr
    assert status_line(connected.stdout + connected.stderr) == f"✓ switchboard: {team_server} (http) - Connected"
    assert status_line(without.stdout + without.stderr) == f"✗ switchboard: {team_server} (http) - Disconnected"
    base = sandbox.project if scope == "project" else sandbox.home
    assert TEAM_TOKEN not in (base / ".gemini" / "settings.json").read_text()
    assert json.loads((base / ".gemini" / "settings.json").read_text())["mcpServers"]["switchboard"]["timeout"] == 86_400_000
