"""config://effective says what each provider really executes on: providers.<p>.base_url is the files' value, which
a *_BASE_URL variable overrides, and backend "auto" is resolved only when the server starts."""

from __future__ import annotations

import json

from mcp import Client

from resources.views import effective_config
from server.app import create_server


def no_cli(_name: str) -> None:
    return None


def test_a_base_url_variable_is_shown_as_the_url_in_effect(keyword_core):
    # Before, providers.codex.base_url read https://api.openai.com/v1 while every request went to OPENAI_BASE_URL,
    # and backend read "auto": nothing said the server sends codex's tasks elsewhere, nor on what.
    env = {"OPENAI_API_KEY": "sk-test-0123456789", "OPENAI_BASE_URL": "http://user:pw@127.0.0.1:9/v1"}
    shown = effective_config(keyword_core, environ=env, which=no_cli)
    assert shown["providers"]["codex"]["base_url"] == "https://api.openai.com/v1"  # the files' value, as before
    codex = shown["backends"]["codex"]
    assert codex["backend"] == "api" and codex["key_from"] == "OPENAI_API_KEY"
    assert codex["base_url"] == "http://***@127.0.0.1:9/v1" and codex["reason"] == "OPENAI_API_KEY is set"
    gemini = shown["backends"]["gemini"]
    assert gemini["backend"] == "none" and gemini["base_url"] is None and gemini["reason"] == "no API key and no CLI found"
    assert "sk-test" not in json.dumps(shown) and "pw@" not in json.dumps(shown)


def test_a_cli_backend_names_the_executable_found(keyword_core):
    shown = effective_config(keyword_core, environ={}, which=lambda name: f"/opt/bin/{name}")
    claude = shown["backends"]["claude"]
    assert claude == {"backend": "cli", "reason": "claude found at /opt/bin/claude", "api_style": "anthropic",
                      "base_url": None, "key_from": None, "cli": "/opt/bin/claude"}


def test_inside_a_dispatched_task_nothing_is_executed(keyword_core):
    shown = effective_config(keyword_core, environ={"SWITCHBOARD_DISPATCHED": "4242", "OPENAI_API_KEY": "sk-x"},
                             which=no_cli)
    assert {b["backend"] for b in shown["backends"].values()} == {"none"}
    assert "(pid 4242)" in shown["backends"]["codex"]["reason"]


async def test_the_resource_has_every_providers_backend(settings, keyword_core):
    server = create_server(settings, core_factory=lambda: keyword_core, live_interval=None)
    async with Client(server) as c:
        shown = json.loads((await c.read_resource("config://effective")).contents[0].text)
    assert set(shown["backends"]) == {p.name for p in settings.providers}
