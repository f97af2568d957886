"""What every provider adapter takes and gives: a request in, a Completion out, errors from router_core.errors.

Adapters are the I/O edge of the core. An HTTP adapter wraps one provider API over an injected
``httpx.AsyncClient``; a CLI adapter runs a provider's coding CLI as a subprocess; ``NoBackend`` says what to
configure. All raise only ``router_core.errors`` types (``ProviderError`` subclasses or ``NotConfigured``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from router_core.slot_init import slot_init


@slot_init
@dataclass(frozen=True, slots=True)
class CompletionRequest:
    prompt: str
    system_prompt: str = ""
    context: str = ""
    model: str = ""  # empty: the adapter's default model
    max_output_tokens: int | None = None
    timeout: float | None = None  # seconds for the whole call; None: the adapter's default
    # What remains of the task's max_cost for this call (None: no max_cost). An API call keeps within it through
    # max_output_tokens; the claude CLI is given it as --max-budget-usd (cli_claude.py), the other CLIs have no
    # such bound and are held to it after the fact, by what they report.
    max_cost_usd: float | None = None


@slot_init
@dataclass(frozen=True, slots=True)
class RateLimitObservation:
    """The provider's own view of its rate-limit windows, read from response headers.

    Reset times are absolute wall-clock epoch seconds (converted from the provider's durations or dates).
    """

    requests_limit: int | None
    requests_remaining: int | None
    tokens_limit: int | None
    tokens_remaining: int | None
    requests_reset_at: float | None
    tokens_reset_at: float | None


@slot_init
@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    provider: str
    model: str  # as the provider reported it (may be a dated snapshot name), else the requested model
    input_tokens: int  # all input tokens, cached ones included
    output_tokens: int  # visible output plus reasoning/thinking tokens
    cost_usd: float | None  # only where the backend reports it (the claude CLI); else the caller prices tokens
    rate_limit: RateLimitObservation | None
    backend: str  # "api" | "cli"
    cached_input_tokens: int = 0  # the part of input_tokens served from a prompt cache
    stop_reason: str = ""  # why the answer ended, in the provider's words ("end_turn", "length", "MAX_TOKENS")
    truncated: bool = False  # cut at the output-token limit: the text is only the start of the answer
    usage_estimated: bool = False  # a token count was missing from the response and estimated from the text


@runtime_checkable
class ProviderAdapter(Protocol):
    name: str
    backend: str  # "api" | "cli" | "none"

    async def complete(self, request: CompletionRequest) -> Completion: ...

    async def probe(self) -> Completion | None:
        """A cheap health check for closing an outage circuit: its answer (what it cost), or None when it
        knows of none; raises a ProviderError on failure."""
        ...


PROBE_PROMPT = "Reply with the single word OK."


def user_text(request: CompletionRequest) -> str:
    """The user turn: optional context from the host, then the task."""
    if not request.context:
        return request.prompt
    return f"<context>\n{request.context}\n</context>\n\n{request.prompt}"


def cli_prompt(request: CompletionRequest) -> str:
    """One prompt for a CLI that takes no separate system prompt: instructions, context, task."""
    text = user_text(request)
    if not request.system_prompt:
        return text
    return f"<instructions>\n{request.system_prompt}\n</instructions>\n\n{text}"
