"""Agent concurrency leases (design 5.2): at most ``limit`` running tasks per agent, across processes.

A lease is a row naming its holder process and an expiry time. Leases of dead processes and expired
ones no longer count and are deleted lazily by acquire() and in_use(). Long tasks call heartbeat()
to push their leases' expiry forward. A lease handed to the host (hand_over) has no holder process: its
holder is ``HANDED_OVER`` and it lives until its expiry, whether or not the process that routed it runs.

An ``AgentLease`` is a task's claim on its agent. Dispatch routes without leasing and lets execution
take the lease inside the transaction of the task's first budget reservation (one commit fewer per
task; the limit is still checked under the write lock). If another process took the agent's last slot
between routing and that transaction, ``take`` raises ``AgentTaken`` and nothing was written.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from sqlite3 import Connection, Row

from router_core.clock import Clock
from router_core.store.db import Database
from router_core.store.holders import holder_alive
from router_core.store.snapshot_cache import Validity

logger = logging.getLogger(__name__)


# A lease handed to the host (dispatch without execution, or with no backend: the host runs the agent
# itself) has no end that Switchboard sees; it lapses this long after the hand-over, and heartbeats
# leave it alone, so a session that routes many tasks never fills the pool for good.
UNATTENDED_SECONDS = 900.0
# The holder of a handed-over lease: no process (a holder name has colons, store/holders.py), so neither a
# heartbeat extends it nor the end of the process that routed it (a `switchboard run --route-only` exits at
# once) lets another process reclaim it before its expiry.
HANDED_OVER = "host"


class AgentTaken(Exception):
    """The agent's last free slot went to another task between routing and taking the lease."""


@dataclass(slots=True)
class AgentLease:
    """A task's lease on an agent: ``id`` is None until taken (see :meth:`AgentLeases.take`)."""

    agent_id: str
    limit: int
    task_id: str | None = None
    id: str | None = None


class AgentLeases:
    def __init__(self, db: Database, clock: Clock, holder: str, ttl_seconds: float = 3600) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._db = db
        self._clock = clock
        self._holder = holder
        self.ttl_seconds = float(ttl_seconds)
        self._delete_later: set[str] = set()
        # Released, but the delete failed (the database locked past its timeout, a full disk): the next heartbeat
        # deletes them rather than extending them, which held the agent's slot for as long as the process ran.
        self._released: set[str] = set()

    def acquire(self, agent_id: str, limit: int, *, task_id: str | None = None) -> str | None:
        """A lease id if fewer than ``limit`` live leases of ``agent_id`` exist, else None."""
        now = self._clock.now()
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT id, holder, expires_at FROM agent_leases WHERE agent_id = ?", (agent_id,)
            ).fetchall()
            dead = self._dead(rows, now)
            self._delete(conn, dead)
            if len(rows) - len(dead) >= limit:
                return None
            lease_id = secrets.token_hex(16)
            conn.execute(
                "INSERT INTO agent_leases (id, agent_id, task_id, holder, acquired_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (lease_id, agent_id, task_id, self._holder, now, now + self.ttl_seconds),
            )
        return lease_id

    def take(self, lease: AgentLease) -> str | None:
        """Acquire ``lease`` if not yet held (joining the caller's transaction); the new id, else None.

        The caller sets ``lease.id`` once its transaction commits. Raises AgentTaken if the agent is full.
        """
        if lease.id is not None:
            return None
        lease_id = self.acquire(lease.agent_id, lease.limit, task_id=lease.task_id)
        if lease_id is None:
            raise AgentTaken(f"agent {lease.agent_id} has no free slot: tasks running now hold all {lease.limit} of its "
                             "leases (agents://pool shows them); try again when one of them ends")
        return lease_id

    def release_later(self, lease_id: str) -> None:
        """Delete ``lease_id`` at the next heartbeat, unless a :meth:`release` does first (one that may fail)."""
        self._released.add(lease_id)

    def release(self, lease_id: str) -> None:
        """Give the lease back; releasing an unknown or already released lease does nothing. If the delete
        fails, the error propagates and the next heartbeat deletes the lease; so does it if the caller's transaction
        this one joined (a settlement's) rolls back or fails to commit."""
        self._released.add(lease_id)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM agent_leases WHERE id = ?", (lease_id,))
        self._db.after_commit(functools.partial(self._released.discard, lease_id))

    def hand_over(self, lease_id: str) -> None:
        """The host runs this lease's task: it lapses ``UNATTENDED_SECONDS`` from now, held by ``HANDED_OVER``
        (no process: heartbeats leave it alone, and it outlives this process; before, another process dropped it
        as a dead process's as soon as this one exited)."""
        until = self._clock.now() + UNATTENDED_SECONDS
        with self._db.transaction() as conn:
            conn.execute("UPDATE agent_leases SET expires_at = ?, holder = ? WHERE id = ?",
                         (until, HANDED_OVER, lease_id))

    def heartbeat(self) -> None:
        """Extend every live lease this holder owns by ``ttl_seconds`` from now (a handed-over one is no longer
        its own).

        A lease already past its expiry is dead (it stopped counting, and its slot may have been used): it is
        not brought back."""
        now = self._clock.now()
        released = list(self._released)
        with self._db.transaction() as conn:
            conn.executemany("DELETE FROM agent_leases WHERE id = ?", [(i,) for i in released])
            conn.execute("UPDATE agent_leases SET expires_at = ? WHERE holder = ? AND expires_at > ?",
                         (now + self.ttl_seconds, self._holder, now))
        self._db.after_commit(functools.partial(self._released.difference_update, released))

    def in_use(self, validity: Validity | None = None) -> dict[str, int]:
        """Live leases per agent (agents with none are absent).

        Leases found dead stop counting at once; they are deleted after the read (by :meth:`maintain`
        when called inside a caller's read transaction). ``validity`` learns when a live one expires
        and which other processes hold them.
        """
        now = self._clock.now()
        rows = self._db.query("SELECT id, agent_id, holder, expires_at FROM agent_leases")
        dead = set(self._dead(rows, now))
        if dead:
            self._delete_later |= dead
            self.maintain()
        counts: dict[str, int] = {}
        for row in rows:
            if row["id"] not in dead:
                counts[row["agent_id"]] = counts.get(row["agent_id"], 0) + 1
                if validity is not None:
                    validity.changes_at(row["expires_at"])  # _dead: expires_at <= now
                    if row["holder"] not in (self._holder, HANDED_OVER):  # a handed-over one ends by time alone
                        validity.assumes_alive(row["holder"])
        return counts

    @property
    def maintenance_due(self) -> bool:  # whether maintain() would write
        return bool(self._delete_later)

    def maintain(self) -> None:
        """Delete the dead leases a read found (outside any transaction)."""
        if not self._delete_later or self._db.in_transaction:
            return
        dead, self._delete_later = list(self._delete_later), set()
        with self._db.transaction() as conn:
            self._delete(conn, dead)

    def _dead(self, rows: list[Row], now: float) -> list[str]:
        alive: dict[str, bool] = {self._holder: True, HANDED_OVER: True}  # (a handed-over one: till it expires)
        dead = []
        for row in rows:
            holder = row["holder"]
            if holder not in alive:
                alive[holder] = holder_alive(holder)
            if row["expires_at"] <= now or not alive[holder]:
                dead.append(row["id"])
        return dead

    def _delete(self, conn: Connection, ids: list[str]) -> None:
        if ids:
            conn.executemany("DELETE FROM agent_leases WHERE id = ?", [(i,) for i in ids])
            logger.info("dropped %d agent lease(s) of dead processes or past their TTL", len(ids))
