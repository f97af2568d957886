"""A configuration edited while a server runs: its budget binds the running core (config/watch.py)."""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest

from config import load_settings
from config.watch import ConfigWatch
from router_core.classifier.keywords import KeywordClassifier
from router_core.clock import FakeClock
from router_core.core import AUDIT_DIRNAME, RouterCore
from router_core.errors import BudgetExceeded
from tests.conftest import T0


def user_file(env: dict[str, str]) -> Path:
    path = Path(env["HOME"]) / ".config/switchboard/config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def edit(path: Path, text: str) -> None:
    """Write ``path`` so its stat differs from before, as any real edit's does (a new size or mtime)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def emptied_now(path: Path, ticks: Ticks) -> None:
    """Empty ``path`` now (``ticks``' now), as an editor saving in place truncates it (its mtime the truncation's)."""
    path.write_text("", encoding="utf-8")
    now = ticks.wall_ns()
    os.utime(path, ns=(now, now))


def budget(total: float, codex: float, gemini: float, claude: float) -> str:
    return f"[budget]\ndaily_total = {total}\n[budget.allocation]\ncodex = {codex}\ngemini = {gemini}\nclaude = {claude}\n"


class Ticks:
    """A fake clock: monotonic seconds, and the wall clock files' mtimes are compared with (wall_ns)."""

    EPOCH_NS = 1_800_000_000 * 10**9  # a wall-clock time in 2027: edit()'s mtimes (1970 on) are long before it

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def wall_ns(self) -> int:
        return self.EPOCH_NS + int(self.now * 1e9)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def watch_of(env, cwd, ticks) -> ConfigWatch:
    return ConfigWatch(load_settings(environ=env, cwd=cwd), environ=env, cwd=cwd, every=1.0, monotonic=ticks,
                       wall_ns=ticks.wall_ns)


def test_nothing_edited_gives_nothing_and_costs_no_load(tmp_path, env, ticks, monkeypatch):
    watch = watch_of(env, tmp_path, ticks)
    monkeypatch.setattr("config.watch.load_settings", lambda **_: pytest.fail("loaded with nothing edited"))
    for _ in range(3):
        ticks.now += 5
        assert watch() is None


def test_an_edit_is_seen_once_its_interval_has_passed(tmp_path, env, ticks):
    watch = watch_of(env, tmp_path, ticks)
    edit(user_file(env), budget(10, 3, 4, 3))
    ticks.now += 0.5
    assert watch() is None  # not checked yet
    ticks.now += 0.6
    new = watch()
    assert new is not None and new.budget.daily_total == 10
    ticks.now += 2
    assert watch() is None  # seen


def test_a_project_file_created_in_a_parent_folder_counts(tmp_path, env, ticks):
    work = tmp_path / "repo" / "pkg"
    work.mkdir(parents=True)
    watch = watch_of(env, work, ticks)
    edit(tmp_path / "repo" / ".switchboard.toml", budget(25, 5, 10, 10))
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 25


def test_an_invalid_edit_is_logged_and_changes_nothing_until_fixed(tmp_path, env, ticks, caplog):
    watch = watch_of(env, tmp_path, ticks)
    path = user_file(env)
    edit(path, "[budget]\ndaily_total = -5\n")
    ticks.now += 1
    with caplog.at_level(logging.ERROR, logger="config.watch"):
        assert watch() is None
    assert "not valid" in caplog.text and "daily_total" in caplog.text
    ticks.now += 1
    assert watch() is None  # the same broken file is not loaded (nor logged) again
    edit(path, budget(5, 1, 2, 2))
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 5


