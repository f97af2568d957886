"""Commands a test starts run this checkout's code.

The `switchboard` console script (and ``python -c`` run from another directory) imports the code the
virtualenv's editable install points at: /work/main's, not a worktree's. A test of a worktree that spawned it
tested main's code and passed whatever the worktree's code did.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with this checkout first on PYTHONPATH (before the editable install's finder)."""
    return {**environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), environ.get("PYTHONPATH"))))}
