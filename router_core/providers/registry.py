"""Choosing each provider's backend (api, cli or none) from settings and the environment.

``backend = "auto"``: ``api`` if the provider's key (or its base-URL variable, for a keyless compatible
endpoint, not the provider's own URL) is set, else ``cli`` if the CLI's executable is on PATH, else ``none``. ``"api"``, ``"cli"`` and
``"none"`` force the choice; a forced ``"api"`` with no key and the provider's own URL (which refuses a call
without one) is ``none``, saying which variable to set, as ``auto`` with nothing does: sent, the call failed
only when it reached the provider, or as an outage offline. Without a key, ``"api"`` sends to any other URL (a
``*_BASE_URL`` variable's or ``providers.<p>.base_url``: a keyless compatible endpoint). Keys and base URLs by
wire format:

    openai-responses / openai-chat   OPENAI_API_KEY                    OPENAI_BASE_URL     (includes /v1)
    anthropic                        ANTHROPIC_API_KEY                 ANTHROPIC_BASE_URL
    gemini                           GEMINI_API_KEY or GOOGLE_API_KEY  GEMINI_BASE_URL
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from router_core.clock import Clock
from router_core.errors import NotConfigured
from router_core.providers._http import HttpAdapter
from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.base import Completion, CompletionRequest, ProviderAdapter
from router_core.providers.cli import CliAdapter, CliDialect
from router_core.providers.cli_claude import CLAUDE
from router_core.providers.cli_codex import CODEX
from router_core.providers.cli_gemini import GEMINI
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.openai import OpenAIChatAdapter, OpenAIResponsesAdapter
from router_core.redact import mask_url
from router_core.settings import ProviderSettings


@dataclass(frozen=True, slots=True)
class WireFormat:
    adapter: type[HttpAdapter]
    key_vars: tuple[str, ...]
    base_url_var: str
    default_base_url: str


API_STYLES: dict[str, WireFormat] = {
    "openai-responses": WireFormat(OpenAIResponsesAdapter, ("OPENAI_API_KEY",), "OPENAI_BASE_URL",
                                   "https://api.openai.com/v1"),
    "openai-chat": WireFormat(OpenAIChatAdapter, ("OPENAI_API_KEY",), "OPENAI_BASE_URL",
                              "https://api.openai.com/v1"),
    "anthropic": WireFormat(AnthropicAdapter, ("ANTHROPIC_API_KEY",), "ANTHROPIC_BASE_URL",
                            "https://api.anthropic.com"),
    "gemini": WireFormat(GeminiAdapter, ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "GEMINI_BASE_URL",
                         "https://generativelanguage.googleapis.com"),
}
DEFAULT_API_STYLE = {"codex": "openai-responses", "claude": "anthropic", "gemini": "gemini"}
CLI_DIALECTS: dict[str, CliDialect] = {"codex": CODEX, "gemini": GEMINI, "claude": CLAUDE}
# The keys each CLI may use itself (CODEX_API_KEY overrides codex exec's login, provider-apis.md 5.2); the other
# providers' keys are left out of its environment: a coding CLI runs model-written commands with it.
CLI_OWN_KEYS = {
    "codex": ("OPENAI_API_KEY", "CODEX_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "claude": ("ANTHROPIC_API_KEY",),
}
DEFAULT_CLI_COMMAND = {
    "codex": ("codex", "exec", "--json", "--skip-git-repo-check"),
    "gemini": ("gemini", "--output-format", "json"),
    "claude": ("claude", "-p", "--output-format", "json"),
}


class NoBackend:
    """A provider with nothing to execute on: recommendation only; any call says what to configure."""

    backend = "none"

    def __init__(self, provider: str, message: str) -> None:
        self.name = provider
        self.message = message

    async def complete(self, request: CompletionRequest) -> Completion:
        raise NotConfigured(self.message)

    async def probe(self) -> None:
        raise NotConfigured(self.message)


@dataclass(frozen=True, slots=True)
class BackendChoice:
    backend: str  # "api" | "cli" | "none"
    api_style: str
    base_url: str
    key_var: str | None  # the variable the key came from; None if no key
    executable: str | None  # the CLI's resolved path, if found
    reason: str


def choose_backend(
    provider: ProviderSettings, *, environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> BackendChoice:
    style = provider.api_style or DEFAULT_API_STYLE.get(provider.name, "openai-chat")
    if style not in API_STYLES:
        raise NotConfigured(f"providers.{provider.name}.api_style {style!r} is not one of {', '.join(API_STYLES)}")
    wire = API_STYLES[style]
    key_var = next((v for v in wire.key_vars if environ.get(v)), None)
    base_from_env = environ.get(wire.base_url_var)
    base_url = (base_from_env or provider.base_url or wire.default_base_url).rstrip("/")
    command = provider.cli_command or DEFAULT_CLI_COMMAND.get(provider.name, ())
    executable = which(command[0]) if command else None

    def choice(backend: str, reason: str) -> BackendChoice:
        return BackendChoice(backend, style, base_url, key_var, executable, reason)

    if provider.backend == "api" and not key_var and _needs_a_key(base_url, wire):
        return choice("none", f"providers.{provider.name}.backend = 'api' but {' or '.join(wire.key_vars)} is "
                              "not set")
    if provider.backend in ("api", "cli", "none"):
        return choice(provider.backend, f"providers.{provider.name}.backend = {provider.backend!r}")
    keyless_endpoint = base_from_env and not _needs_a_key(base_url, wire)  # a vendor's own URL refuses keyless calls
    if key_var or keyless_endpoint:
        return choice("api", f"{key_var or wire.base_url_var} is set")
    if executable:
        return choice("cli", f"{command[0]} found at {executable}")
    if base_from_env:
        return choice("none", f"{wire.base_url_var} names {mask_url(base_url)}, which refuses a call without a "
                              f"key, and {' or '.join(wire.key_vars)} is not set; no CLI found")
    return choice("none", "no API key and no CLI found")


def _needs_a_key(base_url: str, wire: WireFormat) -> bool:
    """Whether ``base_url`` is the provider's own endpoint, which refuses a call without a key (a compatible
    endpoint elsewhere may take one without)."""
    own = httpx.URL(wire.default_base_url)
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return False  # said when sent (providers._http)
    return (url.host or "").lower().rstrip(".") == own.host


def backend_in_effect(
    provider: ProviderSettings, *, environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which,
    nested: str | None = None,
) -> dict[str, str | None]:
    """What ``provider`` executes on from here, as JSON: the backend, why, and where it sends (a ``*_BASE_URL``
    variable's URL, which overrides ``providers.<p>.base_url``, masked), the variable its key comes from (never the
    key) or the CLI found. ``nested``: the pid of the Switchboard that dispatched the task this process runs in
    (providers.nesting), which dispatches nothing."""
    picked = choose_backend(provider, environ=environ, which=which)
    backend = "none" if nested else picked.backend
    return {
        "backend": backend,
        "reason": (f"this Switchboard runs inside a task that Switchboard (pid {nested}) dispatched, so it "
                   "recommends but does not dispatch") if nested else picked.reason,
        "api_style": picked.api_style,
        "base_url": mask_url(picked.base_url) if backend == "api" else None,
        "key_from": picked.key_var if backend == "api" else None,
        "cli": picked.executable if backend == "cli" else None,
    }


def build_adapter(
    provider: ProviderSettings,
    *,
    environ: Mapping[str, str],
    client: httpx.AsyncClient,
    clock: Clock,
    which: Callable[[str], str | None] = shutil.which,
    api_timeout: float | None = None,
    cli_timeout: float | None = None,
) -> ProviderAdapter:
    picked = choose_backend(provider, environ=environ, which=which)
    if picked.backend == "api":
        wire = API_STYLES[picked.api_style]
        return wire.adapter(
            client=client, base_url=picked.base_url, api_key=environ.get(picked.key_var) if picked.key_var else None,
            provider=provider.name, clock=clock, default_model=provider.default_model, timeout=api_timeout,
        )
    if picked.backend == "cli":
        command = list(provider.cli_command or DEFAULT_CLI_COMMAND.get(provider.name, ()))
        if not command:
            return NoBackend(provider.name, f"providers.{provider.name}.cli_command is empty")
        if picked.executable:
            command[0] = picked.executable
        cli = provider.name if provider.name in CLI_DIALECTS else command[0].rsplit("/", 1)[-1]
        if cli not in CLI_DIALECTS:
            return NoBackend(provider.name, f"{provider.name}: no known CLI output format for {command[0]!r}")
        extra = {"timeout": cli_timeout} if cli_timeout is not None else {}
        return CliAdapter(provider=provider.name, command=command, dialect=CLI_DIALECTS[cli], clock=clock,
                          environ=cli_environ(cli, environ), default_model=provider.default_model, **extra)
    return NoBackend(provider.name, _what_to_set(provider, picked, environ))


# Secrets of Switchboard's own that no coding CLI needs: the team server's token (server/http_auth.py) would let
# a prompt-injected agent, which runs model-written commands, reach the team's shared server; so would the
# file holding it, named by the other variable.
SWITCHBOARD_SECRETS = ("SWITCHBOARD_HTTP_TOKEN", "SWITCHBOARD_HTTP_TOKEN_FILE")


def cli_environ(cli: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the API keys of providers other than ``cli``'s own, nor Switchboard's secrets."""
    own = CLI_OWN_KEYS.get(cli, ())
    known = {var for wire in API_STYLES.values() for var in wire.key_vars} | {v for k in CLI_OWN_KEYS.values() for v in k}
    others = (known - set(own)) | set(SWITCHBOARD_SECRETS)
    return {name: value for name, value in environ.items() if name not in others}