def test_an_edit_that_moves_the_state_dir_waits_for_a_restart(tmp_path, env, ticks, caplog):
    env = {"HOME": env["HOME"]}  # no SWITCHBOARD_HOME: the files choose the state dir
    watch = watch_of(env, tmp_path, ticks)
    # With a state dir of its own a project file may raise the budget: not the running server's shared one.
    edit(tmp_path / ".switchboard.toml", f'state_dir = "{tmp_path / "own"}"\n[budget]\ndaily_total = 500\n'
                                         "[budget.allocation]\ncodex = 200\n")
    ticks.now += 1
    with caplog.at_level(logging.WARNING, logger="config.watch"):
        assert watch() is None
    assert "restarts" in caplog.text


def test_other_edits_are_said_to_wait_for_a_restart(tmp_path, env, ticks, caplog):
    watch = watch_of(env, tmp_path, ticks)
    edit(user_file(env), budget(50, 10, 20, 20) + "[providers.codex]\nrequests_per_minute = 10\n")
    ticks.now += 1
    with caplog.at_level(logging.WARNING, logger="config.watch"):
        new = watch()
    assert new is not None and new.budget.daily_total == 50
    assert "other changes take effect when this server restarts" in caplog.text


# -- the running core ----------------------------------------------------------------------------------


@pytest.fixture
def watched(tmp_path, env, ticks):
    settings = load_settings(environ=env, cwd=tmp_path)
    watch = ConfigWatch(settings, environ=env, cwd=tmp_path, every=1.0, monotonic=ticks)
    return RouterCore.build(settings, clock=FakeClock(T0), classifier=KeywordClassifier(settings.providers),
                            settings_updates=watch)


def test_lowering_the_daily_total_binds_a_running_core(watched, env, ticks):
    core = watched
    core.ledger.record_spend("codex", 8.0)
    before = core.capacity()  # a snapshot the shared-state cache keeps
    assert before.budget.total == 100.0
    edit(user_file(env), budget(10, 2, 6, 2))
    ticks.now += 1
    assert core.capacity().budget.total == 10.0  # not the cached snapshot of the old limits
    assert core.budget().remaining == pytest.approx(2.0)
    with pytest.raises(BudgetExceeded, match=r"\$10\.00"):
        core.ledger.reserve("gemini", 5.0)
    assert core.settings.budget.daily_total == 10.0
    lines = [json.loads(line) for f in sorted((core.settings.state_dir / AUDIT_DIRNAME).glob("*.jsonl"))
             for line in f.read_text().splitlines()]
    changed = [r for r in lines if r["event"] == "budget_changed"]
    assert len(changed) == 1
    assert (changed[0]["previous_daily_total"], changed[0]["daily_total"]) == (100.0, 10.0)


def test_a_lowered_allocation_refuses_a_routed_task(watched, env, ticks):
    core = watched
    edit(user_file(env), "[budget.allocation]\ncodex = 0\n")
    ticks.now += 1
    decision = core.decide("Implement a JWT login endpoint in Flask", audit=False)
    assert decision.budget.provider("codex").allocation == 0.0
    assert decision.recommendation.provider != "codex"
    assert any(b.reason.startswith("budget:") for b in decision.availability["codex"].blocks)


def test_a_broken_edit_keeps_the_budget_in_force(watched, env, ticks):
    core = watched
    edit(user_file(env), budget(20, 5, 10, 5))
    ticks.now += 1
    assert core.budget().total == 20.0
    edit(user_file(env), "[budget\ndaily_total = 1\n")  # half-saved: not TOML
    ticks.now += 1
    assert core.budget().total == 20.0


def test_a_failure_while_reloading_keeps_the_configuration_in_force(watched, env, ticks, monkeypatch, caplog):
    def broken(**_):
        raise RuntimeError("a bug")

    monkeypatch.setattr("config.watch.load_settings", broken)
    edit(user_file(env), budget(20, 5, 10, 5))
    ticks.now += 1
    with caplog.at_level(logging.ERROR, logger="config.watch"):
        assert watched.budget().total == 100.0  # routing goes on
    assert "could not be loaded" in caplog.text


