"""The state database's schema as an append-only list of migrations (PRAGMA user_version); 15 on are in
schema_later.py.

Never edit a released migration; append a new one. Money is stored as integer micro-dollars so
that budget checks are exact sums, not float accumulations.

Migration 2 adds running totals kept by triggers in the same statement (so in the same transaction)
as every write to the rows they sum: ``usage_totals`` (all usage events of a provider still stored)
and ``budget_day_totals`` (a day's spend and live reservations per provider). Reads and budget checks
then cost a handful of rows whatever the traffic, and stay exact: a window is a provider's total minus
its stored events already older than the window (few, since writers prune them).

Migration 3 trims the pages each commit writes to the WAL (every page a transaction touches is
written whole): budget_spend loses its (day, provider) index, unused since the totals; agent_leases,
a handful of rows at any time, becomes one b-tree keyed by lease id (looked up by agent with a scan).

Migration 4 indexes only the live reservations (a partial index on day): settling one deletes its
entry and inserts none, where the (status, day) index moved it from the 'live' range to the end of
the 'settled' range, another page written to the WAL per settled request once a day holds more
than a page of finished rows. Every query of live reservations names ``status = 'live'`` and so
uses it; finished rows are only ever pruned by day with a scan, as before.

Migration 6 stops deleting a spend row from taking it off its day's total: budget history (``spend_by_day``)
is read from ``budget_day_totals``, and the spend rows, one per settled request, are pruned after a week
like finished reservations, so the database no longer grows with every request ever made. Nothing else
deletes spend rows.

Migration 8 lets routing corrections be forgotten (``switchboard feedback forget``). Every process replays
the corrections in id order and then reads only rows past the last id it saw, so a removal must be both
visible and never confused with a later row: ``classifier_corrections`` is rebuilt with AUTOINCREMENT (a
forgotten id is never given to a new correction), and triggers bump ``classifier_generation`` in the
statement that deletes or changes a row. A process that finds the generation changed replays the table
from the start, so every process drops the forgotten rows and reaches the same decisions on the rest.

Migration 9 keeps the guard's decisions on the corrections (``classifier_decisions``, one row per correction),
so a process starting, or replaying after a forget, adopts them instead of running the guard on every stored
correction again. A row names the digest of what decided it (weights, evaluation set, code) and the history
it was decided after (a hash chain of the corrections up to it): a process trusts it only when both are its
own (``router_core/classifier/learning.py``). A trigger drops a correction's decision with it.

Migrations 11, 12 and 13 redact the credentials in corrections stored before ``record_feedback`` redacted them (and the
kinds of key it learned to redact since): they stayed in clear in the database, ``feedback list`` and the
reasons quoting a correction. The update trigger bumps the generation, so running processes replay the
corrections with the redacted texts.

Migration 14 trims two more pages from the commits of every request: ``budget_reservations`` becomes one
b-tree keyed by its id (WITHOUT ROWID), where an index of the ids beside the rowid table was written by every
reservation, and new ids begin with their time, so a reservation is appended where the last one went; and
``budget_spend`` drops the unique index on ``reservation_id``, written by every settlement: a reservation
becomes spend once because its status leaves 'live' in the statement that records it (every version checks
the status under the write lock), not because of the index. The spend rows of charges (notes other than
'settled'), which a release or a settlement corrects by reservation id, keep a partial index; a statement
that names ``note <> 'settled'`` uses it (an older version's correction scans the table, slower, with the
same result). Triggers and the live index are made again on the rebuilt tables.

Migration 10 lets each dimension of a usage observation lapse on its own: rate-limit headers name one reset for
requests and another for tokens (OpenAI's usual answer: requests in 1 s, tokens in 20 s), and the row held both
until the sooner, so for the rest of the tokens' reset routing and the usage resources saw spent tokens as free.
``valid_until`` stays the requests' (and the row's, for a reader that knows no other), ``tokens_valid_until`` is
the tokens'. A row written by an older Switchboard still sharing the database leaves it NULL: both dimensions
then lapse at ``valid_until``, as that version meant; an older reader takes a newer row as a whole to lapse at
``valid_until``, the requests' reset (the sooner of the two for its own rows).
"""

from __future__ import annotations

