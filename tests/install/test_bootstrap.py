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


def run(checkout: Path, script: str, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", os.path.relpath(checkout / "scripts" / script, cwd), *args],
        cwd=cwd,
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


def test_a_venv_python_could_not_finish_is_not_left_behind(checkout):
    """Debian's python3 without python3-venv makes .venv/bin/python, then stops for want of ensurepip. The
    folder stayed, so every later run skipped making it and failed for want of pip, even once python3-venv was
    installed."""
    proc = run(checkout, "bootstrap.sh", FAKE_ENSUREPIP="missing")
    assert proc.returncode != 0
    assert "python3-venv" in proc.stderr
    assert not (checkout / ".venv").exists()

    proc = run(checkout, "bootstrap.sh")  # python3-venv installed since
    assert proc.returncode == 0, proc.stderr
    assert (checkout / ".venv" / "bin" / "switchboard").is_file()


def test_a_venv_without_pip_left_by_an_earlier_run_is_named_with_what_to_do(checkout):
    subprocess.run([str(FAKE_PYTHON), "-m", "venv", str(checkout / ".venv")], env={"FAKE_ENSUREPIP": "missing"},
                   capture_output=True)
    proc = run(checkout, "bootstrap.sh")
    assert proc.returncode != 0
    assert "no pip" in proc.stderr and "rm -rf .venv" in proc.stderr


@pytest.mark.parametrize("env", [{}, {"FAKE_ENSUREPIP": "missing"}], ids=["installs", "venv-fails"])
def test_serve_sh_writes_nothing_but_the_servers_output_to_stdout(checkout, env):
    """stdout is the MCP stream the assistant reads: what set-up prints goes to stderr. Debian's venv prints
    its ensurepip notice on stdout, which the assistant took for a malformed protocol message."""
    proc = run(checkout, "serve.sh", "--http", **env)
    assert proc.stdout == ("" if env else "switchboard serve --http\n")


def test_serve_sh_run_by_a_relative_path_with_cdpath_set_writes_only_the_servers_output(checkout):
    """With CDPATH exported (".:~/src" in a dotfile), `cd scripts/..` printed the folder on stdout."""
    proc = run(checkout, "serve.sh", cwd=checkout, CDPATH=".")
    assert proc.stdout == "switchboard serve\n"


def test_a_venv_of_an_older_python_is_named_with_what_to_do(checkout):
    """A .venv made by an editor with the default python3 (3.10 on Ubuntu 22.04) was used as it was: pip
    refused to install, and bootstrap blamed the network."""
    subprocess.run([str(FAKE_PYTHON), "-m", "venv", str(checkout / ".venv")], capture_output=True)
    (checkout / ".venv" / "old-python").touch()
    proc = run(checkout, "bootstrap.sh")
    assert proc.returncode != 0
    assert "Python 3.10.12" in proc.stderr and "rm -rf .venv" in proc.stderr
    assert "PIP_INDEX_URL" not in proc.stderr