def test_a_new_file_that_only_edits_the_budget_is_not_said_to_wait_for_a_restart(tmp_path, env, ticks, caplog):
    # The file list (Settings.sources) counted as an "other change": a user file created to lower the budget logged
    # that other changes wait for a restart, when there were none.
    watch = watch_of(env, tmp_path, ticks)
    edit(user_file(env), budget(10, 3, 4, 3))
    ticks.now += 1
    with caplog.at_level(logging.WARNING, logger="config.watch"):
        new = watch()
    assert new is not None and new.budget.daily_total == 10
    assert "restart" not in caplog.text


def test_a_file_caught_empty_mid_save_is_not_applied_until_it_stays_so(tmp_path, env, ticks):
    # An editor saving in place truncates the file, then writes it: an empty file is valid TOML meaning the shipped
    # defaults, and a check between the two raised the user's budget of 10 to the default 100 for a second.
    path = user_file(env)
    edit(path, budget(10, 3, 4, 3))
    watch = watch_of(env, tmp_path, ticks)
    emptied_now(path, ticks)  # (edit's mtimes start at 1970: a file emptied that long ago is not being saved)
    ticks.now += 1
    assert watch() is None  # caught mid-save: the budget of 10 stays
    edit(path, budget(20, 5, 10, 5))
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 20
    emptied_now(path, ticks)  # emptied on purpose, and left so: the defaults, one check later
    ticks.now += 1
    assert watch() is None
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 100


def test_a_budget_edit_on_a_full_audit_disk_still_applies(watched, env, ticks, monkeypatch, caplog):
    core = watched

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("router_core.audit_writer._write_all", disk_full)
    edit(user_file(env), budget(10, 2, 6, 2))
    ticks.now += 1
    with caplog.at_level(logging.ERROR, logger="router_core.core"):
        assert core.budget().total == 10.0  # not StateUnusable from the audit line of the change
    assert "audit line of the budget change not written" in caplog.text


def test_a_file_caught_gone_mid_save_is_not_applied_until_it_stays_so(tmp_path, env, ticks):
    # An editor that keeps a backup (Emacs, vim without backupcopy) renames the file away, then writes a new one: a
    # check between the two read the shipped defaults, raising the user's budget of 10 to 100 until the next check.
    path = user_file(env)
    edit(path, budget(10, 3, 4, 3))
    watch = watch_of(env, tmp_path, ticks)
    path.rename(path.with_name("config.toml~"))
    ticks.now += 1
    assert watch() is None  # caught mid-save: the budget of 10 stays
    edit(path, budget(20, 5, 10, 5))
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 20
    path.unlink()  # removed on purpose, and left so: the defaults, one check later
    ticks.now += 1
    assert watch() is None
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 100


def test_a_config_path_of_no_user_is_watched_as_missing_not_raised(tmp_path, env):
    # A server takes the signature before it reads the settings, whose ConfigError says what is wrong: the
    # signature's RuntimeError (pathlib's, for ~ of a user that does not exist) was a traceback at start.
    from config.watch import files_signature

    signature = files_signature({**env, "SWITCHBOARD_CONFIG": "~switchboard-no-such-user/c.toml"}, tmp_path)
    assert signature[-1] == ("~switchboard-no-such-user/c.toml", None)


def test_a_file_emptied_before_the_last_interval_applies_at_the_first_check(tmp_path, env, ticks):
    # Checks run before decisions, not on a timer: a file emptied on purpose a while ago was taken for one caught
    # mid-save by the first check after it, so that decision (get_budget after a quiet spell) still saw the budget
    # of 10 the file had said, and the defaults came only with the decision after it.
    path = user_file(env)
    edit(path, budget(10, 3, 4, 3))
    watch = watch_of(env, tmp_path, ticks)
    path.write_text("", encoding="utf-8")
    an_hour_ago = ticks.wall_ns() - 3600 * 10**9  # on the watch's (fake) wall clock
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    ticks.now += 1
    new = watch()
    assert new is not None and new.budget.daily_total == 100
