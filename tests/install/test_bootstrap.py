"""scripts/bootstrap.sh and scripts/serve.sh on a fresh machine, run with a fake Python (tests/install/fake_python)
whose venv and pip are fakes: nothing is fetched from PyPI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FAKE_PYTHON = Path(__file__).with_name("fake_python")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The scripts in a fresh clone: no .venv yet, and a `server` package in the folder, as in the real one."""
    root = tmp_path / "switchboard"
    (root / "scripts").mkdir(parents=True)
    for name in ("bootstrap.sh", "serve.sh"):
        shutil.copy2(REPO / "scripts" / name, root / "scripts" / name)
    (root / "server").mkdir()
    (root / "server" / "__init__.py").touch()
    (root / "server" / "cli.py").touch()
    return root


def run(checkout: Path, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(checkout / "scripts" / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHON": str(FAKE_PYTHON), "FAKE_PY_REAL": sys.executable, **env},
    )


def test_a_fresh_install_creates_the_venv_and_the_switchboard_command(checkout):
    proc = run(checkout, "bootstrap.sh")
    assert proc.returncode == 0, proc.stderr
    assert (checkout / ".venv" / "bin" / "switchboard").is_file()


def test_without_network_on_a_fresh_machine_it_fails_and_says_why(checkout):
    """pip's failure was ignored, and the check that followed imported server.cli from the clone itself (a
    `python -c` looks in the current folder): bootstrap said nothing, serve.sh then failed with
    `.venv/bin/switchboard: No such file or directory`, test.sh with `No module named pytest`."""
    proc = run(checkout, "bootstrap.sh", FAKE_PIP="offline")
    assert proc.returncode != 0
    assert "Could not find a version" in proc.stderr  # pip's own reason stays visible
    assert "PIP_INDEX_URL" in proc.stderr  # and what to do about it
    assert not (checkout / ".venv" / "bin" / "switchboard").exists()


def test_without_network_an_existing_install_is_used_with_a_warning(checkout):
    assert run(checkout, "bootstrap.sh").returncode == 0
    proc = run(checkout, "bootstrap.sh", FAKE_PIP="offline")
    assert proc.returncode == 0, proc.stderr
    assert "warning" in proc.stderr


def test_the_test_dependencies_missing_offline_is_an_error(checkout):
    assert run(checkout, "bootstrap.sh").returncode == 0  # serve.sh ran first: no pytest
    proc = run(checkout, "bootstrap.sh", "--test", FAKE_PIP="offline")
    assert proc.returncode != 0
    assert "PIP_INDEX_URL" in proc.stderr