from router_core.store.schema_later import LATER_MIGRATIONS

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
    # 2: running totals of usage events and of each day's budget, maintained by triggers.
    """
    CREATE TABLE usage_totals (
        provider TEXT PRIMARY KEY,
        requests INTEGER NOT NULL DEFAULT 0,
        tokens INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    INSERT INTO usage_totals (provider, requests, tokens)
        SELECT provider, SUM(requests), SUM(tokens) FROM usage_events GROUP BY provider;

    CREATE TRIGGER usage_totals_on_insert AFTER INSERT ON usage_events BEGIN
        INSERT INTO usage_totals (provider, requests, tokens) VALUES (new.provider, new.requests, new.tokens)
        ON CONFLICT (provider) DO UPDATE SET
            requests = requests + excluded.requests, tokens = tokens + excluded.tokens;
    END;
    CREATE TRIGGER usage_totals_on_delete AFTER DELETE ON usage_events BEGIN
        UPDATE usage_totals SET requests = requests - old.requests, tokens = tokens - old.tokens
        WHERE provider = old.provider;
    END;
    CREATE TRIGGER usage_totals_on_update AFTER UPDATE OF provider, requests, tokens ON usage_events BEGIN
        UPDATE usage_totals SET requests = requests - old.requests, tokens = tokens - old.tokens
        WHERE provider = old.provider;
        INSERT INTO usage_totals (provider, requests, tokens) VALUES (new.provider, new.requests, new.tokens)
        ON CONFLICT (provider) DO UPDATE SET
            requests = requests + excluded.requests, tokens = tokens + excluded.tokens;
    END;

    CREATE TABLE budget_day_totals (
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        spent INTEGER NOT NULL DEFAULT 0,     -- micro-dollars in budget_spend
        reserved INTEGER NOT NULL DEFAULT 0,  -- micro-dollars in live budget_reservations
        PRIMARY KEY (day, provider)
    ) WITHOUT ROWID;
    INSERT INTO budget_day_totals (day, provider, spent, reserved)
        SELECT day, provider, SUM(spent), SUM(reserved) FROM (
            SELECT day, provider, micro_usd AS spent, 0 AS reserved FROM budget_spend
            UNION ALL
            SELECT day, provider, 0, micro_usd FROM budget_reservations WHERE status = 'live'
        ) GROUP BY day, provider;

    CREATE TRIGGER budget_totals_on_spend_insert AFTER INSERT ON budget_spend BEGIN
        INSERT INTO budget_day_totals (day, provider, spent) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET spent = spent + excluded.spent;
    END;
    CREATE TRIGGER budget_totals_on_spend_delete AFTER DELETE ON budget_spend BEGIN
        UPDATE budget_day_totals SET spent = spent - old.micro_usd WHERE day = old.day AND provider = old.provider;
    END;
    CREATE TRIGGER budget_totals_on_spend_update AFTER UPDATE OF day, provider, micro_usd ON budget_spend BEGIN
        UPDATE budget_day_totals SET spent = spent - old.micro_usd WHERE day = old.day AND provider = old.provider;
        INSERT INTO budget_day_totals (day, provider, spent) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET spent = spent + excluded.spent;
    END;

    CREATE TRIGGER budget_totals_on_reservation_insert AFTER INSERT ON budget_reservations
    WHEN new.status = 'live' BEGIN
        INSERT INTO budget_day_totals (day, provider, reserved) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET reserved = reserved + excluded.reserved;
    END;
    CREATE TRIGGER budget_totals_on_reservation_delete AFTER DELETE ON budget_reservations
    WHEN old.status = 'live' BEGIN
        UPDATE budget_day_totals SET reserved = reserved - old.micro_usd
        WHERE day = old.day AND provider = old.provider;
    END;
    CREATE TRIGGER budget_totals_on_reservation_update
    AFTER UPDATE OF day, provider, micro_usd, status ON budget_reservations
    WHEN old.status = 'live' OR new.status = 'live' BEGIN
        UPDATE budget_day_totals SET reserved = reserved - old.micro_usd
        WHERE old.status = 'live' AND day = old.day AND provider = old.provider;
        INSERT INTO budget_day_totals (day, provider, reserved)
            SELECT new.day, new.provider, new.micro_usd WHERE new.status = 'live'
        ON CONFLICT (day, provider) DO UPDATE SET reserved = reserved + excluded.reserved;
    END;
    """,
    # 3: fewer pages written per commit on the dispatch path.
    """
    DROP INDEX budget_spend_day;

    CREATE TABLE agent_leases_v3 (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        task_id TEXT,
        holder TEXT NOT NULL,
        acquired_at REAL NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO agent_leases_v3 (id, agent_id, task_id, holder, acquired_at, expires_at)
        SELECT id, agent_id, task_id, holder, acquired_at, expires_at FROM agent_leases;
    DROP TABLE agent_leases;
    ALTER TABLE agent_leases_v3 RENAME TO agent_leases;
    """,
    # 4: only live reservations are indexed (one page written fewer per settled request).
    """
    DROP INDEX budget_reservations_live;
    CREATE INDEX budget_reservations_live ON budget_reservations (day) WHERE status = 'live';
    """,
    # 5: who sent a request still in flight (a pacing ticket), so a ticket of a killed process is reclaimed.
    """
    ALTER TABLE usage_events ADD COLUMN holder TEXT;
    """,
    # 6: old spend rows may be pruned; a day's total stays (budget history is read from the totals).
    """
    DROP TRIGGER budget_totals_on_spend_delete;
    """,
    # 7: the estimate of the call a reservation's holder has on the wire (0: none), charged if it dies meanwhile.
    """
    ALTER TABLE budget_reservations ADD COLUMN calling_micro INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: forgettable corrections: ids never reused, and a generation every delete or update of a row bumps.
    """
    CREATE TABLE classifier_corrections_v8 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at REAL,
        text TEXT,
        routed_provider TEXT,
        correct_provider TEXT,
        task_type TEXT,
        holder TEXT
    );
    INSERT INTO classifier_corrections_v8 (id, created_at, text, routed_provider, correct_provider, task_type, holder)
        SELECT id, created_at, text, routed_provider, correct_provider, task_type, holder FROM classifier_corrections;
    DROP TABLE classifier_corrections;
    ALTER TABLE classifier_corrections_v8 RENAME TO classifier_corrections;

    CREATE TABLE IF NOT EXISTS classifier_generation (  -- IF NOT EXISTS: a store may have made it (corrections.py)
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    );
    CREATE TRIGGER classifier_corrections_on_delete AFTER DELETE ON classifier_corrections BEGIN
        INSERT INTO classifier_generation (id, generation) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET generation = generation + 1;
    END;
    CREATE TRIGGER classifier_corrections_on_update AFTER UPDATE ON classifier_corrections BEGIN
        INSERT INTO classifier_generation (id, generation) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET generation = generation + 1;
    END;
    """,
    # 9: the guard's decisions, saved so other processes need not replay the guard (IF NOT EXISTS: a store on a
    # bare file may have made them, corrections.py).
    """
    CREATE TABLE IF NOT EXISTS classifier_decisions (
        correction_id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,   -- what decided: the weights, the evaluation set, the threshold, the code
        history TEXT NOT NULL,  -- the hash chain of the stored corrections up to this one, when decided
        accepted INTEGER NOT NULL,
        reason TEXT NOT NULL,
        task_type TEXT
    );
    CREATE TRIGGER IF NOT EXISTS classifier_decisions_on_forget AFTER DELETE ON classifier_corrections BEGIN
        DELETE FROM classifier_decisions WHERE correction_id = old.id;
    END;
    """,
    # 10: an observation's tokens lapse at their own reset (NULL, as older versions write: at valid_until).
    """
    ALTER TABLE usage_observations ADD COLUMN tokens_valid_until REAL;
    """,
    # 11: a correction recorded before its task's credentials were redacted (or with a kind of key redaction then
    # missed) is redacted in place; the migrating connection registers switchboard_scrubbed (db.py).
    """
    UPDATE classifier_corrections SET text = switchboard_scrubbed(text)
    WHERE typeof(text) = 'text' AND switchboard_scrubbed(text) <> text;
    """,
    # 12: the same, for the kinds of key redaction learned after 11 (DB_PASS=, Azure AccountKey=, SendGrid,
    # PyPI, Stripe webhook, Slack app, DigitalOcean, age keys), stored in clear until now.
    """
    UPDATE classifier_corrections SET text = switchboard_scrubbed(text)
    WHERE typeof(text) = 'text' AND switchboard_scrubbed(text) <> text;
    """,
    # 13: the same, for credentials redaction learned after 12 (Authorization: and Cookie: headers, --password and
    # --token flags, curl's -u user:password).
    """
    UPDATE classifier_corrections SET text = switchboard_scrubbed(text)
    WHERE typeof(text) = 'text' AND switchboard_scrubbed(text) <> text;
    """,
    # 14: a reservation is one b-tree entry, a settlement writes no index entry (two pages fewer per request).
    """
    CREATE TABLE budget_reservations_v14 (
        id TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        micro_usd INTEGER NOT NULL,
        task_id TEXT,
        holder TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'live',  -- live | settled | released | expired
        created_at REAL NOT NULL,
        heartbeat_at REAL NOT NULL,
        calling_micro INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    INSERT INTO budget_reservations_v14 (id, day, provider, micro_usd, task_id, holder, status, created_at,
        heartbeat_at, calling_micro)
        SELECT id, day, provider, micro_usd, task_id, holder, status, created_at, heartbeat_at, calling_micro
        FROM budget_reservations;
    DROP TABLE budget_reservations;  -- with its index and triggers (fires none)
    ALTER TABLE budget_reservations_v14 RENAME TO budget_reservations;
    CREATE INDEX budget_reservations_live ON budget_reservations (day) WHERE status = 'live';

    CREATE TRIGGER budget_totals_on_reservation_insert AFTER INSERT ON budget_reservations
    WHEN new.status = 'live' BEGIN
        INSERT INTO budget_day_totals (day, provider, reserved) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET reserved = reserved + excluded.reserved;
    END;
    CREATE TRIGGER budget_totals_on_reservation_delete AFTER DELETE ON budget_reservations
    WHEN old.status = 'live' BEGIN
        UPDATE budget_day_totals SET reserved = reserved - old.micro_usd
        WHERE day = old.day AND provider = old.provider;
    END;
    CREATE TRIGGER budget_totals_on_reservation_update
    AFTER UPDATE OF day, provider, micro_usd, status ON budget_reservations
    WHEN old.status = 'live' OR new.status = 'live' BEGIN
        UPDATE budget_day_totals SET reserved = reserved - old.micro_usd
        WHERE old.status = 'live' AND day = old.day AND provider = old.provider;
        INSERT INTO budget_day_totals (day, provider, reserved)
            SELECT new.day, new.provider, new.micro_usd WHERE new.status = 'live'
        ON CONFLICT (day, provider) DO UPDATE SET reserved = reserved + excluded.reserved;
    END;

    CREATE TABLE budget_spend_v14 (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        provider TEXT NOT NULL,
        micro_usd INTEGER NOT NULL,
        at REAL NOT NULL,
        reservation_id TEXT,
        note TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO budget_spend_v14 (id, day, provider, micro_usd, at, reservation_id, note)
        SELECT id, day, provider, micro_usd, at, reservation_id, note FROM budget_spend;
    DROP TABLE budget_spend;
    ALTER TABLE budget_spend_v14 RENAME TO budget_spend;
    CREATE INDEX budget_spend_charged ON budget_spend (reservation_id) WHERE note <> 'settled';

    CREATE TRIGGER budget_totals_on_spend_insert AFTER INSERT ON budget_spend BEGIN
        INSERT INTO budget_day_totals (day, provider, spent) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET spent = spent + excluded.spent;
    END;
    CREATE TRIGGER budget_totals_on_spend_update AFTER UPDATE OF day, provider, micro_usd ON budget_spend BEGIN
        UPDATE budget_day_totals SET spent = spent - old.micro_usd WHERE day = old.day AND provider = old.provider;
        INSERT INTO budget_day_totals (day, provider, spent) VALUES (new.day, new.provider, new.micro_usd)
        ON CONFLICT (day, provider) DO UPDATE SET spent = spent + excluded.spent;
    END;
    """,
) + LATER_MIGRATIONS  # 15 on
