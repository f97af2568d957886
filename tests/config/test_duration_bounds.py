"""A duration in seconds is refused beyond the longest it can mean anything at, naming the key, the value and the
range: 1e12 loaded, then overflowed datetime and asyncio where it became a time, or parked a task for centuries."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings
from tests.config.test_finite_numbers import user_config


@pytest.mark.parametrize(("table", "key", "bound", "allowed"), [
    ("execution", "backoff_max_seconds", 3600, "from 0 to 3600 seconds (an hour)"),
    ("execution", "backoff_base_seconds", 3600, "from 0 to 3600 seconds (an hour)"),
    ("execution", "outage_probe_interval_seconds", 86400, "from 1 to 86400 seconds (a day)"),
    ("execution", "max_park_seconds", 86400, "from 0 to 86400 seconds (a day)"),
    ("budget", "reservation_ttl_seconds", 172800, "above 0, at most 172800 seconds (two days)"),
    ("http", "session_idle_timeout_seconds", 604800, "from 60 to 604800 seconds (a week)"),
])
def test_an_absurd_duration_is_refused_with_its_key_value_and_range(tmp_path, env, table, key, bound, allowed):
    path = user_config(env, f"[{table}]\n{key} = 1e12\n")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert (err.value.file, err.value.key) == (str(path), f"{table}.{key}")
    assert str(err.value).splitlines()[1].strip() == (
        f"{path}: '{table}.{key}' = 1000000000000.0: Input should be less than or equal to {bound}; allowed: {allowed}")
    path.write_text(f"[{table}]\n{key} = {bound}\n")  # the bound itself loads
    assert getattr(getattr(load_settings(environ=env, cwd=tmp_path), table), key) == bound


def test_the_range_is_said_below_the_lower_bound_too(tmp_path, env):
    user_config(env, "[execution]\noutage_probe_interval_seconds = 0.5\n")
    with pytest.raises(ConfigError, match=r"= 0\.5: Input should be greater than or equal to 1; "
                                          r"allowed: from 1 to 86400 seconds \(a day\)"):
        load_settings(environ=env, cwd=tmp_path)


def test_an_http_session_lapses_after_8_idle_hours_unless_configured(tmp_path, env):
    # The SDK's default, 30 minutes, ended a teammate's session over lunch; Claude Code then showed the 404 on every
    # call until /mcp reconnected it (server/http_headers.py). 8 hours outlasts a working day's pauses.
    assert load_settings(environ=env, cwd=tmp_path).http.session_idle_timeout_seconds == 8 * 3600
    path = user_config(env, "[http]\nsession_idle_timeout_seconds = 1800\n")
    assert load_settings(environ=env, cwd=tmp_path).http.session_idle_timeout_seconds == 1800
    path.write_text("[http]\nsession_idle_timeout_seconds = 5\n")
    with pytest.raises(ConfigError, match=r"allowed: from 60 to 604800 seconds \(a week\)"):
        load_settings(environ=env, cwd=tmp_path)
