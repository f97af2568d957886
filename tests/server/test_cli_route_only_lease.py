"""The lease `switchboard run --route-only` hands the host outlives the command (router_core/leases.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from config.loader import load_settings
from router_core.core import RouterCore


def test_a_route_only_lease_is_held_after_the_command_exits(cli_env, env):
    # The lease was gone as soon as the CLI process exited: the next process to read the leases dropped it as a
    # dead process's, though the host was to run the agent for 15 minutes (leases.UNATTENDED_SECONDS).
    done = subprocess.run([sys.executable, "-m", "server", "run", "Fix the bug in data loader", "--route-only"],
                          capture_output=True, text=True, cwd=cli_env, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    core = RouterCore.build(load_settings(environ=env, cwd=cli_env))  # another process's view of the state dir
    try:
        assert sum(core.leases.in_use().values()) == 1
    finally:
        core.db.close()
