"""The state database's schema as an append-only list of migrations (PRAGMA user_version).

Never edit a released migration; append a new one. Money is stored as integer micro-dollars so
that budget checks are exact sums, not float accumulations.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: usage windows, budget ledger, agent leases, classifier corrections, generic key-value.
    """
    CREATE TABLE usage_events (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        at REAL NOT NULL,
        requests INTEGER NOT NULL,
        tokens INTEGER NOT NULL
    );
    CREATE INDEX usage_events_provider_at ON usage_events (provider, at);

    CREATE TABLE usage_observations (
        provider TEXT PRIMARY KEY,
        requests_used INTEGER NOT NULL,
        tokens_used INTEGER NOT NULL,
        source TEXT NOT NULL,
        observed_at REAL NOT NULL,
        valid_until REAL NOT NULL
    );

    CREATE TABLE budget_reservations (
        id TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        micro_usd INTEGER NOT NULL,
        task_id TEXT,
        holder TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'live',  -- live | settled | released | expired
        created_at REAL NOT NULL,
        heartbeat_at REAL NOT NULL
    );
    CREATE INDEX budget_reservations_live ON budget_reservations (status, day);

    CREATE TABLE budget_spend (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        micro_usd INTEGER NOT NULL,
        at REAL NOT NULL,
        reservation_id TEXT UNIQUE,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX budget_spend_day ON budget_spend (day, provider);

    CREATE TABLE budget_alerts (
        day TEXT NOT NULL,
        threshold INTEGER NOT NULL,
        level TEXT NOT NULL,
        micro_spent INTEGER NOT NULL,
        micro_total INTEGER NOT NULL,
        message TEXT NOT NULL,
        fired_at REAL NOT NULL,
        holder TEXT NOT NULL,
        PRIMARY KEY (day, threshold)
    );

    CREATE TABLE agent_leases (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        task_id TEXT,
        holder TEXT NOT NULL,
        acquired_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX agent_leases_agent ON agent_leases (agent_id);

    CREATE TABLE classifier_corrections (
        id INTEGER PRIMARY KEY,
        created_at REAL,
        text TEXT,
        routed_provider TEXT,
        correct_provider TEXT,
        task_type TEXT,
        holder TEXT
    );

    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT,
        updated_at REAL
    );
    """,
)
