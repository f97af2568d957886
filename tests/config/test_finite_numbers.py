"""Every number in the configuration must be finite: inf passes ge/gt checks, so it is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings


def user_config(env: dict[str, str], text: str) -> Path:
    """The user file (a project file may not set the reservation TTL), holding ``text``."""
    path = Path(env["HOME"]) / ".config" / "switchboard" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[budget]\ndaily_total = inf\n", "budget.daily_total"),
        ("[budget]\ndaily_total = nan\n", "budget.daily_total"),
        ("[budget.allocation]\ncodex = inf\n", "budget.allocation.codex"),
        ("[budget]\nreservation_ttl_seconds = inf\n", "budget.reservation_ttl_seconds"),
        ("[providers.codex]\ncost_per_request = inf\n", "providers.codex.cost_per_request"),
        ("[execution]\nrequest_timeout_seconds = inf\n", "execution.request_timeout_seconds"),
    ],
)
def test_infinite_numbers_are_refused_naming_the_key(tmp_path, env, toml, key):
    (tmp_path / ".switchboard.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert err.value.key == key
    assert f"'{key}' =" in str(err.value)
    assert "must be a finite number" in str(err.value)


@pytest.mark.parametrize(("ttl", "timeout", "ok"), [(900, 120, True), (60, 30, True), (3, 30, False), (900, 1800, False)])
def test_reservations_must_outlast_a_provider_call(tmp_path, env, ttl, timeout, ok):
    # A reservation is refreshed between calls, not during one: had it lapsed mid-call, another process
    # could reserve the same money (two servers spent $0.16 of a $0.10 allocation).
    path = user_config(env, f"[budget]\nreservation_ttl_seconds = {ttl}\n[execution]\nrequest_timeout_seconds = {timeout}\n")
    if ok:
        assert load_settings(environ=env, cwd=tmp_path).budget.reservation_ttl_seconds == ttl
        return
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert str(err.value).splitlines()[1].strip() == (
        f"{path}: budget.reservation_ttl_seconds ({ttl}) must be at least twice execution.request_timeout_seconds "
        f"({timeout}): a reservation would lapse while its provider call still runs, and another process could "
        f"spend the same money; raise the TTL to {2 * timeout} or more, or lower the timeout")


def test_a_request_timeout_beyond_a_day_is_refused_at_start(tmp_path, env):
    # 1e10 loaded, and then every API call failed in httpx with OverflowError ('timestamp out of range').
    # The TTL at its own maximum (it was 2e10, to outlast the timeout, and is refused itself now): only the timeout is
    # wrong here.
    user_config(env, "[budget]\nreservation_ttl_seconds = 172800\n[execution]\nrequest_timeout_seconds = 1e10\n")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert err.value.key == "execution.request_timeout_seconds" and "86400" in str(err.value)


@pytest.mark.parametrize(("lines", "expected"), [
    ("", 450.0),  # the default: an agent's turn on a CLI runs for minutes
    ("[budget]\nreservation_ttl_seconds = 60\n[execution]\nrequest_timeout_seconds = 30\n", 30.0),  # half the TTL
    ("[execution]\ncli_timeout_seconds = 300\n", 300.0),
])
def test_a_cli_run_has_its_own_timeout(tmp_path, env, lines, expected):
    user_config(env, lines)
    execution = load_settings(environ=env, cwd=tmp_path).execution
    assert execution.cli_timeout_seconds == expected
    assert execution.longest_call_seconds == max(expected, execution.request_timeout_seconds)


def test_a_cli_timeout_the_reservations_do_not_outlast_is_refused(tmp_path, env):
    user_config(env, "[execution]\ncli_timeout_seconds = 1200\n")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert "budget.reservation_ttl_seconds (900) must be at least twice execution.cli_timeout_seconds (1200)" in str(err.value)


@pytest.mark.parametrize(
    ("toml", "key", "says"),
    [
        # 0.001 s: a server probed a provider in outage (a paid call) a thousand times a second
        ("[execution]\noutage_probe_interval_seconds = 0.001\n", "execution.outage_probe_interval_seconds",
         "greater than or equal to 1"),
        # 0.0001: every task estimated at 40,000 times its tokens, so refused by any budget
        ("[execution]\nchars_per_token = 0.0001\n", "execution.chars_per_token", "greater than or equal to 0.5"),
        ("[execution]\nchars_per_token = 400\n", "execution.chars_per_token", "less than or equal to 20"),
    ],
)
def test_settings_far_outside_their_sense_are_refused_naming_the_key(tmp_path, env, toml, key, says):
    (tmp_path / ".switchboard.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert err.value.key == key and says in str(err.value)
