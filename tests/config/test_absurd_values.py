"""Values no real setup has (a typo's extra digits) are refused with the file, the key and the bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings


@pytest.mark.parametrize(("toml", "key", "bound"), [
    ("[budget]\ndaily_total = 1e300", "budget.daily_total", "1000000"),
    ("[budget.allocation]\ncodex = 5e6", "budget.allocation.codex", "1000000"),
    ("[execution]\nmax_output_tokens = 99999999999999999999", "execution.max_output_tokens", "10000000"),
    ("[output_tokens]\ncode_generation = 20000000", "output_tokens.code_generation", "10000000"),
    ("[providers.codex]\ncost_per_request = 1e9", "providers.codex.cost_per_request", "1000000"),
])
def test_absurd_amounts_are_refused(tmp_path, env, toml, key, bound):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert f"{user}: '{key}' = " in str(err.value)
    assert f"less than or equal to {bound}" in str(err.value)


def test_large_real_setups_still_load(tmp_path, env):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[budget]\ndaily_total = 50000\n[execution]\nmax_output_tokens = 128000\n", encoding="utf-8")
    settings = load_settings(environ=env, cwd=tmp_path)
    assert (settings.budget.daily_total, settings.execution.max_output_tokens) == (50000.0, 128000)
