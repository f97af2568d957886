from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.install import InstallContext, ServerCommand

EXE = "/opt/sb/.venv/bin/switchboard"


class Ticker:
    """A clock that moves one second per call, so successive backups get distinct names."""

    def __init__(self) -> None:
        self.t = datetime(2025, 1, 11, 10, 30, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        now = self.t
        self.t += timedelta(seconds=1)
        return now


@pytest.fixture
def ctx(tmp_path: Path) -> InstallContext:
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir()
    project.mkdir()
    return InstallContext(home=home, project_dir=project, server=ServerCommand(EXE), environ={}, now=Ticker())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def snapshot():
    """Every file under a directory with its bytes, for before/after comparisons."""
    return _snapshot
