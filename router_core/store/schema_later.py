"""The state database's migrations from 15 on (schema.py holds 1 to 14 and the rules: append, never edit).

Migration 15 keys a budget alert's claim on (day, threshold, micro_total): an alert fires once a day per threshold
and daily total (design 8.3). Keyed on (day, threshold), a threshold claimed under one total was never announced
again once the total was raised during the day and spend crossed it under the new one (80% of $10 fired; the total
raised to $20; $16 said nothing). Processes on one state dir with different totals (a project file may lower it)
each claim each threshold once under their own, so none fires the same alert twice. The rows fired before are
kept, under the total they fired at. An older version still running on the file inserts-or-ignores as before, now
on the new key: it fires a threshold under its own total once, as this version does.

Migration 16 drops the index of live reservations: a settled or released reservation's row is deleted, so the table
holds only the live ones and the few expired or charged at their estimate, read without an index, where each
reservation and each settlement wrote an index page besides the row's (two WAL frames of a dispatch's ~17). What
the row said is in budget_spend: a settled one's spend row is noted 'settled'; a release writes one of nothing,
noted 'released', with the day and provider a settlement after all is charged to. The migration does the same for
the rows it finds: a released one gets its row of nothing, and goes; a settled one whose spend row is noted
'settled' goes (one charged at its estimate stays, for its correction). An older version still running on the file
settles and releases by status, as before: its finished rows stay until the week's prune, and it reads the live
ones by a scan of the same table.
"""

from __future__ import annotations

LATER_MIGRATIONS: tuple[str, ...] = (
    # 15: one alert per (day, threshold, daily total).
    """
    CREATE TABLE budget_alerts_v15 (
        day TEXT NOT NULL,
        threshold INTEGER NOT NULL,
        level TEXT NOT NULL,
        micro_spent INTEGER NOT NULL,
        micro_total INTEGER NOT NULL,
        message TEXT NOT NULL,
        fired_at REAL NOT NULL,
        holder TEXT NOT NULL,
        PRIMARY KEY (day, threshold, micro_total)
    );
    INSERT INTO budget_alerts_v15 (day, threshold, level, micro_spent, micro_total, message, fired_at, holder)
        SELECT day, threshold, level, micro_spent, micro_total, message, fired_at, holder FROM budget_alerts;
    DROP TABLE budget_alerts;
    ALTER TABLE budget_alerts_v15 RENAME TO budget_alerts;
    """,
    # 16: a settled or released reservation's row goes; the table holds the live ones (and the few expired or
    # charged at their estimate), so they are read without an index, which each reservation and settlement wrote.
    """
    DROP INDEX budget_reservations_live;
    INSERT INTO budget_spend (day, provider, micro_usd, at, reservation_id, note)
        SELECT day, provider, 0, heartbeat_at, id, 'released' FROM budget_reservations WHERE status = 'released';
    DELETE FROM budget_reservations WHERE status = 'released'
        OR (status = 'settled' AND id IN (SELECT reservation_id FROM budget_spend WHERE note = 'settled'));
    """,
)
