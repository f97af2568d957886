"""The `switchboard` commands that only read and print (budget, usage, audit, classify, recommend, --help) run
without loading the MCP SDK: its types took ~1.8 s of CPU of every command's ~2.5 s (the tools and resources
packages imported it in their __init__, which tools.schemas and resources.views pulled in)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.checkout import checkout_env

CHECK = """
import contextlib, io, json, sys
from server.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
print(json.dumps({"status": status, "printed": bool(out.getvalue()),
                  "sdk": sorted(m for m in sys.modules if m == "mcp" or m.startswith(("mcp.", "mcp_types")))[:3]}))
"""


@pytest.mark.parametrize("argv", [["budget"], ["usage"], ["audit"], ["classify", "Fix the login bug"],
                                  ["recommend", "Fix the login bug"], ["--help"], ["run", "--help"]])
def test_a_command_that_only_reads_does_not_load_the_mcp_sdk(tmp_path, argv):
    env = checkout_env({**os.environ, "HOME": str(tmp_path), "SWITCHBOARD_HOME": str(tmp_path / "state")})
    env.pop("SWITCHBOARD_CONFIG", None)
    out = subprocess.run([sys.executable, "-c", CHECK, *argv], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    assert (seen["status"], seen["printed"]) == (0, True), seen
    assert seen["sdk"] == [], f"`switchboard {' '.join(argv)}` loaded {seen['sdk']}"
