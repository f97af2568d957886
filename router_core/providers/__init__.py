"""Provider adapters: the three APIs over httpx, the three coding CLIs as subprocesses, and backend selection.

Every adapter satisfies ``ProviderAdapter`` (``complete`` and ``probe``) and raises only router_core.errors.
``build_adapter`` picks api / cli / none per provider from settings and the environment.

The names are imported on first use (PEP 562), so a process that only routes (a server answering
recommend_provider) does not pay for importing httpx at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "AnthropicAdapter": "anthropic",
    "BackendChoice": "registry",
    "CliAdapter": "cli",
    "CliRun": "cli",
    "Completion": "base",
    "CompletionRequest": "base",
    "GeminiAdapter": "gemini",
    "NoBackend": "registry",
    "OpenAIChatAdapter": "openai",
    "OpenAIResponsesAdapter": "openai",
    "ProviderAdapter": "base",
    "RateLimitObservation": "base",
    "build_adapter": "registry",
    "choose_backend": "registry",
    "describe_backend": "registry",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
