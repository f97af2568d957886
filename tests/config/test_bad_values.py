"""A bad TOML value is refused with the file, the key and the fix: of the wrong type, it is not converted ("100"
is no number and true no count); beyond what any real setup has (a typo's extra digits), the bound is named."""

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
    ("[budget]\ndaily_total = 1e300", "budget.daily_total", "less than or equal to 1000000"),
    ("[budget.allocation]\ncodex = 5e6", "budget.allocation.codex", "less than or equal to 1000000"),
    ("[execution]\nmax_output_tokens = 99999999999999999999", "execution.max_output_tokens",
     "less than or equal to 10000000"),
    ("[output_tokens]\ncode_generation = 20000000", "output_tokens.code_generation", "less than or equal to 10000000"),
    ("[providers.codex]\ncost_per_request = 1e9", "providers.codex.cost_per_request", "less than or equal to 1000000"),
    # "keep forever" written as a big number: the pruning cutoff (today minus keep_days) fell before year 1, and the
    # first decision of each day failed with OverflowError while writing its audit line.
    ("[audit]\nkeep_days = 1000000", "audit.keep_days", "less than or equal to 36500"),
    # A table where a value or an array belongs was read as a check across keys: the message named neither the key
    # nor the fix ("Input should be a valid list"), for [providers.codex.models] written for [[...]] above all.
    ("[providers.codex.models]\nname = 'gpt-5'\ninput_per_mtok = 1.0\noutput_per_mtok = 8.0", "providers.codex.models",
     "write [[providers.codex.models]] (two brackets)"),
    ("[budget.timezone]\nname = 'UTC'", "budget.timezone", "write timezone = ... under [budget] instead"),
    ("[agents_dirs]\npath = 'agents'", "agents_dirs", "write agents_dirs = ... before the file's first [table]"),
])
def test_a_bad_value_names_file_key_and_fix(tmp_path, env, toml, key, hint):
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


def test_large_real_setups_still_load(tmp_path, env):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[budget]\ndaily_total = 50000\n[execution]\nmax_output_tokens = 128000\n"
                    "[audit]\nkeep_days = 36500\n", encoding="utf-8")
    settings = load_settings(environ=env, cwd=tmp_path)
    assert (settings.budget.daily_total, settings.execution.max_output_tokens) == (50000.0, 128000)
    assert settings.audit.keep_days == 36500


def test_lowering_the_daily_total_alone_says_the_allocations_must_follow(tmp_path, env):
    # The commonest edit (README: "a project file may lower it") was refused with "allocations add up to 100.00,
    # more than daily_total 50.00", blamed on the file that holds no allocation at all: it named neither the
    # allocations' keys nor where they came from (the shipped defaults), nor what to do.
    from config.loader import DEFAULT_SOURCE

    project = tmp_path / ".switchboard.toml"
    project.write_text("[budget]\ndaily_total = 50\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    message = str(err.value)
    assert "allocations add up to 100, more than daily_total 50" in message
    assert "codex 30, gemini 40, claude 30" in message
    assert str(project) in message and DEFAULT_SOURCE in message  # where each of the two numbers was set
    assert "lower budget.allocation" in message and "raise budget.daily_total" in message


def test_allocations_over_the_daily_total_by_less_than_a_cent_say_by_how_much(tmp_path, env):
    # Before: "allocations add up to 100.00, more than daily_total 100.00", two equal amounts refused as unequal.
    project = tmp_path / ".switchboard.toml"
    project.write_text("[budget]\ndaily_total = 100\n[budget.allocation]\ncodex = 30.004\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert "allocations add up to 100.004, more than daily_total 100 " in str(err.value)
