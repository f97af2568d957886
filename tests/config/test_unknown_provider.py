"""A provider table Switchboard doesn't know is named as such, with the file it is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_partial_unknown_provider_is_unknown_not_incomplete(tmp_path, env):
    user = write(Path(env["HOME"]) / ".config/switchboard/config.toml", '[providers.mistral]\ndisplay_name = "M"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    text = str(err.value)
    assert f"{user}: unknown provider table(s) providers.mistral" in text
    assert "codex, gemini, claude" in text
    assert "missing required key" not in text


def test_the_file_named_is_the_one_holding_the_table(tmp_path, env):
    user = write(Path(env["HOME"]) / ".config/switchboard/config.toml", "[providers.Mistral-AI]\nx = 1\n")
    write(tmp_path / ".switchboard.toml", "[providers.codex]\nrequests_per_minute = 10\n")  # later, same table
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, cwd=tmp_path)
    assert str(err.value).splitlines()[1].strip().startswith(f"{user}: unknown provider table(s) providers.Mistral-AI")
    assert err.value.file == str(user)
