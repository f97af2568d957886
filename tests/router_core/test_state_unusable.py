"""A damaged state dir is a StateUnusable naming the path and the fix, not a sqlite3 or OS error."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.audit import JsonlAuditLog
from router_core.clock import FakeClock
from router_core.errors import RouterError, StateUnusable
from router_core.settings import AuditSettings
from router_core.store.db import Database


def test_a_file_that_is_not_sqlite_is_state_unusable(tmp_path: Path):
    db = tmp_path / "switchboard.db"
    db.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(StateUnusable) as err:
        Database(db)
    assert isinstance(err.value, RouterError)
    assert str(db) in str(err.value) and "move it aside" in str(err.value)
    assert db.read_bytes() == b"\x00garbage" * 512  # never overwritten


def test_a_state_dir_blocked_by_a_file_is_state_unusable(tmp_path: Path):
    (tmp_path / "state").write_text("")
    with pytest.raises(StateUnusable, match="cannot create the state directory .* is not a directory"):
        Database(tmp_path / "state" / "switchboard.db")


def test_a_file_where_the_audit_dir_goes_is_state_unusable(tmp_path: Path):
    (tmp_path / "audit").write_text("")
    with pytest.raises(StateUnusable) as err:
        JsonlAuditLog(tmp_path / "audit", AuditSettings(), FakeClock(0.0))
    assert str(tmp_path / "audit") in str(err.value) and "move it aside" in str(err.value)


def test_a_healthy_state_dir_still_opens(tmp_path: Path):
    db = Database(tmp_path / "state" / "switchboard.db")
    assert db.schema_version > 0
    db.close()
    JsonlAuditLog(tmp_path / "state" / "audit", AuditSettings(), FakeClock(0.0)).close()
