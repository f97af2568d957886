"""Processes on one state dir must count the same budget day and expire reservations alike: the state database
records budget.timezone and reservation_ttl_seconds, and a process configured otherwise is refused with both
values, where each came from and what to do (router_core/shared_budget.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import router_core.core
from config import load_settings
from router_core.classifier.corrections import Correction, SqliteCorrectionStore
from router_core.classifier.keywords import KeywordClassifier
from router_core.core import DB_FILENAME, RouterCore
from router_core.errors import StateUnusable
from router_core.settings import Settings
from router_core.shared_budget import SharedBudgetGuard, SharedBudgetMismatch, adopt, recorded
from router_core.store.db import Database
from tests.conftest import isolated_env


def configured(tmp_path: Path, name: str, toml: str) -> Settings:
    """Settings as a process started with SWITCHBOARD_CONFIG=<name> on the shared state dir reads them."""
    path = tmp_path / name
    path.write_text(toml, encoding="utf-8")
    return load_settings(environ={**isolated_env(tmp_path), "SWITCHBOARD_CONFIG": str(path)}, cwd=tmp_path)


def core_of(settings: Settings, clock, updates=None) -> RouterCore:
    return RouterCore.build(settings, clock=clock, classifier=KeywordClassifier(settings.providers),
                            settings_updates=updates)


def test_a_second_process_counting_another_day_is_refused_with_both_values_and_what_to_do(tmp_path, clock):
    a = configured(tmp_path, "a.toml", "[budget]\nalert_thresholds = [60]\n")
    b = configured(tmp_path, "b.toml", '[budget]\ntimezone = "Pacific/Kiritimati"\n')
    first = core_of(a, clock)
    with pytest.raises(SharedBudgetMismatch) as refused:
        core_of(b, clock)
    message = str(refused.value)
    assert isinstance(refused.value, StateUnusable)  # a server reports it on each request, as a locked state dir
    assert '"Pacific/Kiritimati" in this process\'s configuration' in message
    assert str(tmp_path / "b.toml") in message
    assert f'the state dir {a.state_dir} records "UTC"' in message
    assert "the shipped default" in message  # where the recorded value came from: a.toml does not set it
    assert "each spends a whole budget" in message
    assert 'set budget.timezone = "UTC" in ' + str(tmp_path / "b.toml") in message
    assert "SWITCHBOARD_HOME" in message and "switchboard budget adopt" in message
    assert first.budget().timezone == "UTC"  # the first goes on


@pytest.mark.parametrize("xdg", [None, "/srv/conf"])
def test_a_default_value_is_to_be_set_in_the_user_file_where_this_process_reads_it(tmp_path, clock, monkeypatch, xdg):
    # The advice named ~/.config/switchboard/config.toml even when XDG_CONFIG_HOME puts the user file elsewhere.
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    core_of(configured(tmp_path, "b.toml", '[budget]\ntimezone = "Pacific/Kiritimati"\n'), clock)
    with pytest.raises(SharedBudgetMismatch) as refused:
        core_of(configured(tmp_path, "a.toml", ""), clock)
    user_file = f"{xdg or '~/.config'}/switchboard/config.toml"
    assert f'set budget.timezone = "Pacific/Kiritimati" in your configuration ({user_file})' in str(refused.value)


@pytest.mark.parametrize("fails", ["shared budget", "host agents"])
def test_a_failed_build_closes_its_database_connection(tmp_path, clock, monkeypatch, fails):
    # A server builds the core again on every request while it fails: a failure after the shared-budget check
    # (host agents, the classifier) left each try's connection open.
    core_of(configured(tmp_path, "a.toml", ""), clock)
    closed = []
    monkeypatch.setattr(Database, "close", lambda db: closed.append(db.path))
    toml = '[budget]\ntimezone = "Pacific/Kiritimati"\n' if fails == "shared budget" else ""
    if fails == "host agents":
        monkeypatch.setattr(router_core.core, "load_host_agents", lambda *a, **k: 1 / 0)
    settings = configured(tmp_path, "b.toml", toml)
    with pytest.raises((SharedBudgetMismatch, ZeroDivisionError)):
        core_of(settings, clock)
    assert closed == [Path(settings.state_dir) / DB_FILENAME]


def test_a_different_reservation_ttl_is_refused_too(tmp_path, clock):
    core_of(configured(tmp_path, "a.toml", ""), clock)
    shorter = configured(tmp_path, "b.toml", "[budget]\nreservation_ttl_seconds = 300\n")
    with pytest.raises(SharedBudgetMismatch, match=r"reservation_ttl_seconds is 300 .* records 900 .* expire"):
        core_of(shorter, clock)


def test_the_same_day_is_fine_and_each_keeps_its_own_limits(tmp_path, clock):
    """The daily total and allocations are not shared: each process applies its own to the spend they share."""
    a = configured(tmp_path, "a.toml", '[budget]\ntimezone = "Asia/Kolkata"\n')
    b = configured(tmp_path, "b.toml", '[budget]\ntimezone = "Asia/Kolkata"\ndaily_total = 50.0\n'
                                       "allocation = { codex = 10.0, gemini = 20.0, claude = 20.0 }\n")
    one, two = core_of(a, clock), core_of(b, clock)
    assert one.budget().day == two.budget().day
    assert (one.budget().total, two.budget().total) == (100.0, 50.0)


def test_an_older_database_gets_the_values_of_the_first_process_and_keeps_its_data(tmp_path, clock):
    a = configured(tmp_path, "a.toml", '[budget]\ntimezone = "Europe/Berlin"\n')
    path = a.state_dir / DB_FILENAME
    db = Database(path)  # as an earlier version left it: data, no recorded values
    db.query("INSERT INTO kv (key, value, updated_at) VALUES ('usage.first_event:x', '1', 0)")
    SqliteCorrectionStore(db.connection).add(Correction("a task", "codex", "claude", None))
    db.close()
    core = core_of(a, clock)
    core.ledger.record_spend("codex", 1.25, note="manual")
    values = recorded(core.db)
    assert values["timezone"] == {"value": "Europe/Berlin", "source": str(tmp_path / "a.toml")}
    assert values["reservation_ttl_seconds"]["value"] == 900.0
    assert core.db.query("SELECT value FROM kv WHERE key = 'usage.first_event:x'")[0][0] == "1"
    assert [c.text for c in SqliteCorrectionStore(core.db.connection).read().corrections] == ["a task"]
    with pytest.raises(SharedBudgetMismatch, match='records "Europe/Berlin"'):
        core_of(configured(tmp_path, "b.toml", ""), clock)


def test_recording_takes_no_write_lock_once_done(tmp_path, clock):
    a = configured(tmp_path, "a.toml", "")
    core_of(a, clock).db.close()
    import sqlite3

    writer = sqlite3.connect(a.state_dir / DB_FILENAME, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        from router_core.shared_budget import check_shared

        db = Database(a.state_dir / DB_FILENAME, busy_timeout_seconds=0.05)
        check_shared(db, a)  # reads only: a write lock asked for would fail at once
        db.close()
    finally:
        writer.rollback()
        writer.close()


class Edits:
    """A config watch that hands on the settings given to it once."""

    def __init__(self) -> None:
        self.next: Settings | None = None

    def __call__(self) -> Settings | None:
        new, self.next = self.next, None
        return new


def test_a_deliberate_change_is_adopted_and_a_server_still_on_the_old_day_refuses_until_edited(tmp_path, clock):
    a = configured(tmp_path, "a.toml", "")
    edits, ticks = Edits(), [0.0]
    core = core_of(a, clock, edits)
    core._settings_updates = SharedBudgetGuard(core.db, a, edits, every=5.0, monotonic=lambda: ticks[0])
    assert core.budget().timezone == "UTC"
    kiritimati = replace(a, budget=replace(a.budget, timezone="Pacific/Kiritimati"))
    db = Database(a.state_dir / DB_FILENAME)
    assert adopt(db, kiritimati) == [("timezone", "UTC", "Pacific/Kiritimati")]  # `switchboard budget adopt`
    db.close()
    ticks[0] = 5.0
    with pytest.raises(SharedBudgetMismatch, match=r'is "UTC" in this process.* records "Pacific/Kiritimati"'):
        core.budget()
    with pytest.raises(SharedBudgetMismatch):  # every decision, not only the first
        core.capacity()
    edits.next = kiritimati  # its configuration edited to the new zone: serves again, on the new day
    assert core.budget().timezone == "Pacific/Kiritimati"


def test_an_edit_away_from_the_recorded_day_is_refused_at_once_and_held_until_reverted(tmp_path, clock):
    a = configured(tmp_path, "a.toml", "")
    edits = Edits()
    core = core_of(a, clock, edits)
    edits.next = replace(a, budget=replace(a.budget, timezone="Asia/Tokyo", daily_total=50.0))
    with pytest.raises(SharedBudgetMismatch, match='"Asia/Tokyo"'):
        core.budget()
    edits.next = replace(a, budget=replace(a.budget, daily_total=50.0))
    snapshot = core.budget()
    assert (snapshot.timezone, snapshot.total) == ("UTC", 50.0)


def test_adopt_from_the_command_line(tmp_path, monkeypatch, capsys):
    from server.cli import main

    b = tmp_path / "b.toml"
    b.write_text('[budget]\ntimezone = "Pacific/Kiritimati"\n', encoding="utf-8")
    for key, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert main(["budget", "--json"]) == 0  # records UTC
    monkeypatch.setenv("SWITCHBOARD_CONFIG", str(b))
    assert main(["budget"]) == 2
    err = capsys.readouterr().err  # the message, not the class name (SharedBudgetMismatch) it was said with
    assert err.startswith('switchboard: budget.timezone is "Pacific/Kiritimati" in this process') and "Mismatch" not in err
    assert main(["budget", "adopt"]) == 0
    assert "budget.timezone: 'UTC' -> 'Pacific/Kiritimati'" in capsys.readouterr().out
    assert main(["budget", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["timezone"] == "Pacific/Kiritimati"


@pytest.mark.parametrize("unreadable", ["not json", '"UTC"', '{"source": "a.toml"}'])
def test_an_unreadable_record_is_recorded_again_and_still_binds(tmp_path, clock, unreadable):
    # A value edited by hand into something unreadable was said to be recorded again by the next process, but
    # INSERT OR IGNORE kept it: the state dir then checked no time zone at all, and a process counting another
    # day started (JSON that is not a record, '"UTC"', failed the start with an AttributeError).
    a = configured(tmp_path, "a.toml", "")
    db = Database(a.state_dir / DB_FILENAME)
    db.query("INSERT INTO kv (key, value, updated_at) VALUES ('budget.shared.timezone', ?, 0)", [unreadable])
    db.close()
    core = core_of(a, clock)
    assert recorded(core.db)["timezone"]["value"] == "UTC"
    with pytest.raises(SharedBudgetMismatch, match='records "UTC"'):
        core_of(configured(tmp_path, "b.toml", '[budget]\ntimezone = "Pacific/Kiritimati"\n'), clock)


def test_spend_recorded_by_hand_is_refused_too_while_the_day_disagrees(tmp_path, clock):
    # record_usage with a cost wrote it under this process's day though the state dir counted another: every
    # decision was refused, but a manual cost still went to a date no other process reads.
    a = configured(tmp_path, "a.toml", "")
    ticks = [0.0]
    core = core_of(a, clock)
    core._settings_updates = SharedBudgetGuard(core.db, a, None, every=5.0, monotonic=lambda: ticks[0])
    db = Database(a.state_dir / DB_FILENAME)
    adopt(db, replace(a, budget=replace(a.budget, timezone="Pacific/Kiritimati")))
    db.close()
    ticks[0] = 5.0
    with pytest.raises(SharedBudgetMismatch):
        core.record_usage("codex", requests=None, tokens=None, cost_usd=1.0, manual=True)
    assert core.db.query("SELECT count(*) FROM budget_spend")[0][0] == 0
    core.record_usage("codex", requests=3, tokens=300, manual=False)  # no money: counted as ever
