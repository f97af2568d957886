"""The state database's part of one dispatch: every SQL statement it runs, and the pages each commit writes.

    .venv/bin/python bench/dispatch_sql.py [--warmup 20] [--commits 4]

A companion to bench/dispatch_cpu.py for the client CPU a dispatch spends in SQLite. Each statement is a call
into it (SQLite's trace reports a trigger it fires, and each statement in that trigger, as the statement
again: shown indented under it, one line each), and every page a transaction changes is written whole to the WAL at its commit, as one
frame (two pwrite calls, the frame's header and the page). After ``--warmup`` dispatches to the fake codex
provider, one more is traced; then the frames of the last ``--commits`` commits are read from the -wal file,
each page named by the table or index it belongs to (SQLite's dbstat table, where SQLite has it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from router_core.core import RouterCore  # noqa: E402
from router_core.execution.adapters import build_adapters, http_client  # noqa: E402
from router_core.execution.dispatch import dispatch  # noqa: E402
from router_core.execution.executor import Executor  # noqa: E402
from tests.execution.fake_process import spawn  # noqa: E402

TASKS = ["Implement a JWT login endpoint in Flask", "Fix the off-by-one bug in the pagination helper"]
_FRAME_HEADER = 24
_WAL_HEADER = 32


async def traced_dispatch(core: RouterCore, base_urls: dict, warmup: int) -> list[str]:
    """The statements of the dispatch after ``warmup`` others, as SQLite's trace callback reports them."""
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": base_urls["codex"]}
    statements: list[str] = []
    async with http_client(core.settings) as client:
        executor = Executor(core, build_adapters(core.settings, client=client, clock=core.clock, environ=env,
                                                 which=lambda _: None))
        for i in range(warmup):
            await dispatch(core, executor, TASKS[i % len(TASKS)], provider="codex")
        conn = core.db.connection()  # the event loop's thread: the one every statement of a dispatch runs on
        conn.set_trace_callback(statements.append)
        try:
            result = await dispatch(core, executor, TASKS[0], provider="codex")
        finally:
            conn.set_trace_callback(None)
        assert result.outcome.status == "success", result.outcome.error
    return statements


def wal_commits(wal: bytes) -> list[list[int]]:
    """The page numbers each commit in the WAL wrote, oldest commit first (frames of an earlier generation of
    the file, left beyond its current end by a checkpoint, carry other salts and end the walk)."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    commits, pending, offset = [], [], _WAL_HEADER
    while offset + _FRAME_HEADER + page_size <= len(wal) and wal[offset + 8:offset + 16] == salts:
        page, size_after_commit = struct.unpack(">II", wal[offset:offset + 8])
        pending.append(page)
        if size_after_commit:  # the commit's last frame
            commits.append(pending)
            pending = []
        offset += _FRAME_HEADER + page_size
    return commits


def page_owners(db_path: Path) -> dict[int, str]:
    """Page number -> the table or index it belongs to, read from a copy (with its WAL) of the database."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch, "copy.db")
        shutil.copy(db_path, copy)
        shutil.copy(f"{db_path}-wal", f"{copy}-wal")
        conn = sqlite3.connect(copy)
        try:
            return dict(conn.execute("SELECT pageno, name FROM dbstat"))
        except sqlite3.OperationalError:  # a SQLite built without the dbstat table: page numbers only
            return {}
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=20, help="dispatches before the traced one (default 20)")
    parser.add_argument("--commits", type=int, default=4, help="last commits whose pages are shown (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, spawn() as fake:
        settings = load_settings(environ={"HOME": home, "SWITCHBOARD_HOME": os.path.join(home, "state")}, cwd=Path(home))
        core = RouterCore.build(settings)
        statements = anyio.run(traced_dispatch, core, fake["base_urls"], args.warmup)
        db_path = core.db.path
        commits = wal_commits(Path(f"{db_path}-wal").read_bytes())
        owners = page_owners(db_path)
        core.db.close()
    previous, runs = None, 0
    for statement in statements:
        line = " ".join(statement.split())
        runs = runs + 1 if line == previous else 0
        print(f"    (trigger) {line[:60]}" if runs else line[:160])
        previous = line
    print(f"\n{len(statements)} lines: statements, their triggers and the statements in those")
    for pages in commits[-args.commits:]:
        print(f"commit of {len(pages)} frames: " + ", ".join(owners.get(page, str(page)) for page in pages))
    if commits:
        frames = sum(map(len, commits))
        print(f"{frames / len(commits):.1f} frames per commit over the {len(commits)} commits in the WAL")


if __name__ == "__main__":
    main()
