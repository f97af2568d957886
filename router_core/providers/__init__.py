"""Provider adapters: the three APIs over httpx, the three coding CLIs as subprocesses, and backend selection.

Every adapter satisfies ``ProviderAdapter`` (``complete`` and ``probe``) and raises only router_core.errors.
``build_adapter`` picks api / cli / none per provider from settings and the environment.
"""

from router_core.providers.anthropic import AnthropicAdapter
from router_core.providers.base import (
    Completion,
    CompletionRequest,
    ProviderAdapter,
    RateLimitObservation,
)
from router_core.providers.cli import CliAdapter, CliRun
from router_core.providers.gemini import GeminiAdapter
from router_core.providers.openai import OpenAIChatAdapter, OpenAIResponsesAdapter
from router_core.providers.registry import (
    BackendChoice,
    NoBackend,
    build_adapter,
    choose_backend,
    describe_backend,
)

__all__ = [
    "AnthropicAdapter",
    "BackendChoice",
    "CliAdapter",
    "CliRun",
    "Completion",
    "CompletionRequest",
    "GeminiAdapter",
    "NoBackend",
    "OpenAIChatAdapter",
    "OpenAIResponsesAdapter",
    "ProviderAdapter",
    "RateLimitObservation",
    "build_adapter",
    "choose_backend",
    "describe_backend",
]
