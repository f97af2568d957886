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
