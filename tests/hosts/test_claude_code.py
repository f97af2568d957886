"""Claude Code (`claude`, from npm) sees the installed server and health-checks it: `claude mcp list`."""

from __future__ import annotations

import json
import re

import pytest

from tests.hosts.hostkit import SWITCHBOARD, host_executable

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
