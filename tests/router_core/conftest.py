"""Fixtures for the state tests: a fresh SQLite database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.store.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "state.db")
    yield database
    database.close()
