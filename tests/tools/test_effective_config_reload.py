"""config://effective follows a configuration edited while the server runs (config/watch.py)."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from config import load_settings
from config.watch import ConfigWatch
from router_core.classifier.keywords import KeywordClassifier
from router_core.clock import FakeClock
from router_core.core import RouterCore
from server.app import create_server
from tests.config.test_watch import Ticks, budget, edit, user_file
from tests.conftest import T0


async def effective(client: Client) -> dict:
    return json.loads((await client.read_resource("config://effective")).contents[0].text)


def watched_server(tmp_path, env):
    """A server on a core whose settings a ConfigWatch updates (checked each tick of ``ticks``)."""
    settings = load_settings(environ=env, cwd=tmp_path)
    ticks = Ticks()
    watch = ConfigWatch(settings, environ=env, cwd=tmp_path, every=1.0, monotonic=ticks)
    core = RouterCore.build(settings, clock=FakeClock(T0), classifier=KeywordClassifier(settings.providers),
                            settings_updates=watch)
    return core, create_server(settings, core_factory=lambda: core, live_interval=None), ticks


@pytest.mark.parametrize("applied_by", ["the resource", "another read"])
async def test_an_edited_budget_is_shown_with_the_files_it_came_from(tmp_path, env, applied_by):
    # The resource read core.settings without looking for an edit, and once another read had applied one (the
    # server's live updates read the budget every second) it showed the new budget with the files of before: the
    # user file created to lower it was not among them.
    core, server, ticks = watched_server(tmp_path, env)
    async with Client(server) as client:
        before = await effective(client)
        path = user_file(env)
        assert str(path) not in before["sources"]
        edit(path, budget(10, 3, 4, 3))
        ticks.now += 1
        if applied_by == "another read":
            assert core.budget().total == 10.0
        after = await effective(client)
    assert after["budget"]["daily_total"] == 10.0
    assert after["sources"] == [*before["sources"], str(path)]


async def test_an_edit_waiting_for_a_restart_or_invalid_is_shown(tmp_path, env):
    # config://effective showed the configuration in force and the edited file among its sources, and nothing of
    # an edit it had not applied: "classifier": "trained" under a file saying "keywords", or an old budget under a
    # file whose edit did not validate. The server said why on stderr only, into the host's log.
    core, server, ticks = watched_server(tmp_path, env)
    started = core.settings.budget.daily_total
    path = user_file(env)
    async with Client(server) as client:
        assert (await effective(client))["edits_not_in_force"] is None
        edit(path, 'classifier = "keywords"\n')
        ticks.now += 1
        waiting = (await effective(client))["edits_not_in_force"]
        edit(path, "[budget]\ndaily_total = 10\ndaily_totl = 10\n")
        ticks.now += 1
        invalid = await effective(client)
    assert waiting["waiting_for_restart"] == ["classifier"]
    assert invalid["budget"]["daily_total"] == started
    assert "budget.daily_totl" in invalid["edits_not_in_force"]["invalid"]
