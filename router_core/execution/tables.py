"""The execution layer's own tables in the shared state database, created on first use.

    execution_circuits  one row per provider: consecutive failures and, while open, the outage
                        (opened_at, next_probe_at); shared so every process routes around an outage.
    execution_holds     a provider that told us to stop until a time: a 429's (or a 503's) retry-after,
                        or an exhausted quota until its reset. Pacing waits them out; routing shows them as blocks.
    execution_headroom  what the latest rate-limit headers said: the provider's real limits and what it
                        reported spent (``reported_*``, ours and other tools') at ``observed_at``, each
                        dimension refilling until ``valid_until`` (requests) / ``tokens_valid_until``
                        (refill.py); ``counted_event``: the usage event of the request they came with
                        (ours up to it are in them: ids follow admission). ``external_*``, the part
                        beyond our own count, whole until those times, is for processes from before refills
                        (their rows have no ``observed_at``).
    execution_token_ratios  per provider, how its real token counts compare with our estimates
                        (token_ratio.py): pacing scales its estimates by it.
    execution_ramp      per provider, after its latest hold ended (``hold_until``): the next free send slot
                        (ramp.py), so the requests that waited for the hold go one after another.

They live outside the store's migrations (CREATE TABLE IF NOT EXISTS), so the execution layer can
evolve without a schema version; every statement here is idempotent.
"""

from __future__ import annotations

import re
import weakref
from sqlite3 import Connection

from router_core.store.db import Database

_DDL = (
    """CREATE TABLE IF NOT EXISTS execution_circuits (
        provider TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        is_open INTEGER NOT NULL DEFAULT 0,
        opened_at REAL,
        next_probe_at REAL,
        last_error TEXT NOT NULL DEFAULT '',
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS execution_holds (
        provider TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        until REAL NOT NULL,
        reason TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS execution_headroom (
        provider TEXT PRIMARY KEY,
        requests_limit INTEGER,
        tokens_limit INTEGER,
        external_requests INTEGER NOT NULL,
        external_tokens INTEGER NOT NULL,
        valid_until REAL NOT NULL,
        tokens_valid_until REAL
    )""",
    """CREATE TABLE IF NOT EXISTS execution_token_ratios (
        provider TEXT PRIMARY KEY,
        ratio REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS execution_ramp (
        provider TEXT PRIMARY KEY,
        hold_until REAL NOT NULL,
        next_slot REAL NOT NULL
    )""",
)
# Columns added after the table first shipped: (table, column, type); added once, inside the write lock.
_ADDED_COLUMNS = (
    ("execution_headroom", "tokens_valid_until", "REAL"),
    ("execution_headroom", "reported_requests", "INTEGER"),
    ("execution_headroom", "reported_tokens", "INTEGER"),
    ("execution_headroom", "observed_at", "REAL"),
    ("execution_headroom", "counted_event", "INTEGER"),
)

_TABLES = tuple(re.search(r"EXISTS (\w+)", statement)[1] for statement in _DDL)

_ready: weakref.WeakSet[Database] = weakref.WeakSet()


def ensure_tables(db: Database) -> None:
    """Create the execution tables in ``db`` if missing (once per Database object)."""
    if db in _ready:
        return
    with db.read() as conn:  # made by an earlier process (the usual case): no write lock to wait for
        made = _all_made(conn)
    if made:
        _ready.add(db)
        return
    with db.transaction() as conn:
        for statement in _DDL:
            conn.execute(statement)
        for table, column, kind in _ADDED_COLUMNS:
            if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    _ready.add(db)


def _all_made(conn: Connection) -> bool:
    """Whether every table and added column exists already."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables.issuperset(_TABLES):
        return False
    return all(column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
               for table, column, _ in _ADDED_COLUMNS)
