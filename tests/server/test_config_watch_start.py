"""A server follows an edit of the budget made while it started (config/watch.py, server/commands/serve.py)."""

from __future__ import annotations

from types import SimpleNamespace

from tests.config.test_watch import Ticks, budget, edit, user_file


def test_an_edit_made_while_the_server_starts_is_applied(cli_env, env, monkeypatch):
    # The watch took its first look at the files when the core was built (the warm-up, after the imports, the
    # state dir's checks and the transport's start): an edit saved after the settings were read but before that
    # was taken as already seen, and the server ran on the old budget until the file was edited again.
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cli_env / "cache"))
    ticks = Ticks()
    monkeypatch.setattr("config.watch.time", SimpleNamespace(monotonic=ticks))
    from server.commands import serve

    parts, _ = serve._server()
    edit(user_file(env), budget(10, 3, 4, 3))  # while the server starts
    core = parts.get_core()
    ticks.now += 1
    assert core.budget().total == 10.0
