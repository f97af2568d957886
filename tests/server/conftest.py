"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli_env(monkeypatch, tmp_path, env):
    """The environment of a CLI run in ``tmp_path``: the test state dirs, routed by keywords."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SWITCHBOARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".switchboard.toml").write_text('classifier = "keywords"\n')
    return tmp_path
