"""A TOML value of the wrong type is refused, not converted: "100" is no number and true no count."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings


@pytest.mark.parametrize(("toml", "key", "hint"), [
    ('[budget]\ndaily_total = "100"', "budget.daily_total", "write the number without quotes"),
    ("[execution]\nmax_retries = true", "execution.max_retries", "true and false are not numbers"),
    ('[execution]\nbatch_concurrency = "8"', "execution.batch_concurrency", "write the number without quotes"),
    ("[audit]\nenabled = 1", "audit.enabled", "write true or false"),
    ('[audit]\nenabled = "yes"', "audit.enabled", "write true or false"),
    ("[execution]\nmax_retries = 2.5", "execution.max_retries", "write a whole number"),
    ('[providers.codex]\nrequests_per_minute = "3000"', "providers.codex.requests_per_minute", "without quotes"),
])
def test_wrong_type_names_file_key_and_fix(tmp_path, env, toml, key, hint):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert f"{user}: '{key}' = " in str(err.value)
    assert hint in str(err.value)
    assert (err.value.file, err.value.key) == (str(user), key)


def test_integers_still_do_for_amounts(tmp_path, env):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[budget]\ndaily_total = 100\n[execution]\nrequest_timeout_seconds = 60\n", encoding="utf-8")
    settings = load_settings(environ=env, cwd=tmp_path)
    assert settings.budget.daily_total == 100.0
    assert settings.execution.request_timeout_seconds == 60.0
