"""Claude Code (`claude`, from npm) sees the installed server and health-checks it: `claude mcp list`."""

from __future__ import annotations

import json
import re

import pytest

from tests.hosts.hostkit import SWITCHBOARD, TEAM_TOKEN, host_executable

pytestmark = pytest.mark.slow


def status_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("switchboard: ")]
    assert lines, f"`claude mcp list` does not list switchboard:\n{output}"
    return lines[0]


def trust_folder(sandbox) -> None:
    """What the user does once at Claude Code's first start in the folder: accept the trust dialog."""
    config = sandbox.home / ".claude.json"
    doc = json.loads(config.read_text()) if config.exists() else {}
    doc.setdefault("projects", {})[str(sandbox.project)] = {"hasTrustDialogAccepted": True}
    config.write_text(json.dumps(doc))


def test_project_install_is_connected(sandbox):
    claude = host_executable("claude")
    sandbox.install("claude-code", "project")
    trust_folder(sandbox)

    proc = sandbox.run(claude, "mcp", "list")

    assert proc.returncode == 0, proc.stderr
    assert status_line(proc.stdout) == f"switchboard: {SWITCHBOARD} serve - ✔ Connected"


def test_user_install_is_connected_and_reported_as_user_scope(sandbox):
    claude = host_executable("claude")
    sandbox.install("claude-code", "user")

    listed = sandbox.run(claude, "mcp", "list")
    details = sandbox.run(claude, "mcp", "get", "switchboard")

    assert status_line(listed.stdout) == f"switchboard: {SWITCHBOARD} serve - ✔ Connected"
    assert re.search(r"Scope: User config", details.stdout), details.stdout
    assert "Status: ✔ Connected" in details.stdout


def test_an_untrusted_project_is_not_started(sandbox):
    """The check above can fail: without the user's folder trust Claude Code does not start the server."""
    claude = host_executable("claude")
    sandbox.install("claude-code", "project")

    line = status_line(sandbox.run(claude, "mcp", "list").stdout)

    assert "Connected" not in line and "Pending approval" in line


@pytest.mark.parametrize("scope", ["project", "user"])
def test_remote_install_connects_to_a_token_guarded_server_with_the_token_from_the_variable(
    sandbox, team_server, scope
):
    """`install --url --token-env`: the file holds `${SWITCHBOARD_TOKEN}`, which Claude Code expands in
    .mcp.json and in ~/.claude.json alike; without the variable it does not connect (401)."""
    claude = host_executable("claude")
    sandbox.install("claude-code", scope, "--url", team_server, "--token-env", "SWITCHBOARD_TOKEN")
    if scope == "project":
        trust_folder(sandbox)

    connected = sandbox.run(claude, "mcp", "list", SWITCHBOARD_TOKEN=TEAM_TOKEN)
    without = sandbox.run(claude, "mcp", "list")
    wrong = sandbox.run(claude, "mcp", "list", SWITCHBOARD_TOKEN="not-the-team-token-at-all")

    assert connected.returncode == 0, connected.stderr
    assert status_line(connected.stdout) == f"switchboard: {team_server} (HTTP) - ✔ Connected"
    assert "Connected" not in without.stdout and "Missing environment variables: SWITCHBOARD_TOKEN" in (
        without.stdout + without.stderr
    )
    assert status_line(wrong.stdout) == f"switchboard: {team_server} (HTTP) - ✘ Failed to connect"
    for path in (sandbox.home / ".claude.json", sandbox.project / ".mcp.json"):
        assert not path.exists() or TEAM_TOKEN not in path.read_text()

    proc = sandbox.run(SWITCHBOARD, "uninstall", "claude-code", f"--{scope}", "--project-dir", sandbox.project)
    assert proc.returncode == 0, proc.stderr
    assert "switchboard" not in sandbox.run(claude, "mcp", "list", SWITCHBOARD_TOKEN=TEAM_TOKEN).stdout
