"""The budget settings every process on one state dir must share, recorded in its database.

Budget days are the ledger's keys: two processes on one state dir counting days in different time zones each
spent a whole budget (one under 2026-11-29 in UTC, the other under 2026-11-30 in Pacific/Kiritimati, with $0
spent). A process with a shorter ``reservation_ttl_seconds`` expired the live reservations of the others (they
heartbeat at their own TTL / 3), and the money they held could be reserved again. config/validate.py keeps a
project file from setting these, but two user configurations (``SWITCHBOARD_CONFIG``, another HOME or
XDG_CONFIG_HOME) could still disagree on one ``SWITCHBOARD_HOME``: every Claude Code session starts its own
server, with its own config discovery.

So the first process to use a state dir records its values in the ``kv`` table; a process whose configuration
says otherwise refuses to start, with both values, where each came from and what to do. A running process whose
configuration is edited away from them, or which finds them changed by ``switchboard budget adopt`` (the way to
change them on purpose), refuses every decision until they agree again (looked at every few seconds).

The daily total and the allocations are not shared: each process applies its own limits to the spend all of
them count, so the lowest binds and none can spend past its own (a project file may lower them, not raise them).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

from router_core.errors import StateUnusable
from router_core.settings import BudgetSettings, Settings
from router_core.store.db import Database

log = logging.getLogger(__name__)

SHARED_KEYS = {
    "timezone": "every process on one state dir must count the same budget day, or each spends a whole budget",
    "reservation_ttl_seconds": "every process on one state dir must expire reservations alike, or a shorter TTL "
                               "expires the others' live reservations and their money is reserved twice",
}
_KV = "budget.shared."  # kv key prefix: budget.shared.timezone, budget.shared.reservation_ttl_seconds
ADOPT = "switchboard budget adopt"
CHECK_EVERY = 5.0  # seconds between two looks at the recorded values by a running process


class SharedBudgetMismatch(StateUnusable):
    """This process's budget.timezone or reservation_ttl_seconds is not the one its state dir records."""


def shared_values(budget: BudgetSettings) -> dict[str, object]:
    return {key: getattr(budget, key) for key in SHARED_KEYS}


def recorded(db: Database) -> dict[str, dict]:
    """The recorded values by key: {"value": ..., "source": the file of the process that recorded it}."""
    marks = ", ".join("?" * len(SHARED_KEYS))
    rows = db.query(f"SELECT key, value FROM kv WHERE key IN ({marks})", [_KV + key for key in SHARED_KEYS])
    found = {}
    for row in rows:
        try:
            value = json.loads(row["value"])
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict) and "value" in value:  # else written by hand, say: recorded again (check_shared)
            found[row["key"][len(_KV):]] = value
    return found


def check_shared(db: Database, settings: Settings) -> None:
    """Record this process's values where none is recorded yet, then raise SharedBudgetMismatch unless the
    recorded ones are its own. The write lock is taken only to record (once per state dir)."""
    found = recorded(db)
    if any(key not in found for key in SHARED_KEYS):
        with db.transaction() as conn:  # read again under the write lock: a process recording at once keeps its values
            found = recorded(db)
            conn.executemany("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
                             [row for row in _rows(settings, time.time()) if row[0][len(_KV):] not in found])
        found = recorded(db)
    problem = mismatch(settings, found, db.path)
    if problem is not None:
        raise SharedBudgetMismatch(problem)


def adopt(db: Database, settings: Settings) -> list[tuple[str, object, object]]:
    """Record this configuration's values as the state dir's (a deliberate change): (key, old, new) changed."""
    with db.transaction() as conn:
        before = recorded(db)
        conn.executemany("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
                         _rows(settings, time.time()))
    return [(key, before.get(key, {}).get("value"), value) for key, value in shared_values(settings.budget).items()
            if before.get(key, {}).get("value") != value]


def _rows(settings: Settings, now: float) -> list[tuple[str, str, float]]:
    return [(_KV + key, json.dumps({"value": value, "source": value_source(settings.sources, key)}), now)
            for key, value in shared_values(settings.budget).items()]


