"""SQL for the budget ledger's tables; amounts are integer micro-dollars (see schema.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from sqlite3 import Connection, Row

MICRO = 1_000_000
MAX_MICRO = 2**63 - 1  # the largest SQLite INTEGER


def to_micro(usd: float) -> int:
    """``usd`` in integer micro-dollars, saturated to what SQLite can store.

    Defence in depth: callers bound amounts at the boundary, but a total already stored can have
    overflowed to a REAL (SQLite's integer arithmetic does that), and writing it back (an alert's
    spend) must not raise OverflowError on the routing path. A NaN still raises ValueError.
    """
    return round(min(max(usd * MICRO, -MAX_MICRO), MAX_MICRO))


def to_usd(micro: int) -> float:
    return micro / MICRO


@dataclass(slots=True)
class DayTotals:
    """Spend and live reservations of one budget day, per provider, in micro-dollars."""

    spent: dict[str, int]
    reserved: dict[str, int]

    @property
    def spent_total(self) -> int:
        return sum(self.spent.values())

    @property
    def reserved_total(self) -> int:
        return sum(self.reserved.values())

    def committed(self, provider: str) -> int:
        return self.spent.get(provider, 0) + self.reserved.get(provider, 0)


def day_totals(conn: Connection, day: str, *, exclude: list[Row] = ()) -> DayTotals:
    """Totals for ``day`` from the running totals (migration 2); ``exclude`` lists live reservations
    (rows of :func:`live_reservations`) found stale, which stop counting; one whose holder died in a call
    counts as that call's estimate, spent (:func:`charge_calling`)."""
    spent: dict[str, int] = {}
    reserved: dict[str, int] = {}
    for provider, spent_micro, reserved_micro in conn.execute(
        "SELECT provider, spent, reserved FROM budget_day_totals WHERE day = ?", (day,)
    ):
        if spent_micro:
            spent[provider] = spent_micro
        if reserved_micro:
            reserved[provider] = reserved_micro
    for row in exclude:
        if row["day"] == day and row["provider"] in reserved:
            reserved[row["provider"]] -= row["micro_usd"]
            if row["calling_micro"]:  # its holder died in a call: it becomes spend (charge_calling)
                spent[row["provider"]] = spent.get(row["provider"], 0) + row["calling_micro"]
    return DayTotals(spent=spent, reserved={p: micro for p, micro in reserved.items() if micro})


def live_reservations(conn: Connection) -> list[Row]:
    return conn.execute(
        "SELECT id, holder, heartbeat_at, day, provider, micro_usd, calling_micro FROM budget_reservations"
        " WHERE status = 'live'"
    ).fetchall()


def set_calling(conn: Connection, rid: str, micro: int, now: float) -> bool:
    """A call of ``micro`` on the wire (0: none); one going out refreshes the heartbeat, as the call is not.
    Whether the reservation is live (not released or charged by another process meanwhile)."""
    if micro:
        return conn.execute("UPDATE budget_reservations SET calling_micro = ?, heartbeat_at = ?"
                            " WHERE id = ? AND status = 'live'", (micro, now, rid)).rowcount > 0
    return conn.execute("UPDATE budget_reservations SET calling_micro = 0 WHERE id = ? AND status = 'live'",
                        (rid,)).rowcount > 0


@dataclass(frozen=True, slots=True)
class DeadCallCharge:
    """A call charged at its estimate because its process died (or fell silent) while the provider answered."""

    reservation_id: str
    day: str
    provider: str
    micro_usd: int
    task_id: str | None
    holder: str


def charge_calling(conn: Connection, ids: list[str], now: float, note: str) -> list[DeadCallCharge]:
    """Settle those of ``ids`` that are live with a call on the wire at that call's estimate; what was charged."""
    charged = []
    for rid in ids:
        rows = conn.execute(
            "UPDATE budget_reservations SET status = 'settled' WHERE id = ? AND status = 'live' AND calling_micro > 0"
            " RETURNING day, provider, calling_micro, task_id, holder", (rid,),
        ).fetchall()
        if rows:
            day, provider, micro, task_id, holder = rows[0]
            insert_spend(conn, day, provider, micro, now, reservation_id=rid, note=note)
            charged.append(DeadCallCharge(rid, day, provider, micro, task_id, holder))
    return charged


