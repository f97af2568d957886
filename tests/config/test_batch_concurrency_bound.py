"""execution.batch_concurrency stops where run_batch's `parallel` and `switchboard batch --parallel` stop: a default
of 100 loaded, and no call could then ask for what the default gave."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings
from router_core.batch_limits import MAX_BATCH_PARALLEL
from tests.config.test_finite_numbers import user_config


def test_a_batch_concurrency_above_what_a_call_may_ask_is_refused(tmp_path, env):
    path = user_config(env, "[execution]\nbatch_concurrency = 100\n")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert err.value.key == "execution.batch_concurrency"
    assert f"less than or equal to {MAX_BATCH_PARALLEL}" in str(err.value)
    path.write_text(f"[execution]\nbatch_concurrency = {MAX_BATCH_PARALLEL}\n")  # the bound itself loads
    assert load_settings(environ=env, cwd=tmp_path).execution.batch_concurrency == MAX_BATCH_PARALLEL
