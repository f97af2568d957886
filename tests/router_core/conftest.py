"""Fixtures for the state tests: a fresh SQLite database and a fresh audit log per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.audit import JsonlAuditLog
from router_core.clock import FakeClock
from router_core.settings import AuditSettings
from router_core.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "state.db")
    yield database
    database.close()


@pytest.fixture
def log(tmp_path: Path, clock: FakeClock) -> JsonlAuditLog:
    audit = JsonlAuditLog(tmp_path / "audit", AuditSettings(), clock)
    yield audit
    audit.close()
