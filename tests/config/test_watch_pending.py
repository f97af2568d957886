"""What of an edited configuration a running server has not applied, and why (config/watch.py): shown in
config://effective, since the host's log (where the server's stderr goes) is where no user looks."""

from __future__ import annotations

import pytest

from tests.config.test_watch import Ticks, budget, edit, user_file, watch_of


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def test_nothing_is_pending_while_the_files_say_what_runs(tmp_path, env, ticks):
    watch = watch_of(env, tmp_path, ticks)
    assert watch.pending() is None
    edit(user_file(env), budget(50, 10, 20, 20))  # the budget applies at once: nothing waits
    ticks.now += 1
    assert watch() is not None
    assert watch.pending() is None


def test_the_keys_an_edit_changed_that_wait_for_a_restart_are_named(tmp_path, env, ticks):
    # Seen by hand: classifier = "keywords" and a budget saved while a server ran. The budget applied;
    # config://effective went on saying "classifier": "trained" and listed the edited file among its sources,
    # with no word that the rest waits for a restart (that was said only on the server's stderr).
    watch = watch_of(env, tmp_path, ticks)
    edit(user_file(env), 'classifier = "keywords"\n' + budget(50, 10, 20, 20)
         + '[providers.codex]\nrequests_per_minute = 10\ndefault_model = "gpt-5.4"\n[execution]\nmax_retries = 1\n')
    ticks.now += 1
    assert watch() is not None
    pending = watch.pending()
    assert pending["waiting_for_restart"] == ["classifier", "execution.max_retries", "providers.codex.default_model",
                                              "providers.codex.requests_per_minute"]
    assert "invalid" not in pending and "restart" in pending["note"]
    edit(user_file(env), budget(50, 10, 20, 20))  # edited back: nothing waits any more
    ticks.now += 1
    watch()
    assert watch.pending() is None


def test_an_invalid_edit_is_pending_with_its_error_until_fixed(tmp_path, env, ticks):
    # A typo beside a lowered budget: the running server kept the old budget, and said so only on stderr.
    watch = watch_of(env, tmp_path, ticks)
    path = user_file(env)
    edit(path, "[budget]\ndaily_total = 10\ndaily_totl = 10\n")
    ticks.now += 1
    assert watch() is None
    pending = watch.pending()
    assert str(path) in pending["invalid"] and "budget.daily_totl" in pending["invalid"]
    assert "stays in force" in pending["note"]
    edit(path, budget(10, 3, 4, 3))
    ticks.now += 1
    assert watch() is not None
    assert watch.pending() is None


def test_a_moved_state_dir_waits_with_the_budget_it_brings(tmp_path, env, ticks):
    env = {"HOME": env["HOME"]}  # no SWITCHBOARD_HOME: the files choose the state dir
    watch = watch_of(env, tmp_path, ticks)
    edit(tmp_path / ".switchboard.toml", f'state_dir = "{tmp_path / "own"}"\n[budget]\ndaily_total = 500\n'
                                         "[budget.allocation]\ncodex = 200\n")
    ticks.now += 1
    assert watch() is None
    assert watch.pending()["waiting_for_restart"] == ["budget.allocation", "budget.daily_total", "state_dir"]


def test_an_invalid_edit_names_no_key_of_an_earlier_edit_the_files_no_longer_say(tmp_path, env, ticks):
    # Review: classifier = "keywords" saved, then the file replaced by one with a typo: "waiting_for_restart" still
    # named "classifier", which the files no longer set.
    watch = watch_of(env, tmp_path, ticks)
    path = user_file(env)
    edit(path, 'classifier = "keywords"\n')
    ticks.now += 1
    watch()
    assert watch.pending()["waiting_for_restart"] == ["classifier"]
    edit(path, "[budget]\ndaily_totl = 10\n")
    ticks.now += 1
    watch()
    pending = watch.pending()
    assert "budget.daily_totl" in pending["invalid"] and pending["waiting_for_restart"] == []