def holders_of(conn: Connection, ids: list[str]) -> set[str]:
    """The processes that made the reservations ``ids``."""
    return {row[0] for rid in ids for row in conn.execute("SELECT holder FROM budget_reservations WHERE id = ?", (rid,))}


def correct_charge(conn: Connection, rid: str, charged_note: str, micro: int, note: str) -> None:
    """Replace the spend :func:`charge_calling` recorded for ``rid`` (its note is ``charged_note``) by ``micro``,
    noted ``note``; a spend settled otherwise, or pruned, is left alone. The day's total follows (trigger)."""
    conn.execute(  # note <> 'settled': the partial index of charges (schema 14) finds it, not a scan
        "UPDATE budget_spend SET micro_usd = ?, note = ? WHERE reservation_id = ? AND note = ? AND note <> 'settled'",
        (micro, note, rid, charged_note),
    )


def new_reservation_id(now: float) -> str:
    """32 hex digits: the time (microseconds) then 72 random bits, so a new reservation's row goes at the end
    of the table's b-tree (schema 14), by the previous one, not on a page of its own at random."""
    return f"{_time_prefix(now)}{os.urandom(9).hex()}"  # secrets.token_hex(9), one call


def reservation_made_at(rid: str) -> float | None:
    """When the reservation ``rid`` was made (epoch seconds), read back from the time its id begins with
    (:func:`new_reservation_id`); None for an id of another shape."""
    try:
        return int(rid[:14], 16) / 1e6 if len(rid) == 32 else None
    except ValueError:
        return None


def _time_prefix(now: float) -> str:
    """The 14 hex digits a reservation id made at ``now`` begins with; ids made before it sort before it."""
    return f"{max(0, int(now * 1e6)) & (16**14 - 1):014x}"


def set_status(conn: Connection, ids: list[str], status: str) -> None:
    conn.executemany(
        "UPDATE budget_reservations SET status = ? WHERE id = ? AND status = 'live'",
        [(status, rid) for rid in ids],
    )


def insert_reservation(
    conn: Connection, rid: str, day: str, provider: str, micro: int, task_id: str | None, holder: str, now: float,
    calling_micro: int = 0,
) -> None:
    """A live reservation; ``calling_micro``: the estimate of a call going out under it at once (see set_calling).
    Without one, the statement names no calling_micro (the column's default), as before schema 7 had it."""
    if calling_micro:
        conn.execute(
            "INSERT INTO budget_reservations (id, day, provider, micro_usd, task_id, holder, status,"
            " created_at, heartbeat_at, calling_micro) VALUES (?, ?, ?, ?, ?, ?, 'live', ?, ?, ?)",
            (rid, day, provider, micro, task_id, holder, now, now, calling_micro),
        )
        return
    conn.execute(
        "INSERT INTO budget_reservations (id, day, provider, micro_usd, task_id, holder, status,"
        " created_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, 'live', ?, ?)",
        (rid, day, provider, micro, task_id, holder, now, now),
    )


def insert_spend(
    conn: Connection, day: str, provider: str, micro: int, now: float, *, reservation_id: str | None, note: str
) -> None:
    conn.execute(
        "INSERT INTO budget_spend (day, provider, micro_usd, at, reservation_id, note) VALUES (?, ?, ?, ?, ?, ?)",
        (day, provider, micro, now, reservation_id, note),
    )


def spend_since(conn: Connection, first_day: str) -> list[Row]:
    return conn.execute(
        "SELECT day, provider, spent AS micro FROM budget_day_totals WHERE day >= ? AND spent != 0"
        " ORDER BY day, provider",
        (first_day,),
    ).fetchall()


def settle_live(conn: Connection, rid: str) -> Row | None:
    """Settle a live reservation: its row goes (schema 16: its spend row, noted 'settled', says it was settled);
    its (day, provider), or None if it is not live."""
    rows = conn.execute(  # fetchall: the statement runs to completion before the transaction goes on
        "DELETE FROM budget_reservations WHERE id = ? AND status = 'live' RETURNING day, provider", (rid,),
    ).fetchall()
    return rows[0] if rows else None


