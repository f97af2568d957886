"""Codex (`codex`, from npm) reads the installed entry: `codex mcp list --json` and config.toml.

`codex mcp list` does not start servers (it is config-only), so the entry and `required = true`
(which makes Codex wait for the server before the first turn) are checked as Codex reports them.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.hosts.hostkit import SWITCHBOARD, host_executable

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
