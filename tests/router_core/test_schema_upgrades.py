"""Upgrading a database written by an older schema keeps its state (migration 3: leases and spend;
migration 4: the index of live reservations; migration 10: usage observations, with an older version still
writing and reading them; migration 14: reservations and spend rebuilt, an older version still settling and
correcting charges on them)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from router_core.budget import CHARGED_DEAD_CALL, UNCHARGED_DEAD_CALL, BudgetLedger
from router_core.clock import FakeClock
from router_core.leases import AgentLeases
from router_core.models import WindowCounts
from router_core.settings import BudgetSettings
from router_core.store import db as db_module
from router_core.store import ledger as ledger_sql
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.store.schema import MIGRATIONS
from router_core.usage import UsageTracker

T0 = 1_772_445_600.0
ME = current_holder()


def test_leases_survive_the_rebuild_and_still_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:2])
        old = Database(path)
        held = AgentLeases(old, clock, ME).acquire("coder", 2, task_id="t1")
        old.close()
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 3
    leases = AgentLeases(new, clock, ME)
    assert leases.in_use() == {"coder": 1}
    assert leases.acquire("coder", 2) is not None
    assert leases.acquire("coder", 2) is None  # the old lease still counts against the limit
    leases.release(held)
    assert leases.in_use() == {"coder": 1}
    row = new.query("SELECT agent_id, task_id, holder FROM agent_leases WHERE id = ?", (held,))
    assert row == []
    indexes = {r[0] for r in new.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "budget_spend_day" not in indexes and "agent_leases_agent" not in indexes
    new.close()


def test_a_lease_row_keeps_every_column(tmp_path: Path) -> None:
    db, clock = Database(tmp_path / "s.db"), FakeClock(T0)
    lease = AgentLeases(db, clock, ME, ttl_seconds=600).acquire("coder", 1, task_id="t9")
    row = db.query("SELECT agent_id, task_id, holder, acquired_at, expires_at FROM agent_leases WHERE id = ?", (lease,))
    assert tuple(row[0]) == ("coder", "t9", ME, T0, T0 + 600)
    db.close()


def test_reservations_keep_counting_across_the_live_index_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    budget = BudgetSettings(daily_total=10.0, allocations=(("codex", 10.0),))
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:3])
        old = Database(path)
        ledger = BudgetLedger(old, clock, budget, ME)
        live = ledger.reserve("codex", 1.0, task_id="t1")
        ledger.settle(ledger.reserve("codex", 2.0, task_id="t2").id, 0.5)
        old.close()
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 4
    # Migration 16 dropped the index again: the table holds the live reservations only, the settled one went.
    assert new.query("SELECT sql FROM sqlite_master WHERE name = 'budget_reservations_live'") == []
    assert [tuple(r) for r in new.query("SELECT id, status FROM budget_reservations")] == [(live.id, "live")]
    ledger = BudgetLedger(new, clock, budget, ME)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.5, 1.0)
    ledger.settle(live.id, 0.25)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.75, 0.0)
    assert new.query("SELECT status FROM budget_reservations") == []
    new.close()


# What a Switchboard before schema 10 writes and reads (router_core/usage.py then): one validity for the row.
OLD_OBSERVE = ("INSERT OR REPLACE INTO usage_observations (provider, requests_used, tokens_used, source, observed_at,"
               " valid_until) VALUES (?, ?, ?, 'headers', ?, ?)")
OLD_READ = "SELECT provider, requests_used, tokens_used, source, valid_until FROM usage_observations WHERE valid_until > ?"


def test_observations_keep_their_meaning_with_an_older_version_on_the_same_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:9])
        old = Database(path)
        with old.transaction() as conn:
            conn.execute(OLD_OBSERVE, ("codex", 90, 5000, T0, T0 + 1))
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 10
    usage = UsageTracker(new, clock)
    # A row from before: both dimensions lapse at its valid_until, as the version that wrote it meant.
    assert usage.window("codex") == WindowCounts(90, 5000, oldest_expires_at=T0 + 1, source="headers")
    clock.set(T0 + 1)
    assert usage.window("codex") == WindowCounts(0, 0)

    # The older process goes on running on the upgraded file: it still writes its rows and reads ours.
    with old.transaction() as conn:
        conn.execute(OLD_OBSERVE, ("gemini", 9, 90, T0 + 1, T0 + 10))
    assert usage.window("gemini") == WindowCounts(9, 90, oldest_expires_at=T0 + 10, source="headers")
    assert usage.release_time("gemini", requests_below=5, tokens_below=50) == T0 + 10
    usage.observe("codex", requests_used=90, tokens_used=5000, source="headers", valid_until=T0 + 2,
                  tokens_valid_until=T0 + 21)
    assert sorted(tuple(r) for r in old.query(OLD_READ, (T0 + 1,))) == [
        ("codex", 90, 5000, "headers", T0 + 2), ("gemini", 9, 90, "headers", T0 + 10)]
    with monkeypatch.context() as m:  # an older process starting now: a newer schema is no error
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:9])
        Database(path).close()
    assert new.schema_version == len(MIGRATIONS)
    old.close()
    new.close()


# What a Switchboard before schema 14 does differently: random reservation ids, and a charge it takes back found
# by reservation id and note alone (router_core/store/ledger.py then).
OLD_CORRECT = "UPDATE budget_spend SET micro_usd = ?, note = ? WHERE reservation_id = ? AND note = ?"


def test_reservations_and_spend_keep_counting_across_the_schema_14_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    budget = BudgetSettings(daily_total=10.0, allocations=(("codex", 10.0),), reservation_ttl_seconds=900.0)
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:13])
        old = Database(path)
        old_ledger = BudgetLedger(old, clock, budget, ME)
        live = old_ledger.reserve("codex", 1.0, task_id="t1")
        old_ledger.settle(old_ledger.reserve("codex", 2.0, task_id="t2").id, 0.5)
        silent = old_ledger.reserve("codex", 3.0, task_id="t3", calling=0.4)
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 14
    schema = {r["name"]: r["sql"] for r in new.query("SELECT name, sql FROM sqlite_master")}
    assert "WITHOUT ROWID" in schema["budget_reservations"]
    assert not {"sqlite_autoindex_budget_reservations_1", "sqlite_autoindex_budget_spend_1"} & schema.keys()
    assert {"budget_spend_charged", "budget_totals_on_reservation_insert",
            "budget_totals_on_reservation_update", "budget_totals_on_spend_insert"} <= schema.keys()
    ledger = BudgetLedger(new, clock, budget, ME)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.5, 4.0)

    clock.advance(901)  # the silent call is charged at its estimate, by the new version
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (pytest.approx(0.9), 0.0)  # the live one went silent too: released
    # The older process, still running on the upgraded file, takes the charge back as it did (a scan, same result).
    with old.transaction() as conn:
        ledger_sql.set_status(conn, [silent.id], "released")
        conn.execute(OLD_CORRECT, (0, UNCHARGED_DEAD_CALL, silent.id, CHARGED_DEAD_CALL))
    assert ledger.snapshot().provider("codex").spent == pytest.approx(0.5)
    ledger.settle(live.id, 0.25)  # an expired reservation is still settled (the money was spent)
    ledger.settle(live.id, 9.0)  # and settling twice changes nothing, without the unique index
    assert ledger.snapshot().provider("codex").spent == pytest.approx(0.75)
    assert new.query("SELECT COUNT(*) FROM budget_spend WHERE reservation_id = ?", (live.id,))[0][0] == 1

    # A reservation the older process makes, with its random id, settles in either version.
    old_id = secrets.token_hex(16)
    with old.transaction() as conn:
        ledger_sql.insert_reservation(conn, old_id, ledger.day(), "codex", 2_000_000, "t4", ME, clock.now())
    assert ledger.snapshot().provider("codex").reserved == 2.0
    old_ledger.settle(old_id, 1.0)
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (pytest.approx(1.75), 0.0)

    # The new version finds a charge by the partial index, not by scanning every spend row of the week.
    plan = " ".join(str(tuple(r)) for r in new.query(
        "EXPLAIN QUERY PLAN UPDATE budget_spend SET micro_usd = 0, note = 'x'"
        " WHERE reservation_id = 'r' AND note = 'n' AND note <> 'settled'"))
    assert "budget_spend_charged" in plan
    old.close()
    new.close()


def test_new_reservation_ids_follow_their_time(db: Database) -> None:
    # Schema 14 keys the reservations by id: ids in time order append to the b-tree instead of landing at random.
    clock = FakeClock(T0)
    ledger = BudgetLedger(db, clock, BudgetSettings(daily_total=10.0, allocations=(("codex", 10.0),)), ME)
    ids = []
    for _ in range(10):
        ids.append(ledger.reserve("codex", 0.01).id)
        clock.advance(0.000_01)
    assert ids == sorted(ids)
    assert len(set(ids)) == 10 and all(len(rid) == 32 and int(rid, 16) >= 0 for rid in ids)
