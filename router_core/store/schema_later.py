"""The state database's migrations from 15 on (schema.py holds 1 to 14 and the rules: append, never edit).

Migration 15 keys a budget alert's claim on (day, threshold, micro_total): an alert fires once a day per threshold
and daily total (design 8.3). Keyed on (day, threshold), a threshold claimed under one total was never announced
again once the total was raised during the day and spend crossed it under the new one (80% of $10 fired; the total
raised to $20; $16 said nothing). Processes on one state dir with different totals (a project file may lower it)
each claim each threshold once under their own, so none fires the same alert twice. The rows fired before are
kept, under the total they fired at. An older version still running on the file inserts-or-ignores as before, now
on the new key: it fires a threshold under its own total once, as this version does.
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
)
