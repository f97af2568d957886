"""Schema 16: a settled or released reservation's row goes, so the live ones are read without an index (one WAL page
fewer for each reservation and each settlement). What the rows said is kept: settling twice charges once, a released
reservation is still settled by id, and an upgraded file keeps its totals and its charges to correct, with an older
version still settling and releasing by status on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_core.budget import CHARGED_DEAD_CALL, BudgetLedger
from router_core.clock import FakeClock
from router_core.settings import BudgetSettings
from router_core.store import db as db_module
from router_core.store import ledger as ledger_sql
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.store.schema import MIGRATIONS
from tests.conftest import T0
from tests.router_core.test_running_totals import budget_sums, budget_totals

ME = current_holder()
BUDGET = BudgetSettings(daily_total=100.0, allocations=(("codex", 50.0), ("gemini", 50.0)), timezone="UTC",
                        reservation_ttl_seconds=900.0)


def _statuses(db: Database) -> dict[str, str]:
    return {r["id"]: r["status"] for r in db.query("SELECT id, status FROM budget_reservations")}


def test_finished_reservations_leave_no_row_and_no_index_is_written(db: Database, clock: FakeClock) -> None:
    ledger = BudgetLedger(db, clock, BUDGET, ME)
    settled, released, live = (ledger.reserve("codex", 1.0) for _ in range(3))
    ledger.settle(settled, 0.5)
    ledger.release(released.id)
    assert _statuses(db) == {live.id: "live"}
    assert db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'budget_reservations'") == []
    assert [tuple(r) for r in db.query("SELECT reservation_id, micro_usd, note FROM budget_spend ORDER BY id")] == [
        (settled.id, 500_000, "settled"), (released.id, 0, "released")]
    ledger.settle(settled, 9.0)  # twice, by the Reservation and by id: charged once
    ledger.settle(settled.id, 9.0)
    ledger.release(released.id)  # twice: one row of nothing
    ledger.settle(released.id, 0.25)  # by id after a release: still spent, on the day and provider it was held for
    ledger.settle(released.id, 9.0)
    ledger.release(settled.id)  # too late to release
    codex = ledger.snapshot().provider("codex")
    assert (codex.spent, codex.reserved) == (0.75, 1.0)
    assert budget_totals(db) == budget_sums(db)
    assert db.query("SELECT COUNT(*) FROM budget_spend")[0][0] == 3


def _old_settle(db: Database, rid: str, usd: float, clock: FakeClock) -> None:
    """A settlement as a Switchboard before schema 16 writes it: the row marked settled, kept until the prune."""
    with db.transaction() as conn:
        day, provider = conn.execute("UPDATE budget_reservations SET status = 'settled' WHERE id = ? AND status = 'live'"
                                     " RETURNING day, provider", (rid,)).fetchone()
        ledger_sql.insert_spend(conn, day, provider, ledger_sql.to_micro(usd), clock.now(), reservation_id=rid,
                                note="settled")


def _old_release(db: Database, rid: str) -> None:
    with db.transaction() as conn:
        ledger_sql.set_status(conn, [rid], "released")


def test_the_upgrade_keeps_what_the_finished_rows_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, clock = tmp_path / "old.db", FakeClock(T0)
    with monkeypatch.context() as m:
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:15])
        old = Database(path)
        old_ledger = BudgetLedger(old, clock, BUDGET, ME)
        settled, released, live = (old_ledger.reserve("codex", 1.0) for _ in range(3))
        _old_settle(old, settled.id, 0.5, clock)
        _old_release(old, released.id)
        dead = BudgetLedger(old, clock, BUDGET, "elsewhere.example:1:1")
        charged = dead.reserve("gemini", 2.0, calling=0.4)  # its holder falls silent with a call on the wire
        expired = dead.reserve("gemini", 3.0)
        clock.advance(901)
        old_ledger.heartbeat()
        assert old_ledger.snapshot().provider("gemini").spent == pytest.approx(0.4)  # charged at the estimate
        assert _statuses(old)[released.id] == "released" and _statuses(old)[settled.id] == "settled"
        before = budget_totals(old)
    new = Database(path)
    assert new.schema_version == len(MIGRATIONS) >= 16
    # The released and the settled go; the charged one stays (a settlement corrects its charge), as do the expired
    # and the live.
    assert _statuses(new) == {live.id: "live", charged.id: "settled", expired.id: "expired"}
    assert budget_totals(new) == before == budget_sums(new)
    ledger = BudgetLedger(new, clock, BUDGET, ME)
    ledger.settle(settled.id, 9.0)  # settled before the upgrade: charged once
    ledger.settle(released.id, 0.25)  # released before it: still settled, by id, for the day and provider it held
    ledger.settle(charged.id, 0.1)  # the silent call's answer came after all: its charge is corrected
    codex, gemini = ledger.snapshot().provider("codex"), ledger.snapshot().provider("gemini")
    assert (codex.spent, codex.reserved, gemini.spent) == (0.75, 1.0, pytest.approx(0.1))
    assert new.query("SELECT COUNT(*) FROM budget_spend WHERE note = ?", (CHARGED_DEAD_CALL,))[0][0] == 0

    # An older process goes on on the upgraded file: it settles by status (its row stays until the week's prune)
    # and reads the live reservations, ours too, without the index.
    mine, its = ledger.reserve("gemini", 1.0), ledger.reserve("gemini", 1.0)
    _old_settle(old, its.id, 0.5, clock)
    assert _statuses(new)[its.id] == "settled"
    assert {r["id"] for r in old.query(OLD_LIVE)} == {live.id, mine.id}
    assert ledger.snapshot().provider("gemini").spent == pytest.approx(0.6)
    ledger.settle(mine, 0.2)
    assert ledger.snapshot().provider("gemini").spent == pytest.approx(0.8)
    assert budget_totals(new) == budget_sums(new)
    old.close()
    new.close()


OLD_LIVE = "SELECT id FROM budget_reservations WHERE status = 'live'"
