"""config://effective shows where providers are reached without the secrets a URL can carry."""

from __future__ import annotations

import json

import pytest

from resources.views import effective_config

SECRET = "s3cr3t"


@pytest.mark.parametrize("url", [
    f"http://user:p@{SECRET}@127.0.0.1:9/v1",  # a password holding an '@'
    f"https://proxy.example/v1?key={SECRET}",  # a proxy's API key in the query
    f"https://proxy.example/v1?a=1&{SECRET}",
    f"https://proxy.example/v1#token={SECRET}",
    f"http://[::1:9/v1?key={SECRET}",  # not even a URL
])
def test_base_url_secrets_are_masked(keyword_core, url):
    shown = effective_config(keyword_core, environ={"OPENAI_BASE_URL": url, "OPENAI_API_KEY": SECRET})
    assert SECRET not in json.dumps(shown)
    assert shown["environment"]["OPENAI_BASE_URL"].count("***") >= 1


def test_plain_urls_are_shown_whole(keyword_core):
    shown = effective_config(keyword_core, environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})
    assert shown["environment"]["OPENAI_BASE_URL"] == "http://127.0.0.1:8080/v1"
    assert shown["providers"]["codex"]["base_url"] == "https://api.openai.com/v1"


def test_a_cli_commands_secret_is_masked_and_the_agents_dirs_are_shown(settings, clock, tmp_path):
    # cli_command was shown as written ('--api-key sk-...' of a wrapper) and agents_dirs not at all (review).
    from dataclasses import replace

    from router_core.classifier.keywords import KeywordClassifier
    from router_core.core import RouterCore

    key = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"
    codex = replace(settings.provider("codex"), cli_command=("codex-wrapper", "--api-key", key, "exec", "--json"))
    custom = replace(settings, providers=tuple(codex if p.name == "codex" else p for p in settings.providers),
                     agents_dirs=(tmp_path / "agents",))
    core = RouterCore.build(custom, clock=clock, classifier=KeywordClassifier(custom.providers))
    shown = effective_config(core, environ={})
    assert key not in json.dumps(shown)
    assert shown["providers"]["codex"]["cli_command"] == ["codex-wrapper", "--api-key", "[redacted]", "exec", "--json"]
    assert shown["agents_dirs"] == [str(tmp_path / "agents")]


def test_a_key_in_a_base_urls_path_is_masked(keyword_core):
    # A gateway that takes the key in the path (https://gw.example/<key>/v1) had it shown whole: only the user info,
    # the query and the fragment were masked.
    key = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"
    shown = effective_config(keyword_core, environ={"OPENAI_BASE_URL": f"https://gw.example/{key}/v1"})
    assert key not in json.dumps(shown)
    assert shown["environment"]["OPENAI_BASE_URL"] == "https://gw.example/[redacted]/v1"


def test_every_unset_variable_says_not_set_and_a_set_path_is_shown(keyword_core):
    # The paths and base URLs showed null when unset, beside keys that said "not set" (an empty value is unset to
    # every reader of these variables, so it is "not set" too).
    shown = effective_config(keyword_core, environ={"SWITCHBOARD_CONFIG": "", "OPENAI_BASE_URL": ""})["environment"]
    assert set(shown.values()) == {"not set"}
    for var in ("SWITCHBOARD_HOME", "SWITCHBOARD_CONFIG", "SWITCHBOARD_HTTP_TOKEN_FILE", "OPENAI_BASE_URL",
                "GEMINI_BASE_URL", "OPENAI_API_KEY", "SWITCHBOARD_HTTP_TOKEN"):
        assert shown[var] == "not set"
    environ = {"SWITCHBOARD_HOME": "/srv/switchboard", "SWITCHBOARD_HTTP_TOKEN_FILE": "/run/secrets/switchboard"}
    shown = effective_config(keyword_core, environ=environ)["environment"]
    assert shown["SWITCHBOARD_HOME"] == "/srv/switchboard"
    assert shown["SWITCHBOARD_HTTP_TOKEN_FILE"] == "/run/secrets/switchboard"
