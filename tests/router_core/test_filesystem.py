"""A state dir on a network file system is named, so the server can warn before SQLite's WAL breaks."""

from __future__ import annotations

import logging

from router_core.store.db import Database
from router_core.store.filesystem import network_filesystem

MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
40 27 0:50 / {home} rw,relatime shared:7 - nfs4 server:/export/home rw,vers=4.2
41 40 0:51 / {home}/local\\040disk rw,relatime - ext4 /dev/sdb1 rw
"""


def mountinfo(tmp_path, home):
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTS.format(home=home))
    return path


def test_the_deepest_mount_holding_the_path_decides(tmp_path):
    info = mountinfo(tmp_path, "/home/me")
    assert network_filesystem(tmp_path / "no" / "such", info) is None  # under /: ext4
    home = tmp_path / "h"
    (home / "local disk" / "state").mkdir(parents=True)
    info = mountinfo(tmp_path, str(home))
    assert network_filesystem(home / ".switchboard" / "state.db", info) == "nfs4"  # not made yet: its parent
    assert network_filesystem(home / "local disk" / "state", info) is None  # an escaped space, a local disk
    assert network_filesystem(home, tmp_path / "missing") is None  # no /proc: nothing to tell by


def test_a_database_on_a_network_file_system_warns_once(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("router_core.store.db.network_filesystem", lambda path: "nfs4")
    with caplog.at_level(logging.WARNING, logger="router_core.store.db"):
        Database(tmp_path / "state.db").close()
        Database(tmp_path / "state.db").close()
    warnings = [r for r in caplog.records if "network file system (nfs4)" in r.getMessage()]
    assert len(warnings) == 1 and "one per machine" in warnings[0].getMessage()
