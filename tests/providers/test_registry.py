"""Backend selection: keys and base URLs from the environment, CLIs from PATH, forced backends, NoBackend."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import replace

import pytest

from router_core.errors import AuthFailed, NotConfigured
from router_core.providers import (
    AnthropicAdapter,
    CliAdapter,
    CompletionRequest,
    GeminiAdapter,
    NoBackend,
    OpenAIChatAdapter,
    OpenAIResponsesAdapter,
    ProviderAdapter,
    build_adapter,
    choose_backend,
    describe_backend,
)
from router_core.settings import ProviderSettings, Settings
from tests.providers.conftest import FAKE_BIN


def no_cli(name: str) -> str | None:
    return None


def fake_cli(name: str) -> str | None:
    return str(FAKE_BIN / name)


@pytest.fixture
def providers(settings: Settings) -> dict[str, ProviderSettings]:
    return {p.name: p for p in settings.providers}


def build(provider, env, client, clock, which=no_cli):
    return build_adapter(provider, environ=env, client=client, clock=clock, which=which)


@pytest.mark.parametrize(
    ("name", "env", "adapter_type"),
    [
        ("codex", {"OPENAI_API_KEY": "sk-1"}, OpenAIResponsesAdapter),
        ("claude", {"ANTHROPIC_API_KEY": "sk-ant-1"}, AnthropicAdapter),
        ("gemini", {"GEMINI_API_KEY": "AIza1"}, GeminiAdapter),
        ("gemini", {"GOOGLE_API_KEY": "AIza2"}, GeminiAdapter),
    ],
)
async def test_auto_with_a_key_is_api(providers, client, clock, name, env, adapter_type):
    adapter = build(providers[name], env, client, clock, which=fake_cli)
    assert type(adapter) is adapter_type
    assert (adapter.name, adapter.backend) == (name, "api")


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_auto_without_key_uses_the_cli_when_found(providers, client, clock, name):
    adapter = build(providers[name], {}, client, clock, which=fake_cli)
    assert isinstance(adapter, CliAdapter)
    assert adapter.command[0] == str(FAKE_BIN / name)
    assert adapter.command[1:] == providers[name].cli_command[1:]


@pytest.mark.parametrize("name", ["codex", "gemini", "claude"])
async def test_auto_with_nothing_is_none_and_says_what_to_set(providers, client, clock, name):
    adapter = build(providers[name], {}, client, clock)
    assert isinstance(adapter, NoBackend)
    assert adapter.backend == "none"
    with pytest.raises(NotConfigured) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    with pytest.raises(NotConfigured):
        await adapter.probe()
    assert f"or set providers.{name}.backend" in str(caught.value)


async def test_none_message_for_codex_is_exact(providers, client, clock):
    adapter = build(providers["codex"], {}, client, clock)
    assert adapter.message == (
        "Set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible endpoint), or install the codex CLI and log in "
        "('codex' is not on the PATH this process runs with, which an MCP host may start shorter than your shell's; "
        'if it is installed, set providers.codex.cli_command = ["<its full path: which codex>", "exec", "--json", '
        '"--skip-git-repo-check"] in your user config), or set providers.codex.backend'
    )
    gemini = build(providers["gemini"], {}, client, clock)
    assert gemini.message.startswith("Set GEMINI_API_KEY or GOOGLE_API_KEY (or GEMINI_BASE_URL")


async def test_base_url_env_alone_selects_a_keyless_api(providers, client, clock, fake):
    env = {"OPENAI_BASE_URL": fake.base_url("codex") + "/"}
    choice = choose_backend(providers["codex"], environ=env, which=fake_cli)
    assert (choice.backend, choice.base_url, choice.key_var) == ("api", fake.base_url("codex"), None)


async def test_base_url_from_env_overrides_config_and_reaches_the_fake(providers, client, clock, fake):
    env = {"ANTHROPIC_API_KEY": "sk-ant-1", "ANTHROPIC_BASE_URL": fake.base_url("claude")}
    adapter = build(providers["claude"], env, client, clock)
    result = await adapter.complete(CompletionRequest(prompt="hi"))
    assert result.model == providers["claude"].default_model
    assert fake.last_request("claude").headers["x-api-key"] == "sk-ant-1"


async def test_config_base_url_is_used_without_env(providers, client, clock, fake):
    provider = replace(providers["gemini"], base_url=fake.base_url("gemini"))
    adapter = build(provider, {"GEMINI_API_KEY": "AIza1"}, client, clock)
    await adapter.complete(CompletionRequest(prompt="hi"))
    assert fake.last_request("gemini").path == f"/gemini/v1beta/models/{provider.default_model}:generateContent"


async def test_gemini_key_preferred_over_google_key(providers, client, clock, fake):
    env = {"GEMINI_API_KEY": "first", "GOOGLE_API_KEY": "second", "GEMINI_BASE_URL": fake.base_url("gemini")}
    await build(providers["gemini"], env, client, clock).complete(CompletionRequest(prompt="hi"))
    assert fake.last_request("gemini").headers["x-goog-api-key"] == "first"


async def test_openai_chat_style(providers, client, clock):
    provider = replace(providers["codex"], api_style="openai-chat")
    assert type(build(provider, {"OPENAI_API_KEY": "k"}, client, clock)) is OpenAIChatAdapter


@pytest.mark.parametrize(
    ("forced", "env", "which", "expected"),
    [
        ("api", {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, fake_cli, OpenAIResponsesAdapter),  # keyless endpoint
        ("api", {}, fake_cli, NoBackend),  # forced api, no key for OpenAI's own URL: says what to set (below)
        ("cli", {"OPENAI_API_KEY": "k"}, fake_cli, CliAdapter),  # forced cli despite a key
        ("cli", {}, no_cli, CliAdapter),  # forced cli not found: fails when run, with NotConfigured
        ("none", {"OPENAI_API_KEY": "k"}, fake_cli, NoBackend),
    ],
)
async def test_forced_backends(providers, client, clock, forced, env, which, expected):
    adapter = build(replace(providers["codex"], backend=forced), env, client, clock, which=which)
    assert type(adapter) is expected


async def test_forced_none_says_so(providers, client, clock):
    adapter = build(replace(providers["claude"], backend="none"), {}, client, clock)
    assert adapter.message.startswith("providers.claude.backend is 'none'. Set ANTHROPIC_API_KEY")


async def test_unknown_api_style_is_not_configured(providers):
    with pytest.raises(NotConfigured, match="api_style 'grpc'"):
        choose_backend(replace(providers["codex"], api_style="grpc"), environ={})


async def test_cli_backend_runs_the_resolved_executable(providers, client, clock, tmp_path):
    env = {**os.environ, "FAKE_CLI_TEXT": "from the fake"}
    which = lambda name: shutil.which(name, path=str(FAKE_BIN))  # noqa: E731
    adapter = build_adapter(providers["gemini"], environ=env, client=client, clock=clock, which=which)
    result = await adapter.complete(CompletionRequest(prompt="hi"))
    assert (result.text, result.backend, result.model) == ("from the fake", "cli", providers["gemini"].default_model)


def test_describe_backend_never_shows_the_key(providers):
    env = {"OPENAI_API_KEY": "sk-secret-123"}
    line = describe_backend(providers["codex"], environ=env, which=no_cli)
    assert line == ("codex: api (openai-responses) at https://api.openai.com/v1, key from OPENAI_API_KEY "
                    "[OPENAI_API_KEY is set]")
    assert "sk-secret" not in line


def test_describe_cli_and_none(providers):
    cli = describe_backend(providers["claude"], environ={}, which=fake_cli)
    assert cli == (f"claude: cli (claude -p --output-format json; executable {FAKE_BIN / 'claude'}) "
                   f"[claude found at {FAKE_BIN / 'claude'}]")
    none = describe_backend(providers["gemini"], environ={}, which=no_cli)
    assert none.startswith("gemini: none (recommendation only) — Set GEMINI_API_KEY or GOOGLE_API_KEY")
    keyless = describe_backend(replace(providers["codex"], backend="api"),
                               environ={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, which=no_cli)
    assert "no API key set" in keyless


async def test_every_backend_satisfies_the_protocol(providers, client, clock):
    built = [
        build(providers["codex"], {"OPENAI_API_KEY": "k"}, client, clock),
        build(providers["claude"], {}, client, clock, which=fake_cli),
        build(providers["gemini"], {}, client, clock),
    ]
    assert [a.backend for a in built] == ["api", "cli", "none"]
    assert all(isinstance(a, ProviderAdapter) for a in built)


@pytest.mark.parametrize("name, own", [("codex", {"OPENAI_API_KEY", "CODEX_API_KEY"}),
                                       ("claude", {"ANTHROPIC_API_KEY"}),
                                       ("gemini", {"GEMINI_API_KEY", "GOOGLE_API_KEY"})])
async def test_a_cli_gets_its_own_api_keys_but_not_the_other_providers(providers, client, clock, tmp_path, name, own):
    # Every key reached every CLI, whose model-written shell commands run with its environment.
    keys = {"OPENAI_API_KEY", "CODEX_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"}
    env = {**os.environ, **dict.fromkeys(keys, "secret"), "FAKE_CLI_RECORD": str(tmp_path / "runs.jsonl")}
    seen = tmp_path / "env.txt"
    script = tmp_path / name
    script.write_text(f"#!{sys.executable}\nimport os, runpy, sys\n"
                      f"open({str(seen)!r}, 'w').write(' '.join(sorted(os.environ)))\n"
                      f"sys.argv[0] = {str(FAKE_BIN / name)!r}\nrunpy.run_path(sys.argv[0], run_name='__main__')\n")
    script.chmod(0o755)
    adapter = build(replace(providers[name], backend="cli"), env, client, clock, which=lambda _: str(script))
    await adapter.complete(CompletionRequest(prompt="hi"))
    passed = set(seen.read_text().split())
    assert passed & keys == own
    assert "PATH" in passed and "HOME" in passed


def test_the_team_servers_token_is_kept_from_every_cli():
    # A coding CLI runs model-written commands: a prompt-injected agent could read SWITCHBOARD_HTTP_TOKEN from
    # its environment and reach the team's shared server with it.
    from router_core.providers.registry import cli_environ

    environ = {"SWITCHBOARD_HTTP_TOKEN": "team-token-0123456789", "PATH": "/usr/bin", "OPENAI_API_KEY": "k",
               "SWITCHBOARD_HTTP_TOKEN_FILE": "/run/secrets/switchboard"}
    for cli in ("codex", "gemini", "claude"):
        assert "SWITCHBOARD_HTTP_TOKEN" not in cli_environ(cli, environ)
        assert "SWITCHBOARD_HTTP_TOKEN_FILE" not in cli_environ(cli, environ)
        assert cli_environ(cli, environ)["PATH"] == "/usr/bin"


async def test_a_cli_on_path_that_cannot_run_is_named_not_to_be_installed_again(providers, client, clock, tmp_path):
    # "install the claude CLI and log in" was all it said, for a claude on PATH without its execute bit (or one
    # on the PATH of the user's shell but not of the MCP host that started the server): installed again, the
    # same.
    (tmp_path / "claude").write_text("#!/bin/sh\n")
    adapter = build(providers["claude"], {"PATH": f"/nonexistent{os.pathsep}{tmp_path}"}, client, clock)
    assert f"({tmp_path / 'claude'} is on PATH but not executable: chmod +x it" in adapter.message
    elsewhere = build(providers["claude"], {"PATH": "/nonexistent"}, client, clock)
    assert ("'claude' is not on the PATH this process runs with" in elsewhere.message
            and 'cli_command = ["<its full path: which claude>", "-p", "--output-format", "json"]' in elsewhere.message)


@pytest.mark.parametrize(("name", "keys", "base_var"), [
    ("codex", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    ("claude", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    ("gemini", "GEMINI_API_KEY or GOOGLE_API_KEY", "GEMINI_BASE_URL"),
])
async def test_forced_api_without_a_key_for_the_providers_own_url_says_what_to_set_before_any_call(
        providers, client, clock, name, keys, base_var):
    # backend = "api" with no key sent every task to api.openai.com (or Anthropic's, Google's): refused there, or
    # offline "Name or service not known", an outage that opened the provider's circuit, never naming the key.
    provider = replace(providers[name], backend="api")
    assert choose_backend(provider, environ={}, which=fake_cli).backend == "none"
    adapter = build(provider, {}, client, clock, which=fake_cli)
    assert isinstance(adapter, NoBackend)
    with pytest.raises(NotConfigured) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert str(caught.value).startswith(f"providers.{name}.backend is 'api' but {keys} is not set")
    assert f"set {keys} (or {base_var} for a keyless compatible endpoint)" in str(caught.value)
    assert describe_backend(provider, environ={}, which=no_cli).startswith(f"{name}: none (recommendation only) — ")
    trailing = replace(provider, base_url=provider.base_url + "/")  # the same host, however written
    assert choose_backend(trailing, environ={}, which=no_cli).backend == "none"


@pytest.mark.parametrize("name", ["codex", "claude", "gemini"])
async def test_forced_api_without_a_key_still_sends_to_a_keyless_compatible_endpoint(
        providers, client, clock, fake, name):
    provider = replace(providers[name], backend="api")
    by_env = choose_backend(provider, environ={API_BASE_VARS[name]: fake.base_url(name)}, which=no_cli)
    by_config = choose_backend(replace(provider, base_url=fake.base_url(name)), environ={}, which=no_cli)
    assert (by_env.backend, by_env.key_var, by_config.backend) == ("api", None, "api")
    adapter = build(provider, {API_BASE_VARS[name]: fake.base_url(name)}, client, clock)
    with contextlib.suppress(AuthFailed):  # the fake, like the providers, wants a key; a local endpoint may not
        await adapter.complete(CompletionRequest(prompt="x"))
    assert fake.stats(name).requests == 1


API_BASE_VARS = {"codex": "OPENAI_BASE_URL", "claude": "ANTHROPIC_BASE_URL", "gemini": "GEMINI_BASE_URL"}


@pytest.mark.parametrize("name", ["codex", "claude", "gemini"])
async def test_auto_without_a_key_does_not_pick_api_for_the_providers_own_url(providers, client, clock, name):
    # OPENAI_BASE_URL=https://api.openai.com/v1 (a copied .env) and no key: auto picked api and every call went out
    # keyless, refused there; backend = "api" already said which key to set.
    own = {"codex": "https://api.openai.com/v1", "claude": "https://api.anthropic.com",
           "gemini": "https://generativelanguage.googleapis.com"}[name]
    env = {API_BASE_VARS[name]: own}
    assert choose_backend(providers[name], environ=env, which=fake_cli).backend == "cli"
    picked = choose_backend(providers[name], environ=env, which=no_cli)
    assert picked.backend == "none"
    assert API_BASE_VARS[name] in picked.reason
    adapter = build(providers[name], env, client, clock)
    assert isinstance(adapter, NoBackend)
    with pytest.raises(NotConfigured, match="Set (OPENAI|ANTHROPIC|GEMINI)_API_KEY"):
        await adapter.complete(CompletionRequest(prompt="x"))