def describe_backend(
    provider: ProviderSettings, *, environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> str:
    """One line for people: the backend, where it points, whether a key is present (never the key)."""
    picked = choose_backend(provider, environ=environ, which=which)
    if picked.backend == "api":
        key = f"key from {picked.key_var}" if picked.key_var else "no API key set"
        return f"{provider.name}: api ({picked.api_style}) at {mask_url(picked.base_url)}, {key} [{picked.reason}]"
    if picked.backend == "cli":
        command = " ".join(provider.cli_command or DEFAULT_CLI_COMMAND.get(provider.name, ()))
        where = picked.executable or "NOT FOUND on PATH"
        return f"{provider.name}: cli ({command}; executable {where}) [{picked.reason}]"
    return f"{provider.name}: none (recommendation only) — {_what_to_set(provider, picked, environ)}"


def _what_to_set(provider: ProviderSettings, picked: BackendChoice, environ: Mapping[str, str] | None = None) -> str:
    wire = API_STYLES[picked.api_style]
    keys = " or ".join(wire.key_vars)
    command = provider.cli_command or DEFAULT_CLI_COMMAND.get(provider.name, ())
    cli = command[0] if command else f"the {provider.name}"
    if provider.backend == "api":  # forced, with no key for the provider's own URL (choose_backend)
        return (f"providers.{provider.name}.backend is 'api' but {keys} is not set, and "
                f"{mask_url(picked.base_url)} refuses a call without a key: set {keys} (or {wire.base_url_var} "
                f"for a keyless compatible endpoint), or set providers.{provider.name}.backend to 'auto' or 'cli'")
    forced = f"providers.{provider.name}.backend is 'none'. " if provider.backend == "none" else ""
    missing = ""
    if command and not picked.executable and environ is not None and provider.backend != "none":
        missing = f" ({_not_found(tuple(command), provider.name, environ)})"
    return (
        f"{forced}Set {keys} (or {wire.base_url_var} for a compatible endpoint), or install the {cli} CLI "
        f"and log in{missing}, or set providers.{provider.name}.backend"
    )


def _not_found(command: tuple[str, ...], name: str, environ: Mapping[str, str]) -> str:
    """Why ``command``'s executable was not found, for a user who has it installed: a file of that name on PATH
    that cannot be run, or a PATH shorter than their shell's (an MCP host may start servers with one: a CLI
    installed under nvm or ~/.local/bin is then not found, and "install it" alone sent them to install it again)."""
    executable = command[0]
    if os.sep in executable:
        return f"{executable} is not an executable file"
    for folder in (environ.get("PATH") or "").split(os.pathsep):
        candidate = os.path.join(folder or ".", executable)
        if os.path.isfile(candidate):
            return f"{candidate} is on PATH but not executable: chmod +x it, or reinstall the CLI"
    rest = "".join(f", {json.dumps(arg)}" for arg in command[1:])
    return (f"{executable!r} is not on the PATH this process runs with, which an MCP host may start shorter than "
            f"your shell's; if it is installed, set providers.{name}.cli_command = [\"<its full path: which "
            f"{executable}>\"{rest}] in your user config")