def settle_if_live(conn: Connection, rid: str) -> bool:
    """:func:`settle_live` for a caller that knows the reservation's day and provider: whether it was live. No
    RETURNING: the statement reads nothing back (no result table to fill and fetch)."""
    return conn.execute("DELETE FROM budget_reservations WHERE id = ? AND status = 'live'", (rid,)).rowcount > 0


def release_live(conn: Connection, rid: str, now: float) -> None:
    """Give a live reservation back: its row goes (schema 16), and a spend row of nothing, noted 'released', says
    for whom it was held, should its call be settled after all (:func:`finished`)."""
    rows = conn.execute("DELETE FROM budget_reservations WHERE id = ? AND status = 'live' RETURNING day, provider",
                        (rid,)).fetchall()
    if rows:
        insert_spend(conn, rows[0][0], rows[0][1], 0, now, reservation_id=rid, note="released")


def finished(conn: Connection, rid: str) -> Row | None:
    """The spend row saying that ``rid``, its row gone (schema 16), was settled or released: (day, provider, note),
    or None. A scan of the week's spend rows, newest first (reservation_id is indexed only for the charges, a page
    fewer per settlement), run only for a settlement that finds no reservation: one settled twice, released,
    pruned or unknown."""
    return conn.execute("SELECT day, provider, note FROM budget_spend WHERE reservation_id = ?"
                        " AND note IN ('settled', 'released') ORDER BY id DESC LIMIT 1", (rid,)).fetchone()


def reservation(conn: Connection, rid: str) -> Row | None:
    return conn.execute("SELECT day, provider, status FROM budget_reservations WHERE id = ?", (rid,)).fetchone()


def fired_alerts(conn: Connection, day: str, total: int) -> list[Row]:
    """The alerts fired on ``day`` under the daily total ``total`` (another total's do not apply to its figures)."""
    return conn.execute(
        "SELECT threshold, level, micro_spent, micro_total, message FROM budget_alerts WHERE day = ?"
        " AND micro_total = ? ORDER BY threshold",
        (day, total),
    ).fetchall()


def claim_alert(
    conn: Connection, day: str, threshold: int, level: str, spent: int, total: int, message: str, now: float,
    holder: str,
) -> bool:
    """Insert-or-ignore on (day, threshold, total) (schema 15): True for exactly one caller across all processes."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO budget_alerts (day, threshold, level, micro_spent, micro_total, message,"
        " fired_at, holder) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (day, threshold, level, spent, total, message, now, holder),
    )
    return cur.rowcount == 1


PRUNE_SPEND_ROWS = 1000  # spend rows looked at per prune, oldest first: a bounded cost, ahead of 1 row per request


def prune_finished(conn: Connection, before_day: str, *, made_before: float | None = None) -> None:
    """Finished reservations and spend rows of days before ``before_day``; the days' totals stay.

    ``made_before``: look only at the reservations whose ids say they were made before that time (ids begin
    with it, schema 14): a range at the start of the table's b-tree, mostly rows to delete, where a scan reads
    the week of rows kept each time (10 ms for 70,000). None: every row, as the ids an older version made
    at random and an id stamped by a clock set wrong are found only so.
    Spend rows go oldest first, at most ``PRUNE_SPEND_ROWS`` looked at (rowid order, no scan of the
    table): ledgers prune every 100 reservations, so this keeps ahead of the one row each settles."""
    if made_before is None:
        conn.execute("DELETE FROM budget_reservations WHERE status != 'live' AND day < ?", (before_day,))
    else:
        conn.execute("DELETE FROM budget_reservations WHERE id < ? AND status != 'live' AND day < ?",
                     (_time_prefix(made_before), before_day))
    conn.execute(
        "DELETE FROM budget_spend WHERE id IN ("
        " SELECT id FROM (SELECT id, day FROM budget_spend ORDER BY id LIMIT ?) WHERE day < ?)",
        (PRUNE_SPEND_ROWS, before_day),
    )
