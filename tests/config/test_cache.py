"""The validated-config cache: reused only while every input is unchanged, never a reason to fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError, cache, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tamper(cache_dir: Path, daily_total: float) -> None:
    """Change the stored data (not its key), so a load that reuses the entry shows it."""
    entry_path = cache_dir / cache.FILENAME
    entry = json.loads(entry_path.read_text())
    entry["data"]["config"]["budget"]["daily_total"] = daily_total
    entry_path.write_text(json.dumps(entry))


def test_a_cached_load_equals_a_validated_one_and_reuses_the_entry(tmp_path, env):
    cache_dir = tmp_path / "cache"
    plain = load_settings(environ=env, cwd=tmp_path)
    first = load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    assert (cache_dir / cache.FILENAME).is_file()
    second = load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    assert plain == first == second
    assert len(second.agents) == len(plain.agents) > 0

    tamper(cache_dir, 12.5)
    assert load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir).budget.daily_total == 12.5


def test_the_environment_applies_after_the_cache(tmp_path, env):
    cache_dir = tmp_path / "cache"
    load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    other = load_settings(environ={**env, "SWITCHBOARD_HOME": str(tmp_path / "elsewhere")}, cwd=tmp_path,
                          cache_dir=cache_dir)
    assert other.state_dir == tmp_path / "elsewhere"


def test_a_changed_or_new_override_file_is_validated_again(tmp_path, env):
    cache_dir = tmp_path / "cache"
    load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    tamper(cache_dir, 12.5)
    project = write(tmp_path / ".switchboard.toml", "[budget]\ndaily_total = 50\n[budget.allocation]\ncodex = 10\ngemini = 10\nclaude = 10\n")
    assert load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir).budget.daily_total == 50
    project.write_text("[budget]\ndaily_total = 40\n[budget.allocation]\ncodex = 10\ngemini = 10\nclaude = 10\n", encoding="utf-8")
    s = load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    assert s.budget.daily_total == 40 and s.sources[-1] == str(project)


def test_an_invalid_file_fails_as_without_a_cache_and_is_never_stored(tmp_path, env):
    cache_dir = tmp_path / "cache"
    load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    stored = (cache_dir / cache.FILENAME).read_bytes()
    project = write(tmp_path / ".switchboard.toml", "[budget]\ndaily_totl = 5\n")
    with pytest.raises(ConfigError) as cached:
        load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    with pytest.raises(ConfigError) as plain:
        load_settings(environ=env, cwd=tmp_path)
    assert str(cached.value) == str(plain.value)
    assert (cached.value.file, cached.value.key) == (str(project), "budget.daily_totl")
    assert "allowed here:" in str(cached.value)
    assert (cache_dir / cache.FILENAME).read_bytes() == stored


@pytest.mark.parametrize("content", ["not json", '{"key": "x"}', "[]", ""])
def test_a_broken_entry_is_a_miss_and_is_replaced(tmp_path, env, content):
    cache_dir = tmp_path / "cache"
    write(cache_dir / cache.FILENAME, content)
    s = load_settings(environ=env, cwd=tmp_path, cache_dir=cache_dir)
    assert s == load_settings(environ=env, cwd=tmp_path)
    entry = json.loads((cache_dir / cache.FILENAME).read_text())
    assert set(entry) == {"key", "data"}


def test_an_unwritable_cache_dir_is_skipped(tmp_path, env):
    blocker = write(tmp_path / "a-file", "")
    s = load_settings(environ=env, cwd=tmp_path, cache_dir=blocker / "cache")
    assert s == load_settings(environ=env, cwd=tmp_path)


def test_the_key_covers_every_text_and_its_source():
    base = [("a", "x = 1"), ("b", "y = 2")]
    assert cache.cache_key(base) == cache.cache_key(list(base))
    assert cache.cache_key(base) != cache.cache_key([("a", "x = 1"), ("b", "y = 3")])
    assert cache.cache_key(base) != cache.cache_key([("a", "x = 1"), ("c", "y = 2")])
    assert cache.cache_key(base) != cache.cache_key(base[::-1])


def test_the_user_cache_dir_follows_xdg():
    assert cache.user_cache_dir({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == Path("/c/switchboard")
    assert cache.user_cache_dir({"HOME": "/h"}) == Path("/h/.cache/switchboard")
