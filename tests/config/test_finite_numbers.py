"""Every number in the configuration must be finite: inf passes ge/gt checks, so it is refused by name."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings


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