def mismatch(settings: Settings, found: dict[str, dict], db_path: Path) -> str | None:
    """What to tell a process whose values are not the recorded ones, else None."""
    for key, why in SHARED_KEYS.items():
        mine, theirs = getattr(settings.budget, key), found.get(key, {}).get("value")
        if theirs is None or theirs == mine:
            continue
        source = value_source(settings.sources, key)
        return (
            f"budget.{key} is {_show(mine)} in this process's configuration ({source}), but the state dir "
            f"{db_path.parent} records {_show(theirs)} (recorded by a process that took it from "
            f"{found[key].get('source') or 'a file not known'}): {why}. Make them agree: set budget.{key} = "
            f"{_show(theirs)} in {_where(source)}; or give this configuration a state dir of its own "
            f"(SWITCHBOARD_HOME or state_dir); or, to change it on purpose, set {_show(mine)} in every "
            f"configuration that uses this state dir and run `{ADOPT}` with one of them"
        )
    return None


def _show(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)


def _where(source: str) -> str:
    """Where to set a value this process took from the shipped defaults: the user file (config/loader.py's)."""
    if not source.startswith("the shipped"):
        return source
    base = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return f"your configuration ({base}/switchboard/config.toml)"


def value_source(sources: Sequence[str], key: str) -> str:
    """The file that set budget.``key`` for this process (the last that names it), or the shipped default."""
    for source in reversed(sources):
        if source.startswith("<"):  # the shipped defaults
            continue
        try:
            table = tomllib.loads(Path(source).read_text(encoding="utf-8-sig")).get("budget")
        except (OSError, ValueError):  # changed since it was read: name it all the same
            return os.path.abspath(source)
        if isinstance(table, dict) and key in table:
            return os.path.abspath(source)  # SWITCHBOARD_CONFIG may be relative to where that process started
    return "the shipped default"


class SharedBudgetGuard:
    """Wraps a core's ``settings_updates`` (config/watch.py): while this process's shared values (as edited) are
    not those its state dir records, every call raises SharedBudgetMismatch, so no decision counts another day;
    an edit met meanwhile is held and handed on once they agree. Looks at the record every ``every`` seconds,
    and at once after an edit of them."""

    def __init__(self, db: Database, settings: Settings, updates: Callable[[], Settings | None] | None, *,
                 every: float = CHECK_EVERY, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db, self._updates, self._every, self._monotonic = db, updates, every, monotonic
        self._settings = settings
        self._pending: Settings | None = None
        self._problem: str | None = None
        self._due = monotonic() + every
        self._lock = threading.Lock()

    def __call__(self) -> Settings | None:
        with self._lock:
            new = self._updates() if self._updates is not None else None
            if new is not None:
                if shared_values(new.budget) != shared_values(self._settings.budget):
                    self._due = 0.0  # look now
                self._settings, self._pending = new, new
            now = self._monotonic()
            if now >= self._due:
                self._due = now + self._every
                was, self._problem = self._problem, mismatch(self._settings, recorded(self._db), self._db.path)
                if self._problem is None and was is not None:
                    log.warning("the budget settings shared by the state dir agree again; serving")
                elif self._problem is not None and was is None:
                    log.error("refusing every decision: %s", self._problem)
            if self._problem is not None:
                raise SharedBudgetMismatch(self._problem)
            pending, self._pending = self._pending, None
            return pending

    def pending(self) -> dict[str, object] | None:
        """What the wrapped watch says the files hold that does not run (config/watch.py), if it says."""
        said = getattr(self._updates, "pending", None)
        return said() if said is not None else None


def guarded(db: Database, settings: Settings,
            updates: Callable[[], Settings | None] | None) -> Callable[[], Settings | None]:
    """``updates`` behind a SharedBudgetGuard, once ``check_shared`` passed (else SharedBudgetMismatch: the
    core's build closes the database): how a core starts on a state dir."""
    check_shared(db, settings)
    return SharedBudgetGuard(db, settings, updates)
