"""Typed, immutable settings for the routing core.

``config/loader.py`` is the only place that turns TOML into these objects; everything
in ``router_core`` reads them and never parses configuration itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from router_core.models import AgentSpec

PROVIDER_NAMES: tuple[str, ...] = ("codex", "gemini", "claude")

TASK_TYPES: tuple[str, ...] = (
    "code_generation",
    "code_review",
    "refactoring",
    "debugging",
    "testing",
    "performance_optimization",
    "analysis",
    "research",
    "documentation",
    "explanation",
    "architecture",
    "design",
    "planning",
    "multi_step",
)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per one million tokens for one model.

    A model with a long-context tier (provider-apis.md 1.8, 3.8: gpt-5.4 above 272k input tokens, gemini-2.5-pro
    above 200k) bills a request whose input tokens (cached ones included) exceed ``long_context_above`` at the
    ``long_*`` prices, for the whole request: ``at`` gives the prices that apply to a request.
    """

    name: str
    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None
    long_context_above: int | None = None
    long_input_per_mtok: float | None = None
    long_output_per_mtok: float | None = None
    long_cached_input_per_mtok: float | None = None

    def at(self, input_tokens: int) -> ModelPrice:
        """The prices of a request of ``input_tokens``: these, or the long-context tier's beyond its threshold."""
        if self.long_context_above is None or input_tokens <= self.long_context_above:
            return self
        return ModelPrice(
            self.name,
            self.input_per_mtok if self.long_input_per_mtok is None else self.long_input_per_mtok,
            self.output_per_mtok if self.long_output_per_mtok is None else self.long_output_per_mtok,
            self.long_cached_input_per_mtok,
        )

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        price = self.at(input_tokens)
        return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1_000_000


@dataclass(frozen=True, slots=True)
class BlockThresholds:
    """A provider is hard-blocked at or above either percentage (design 3.2)."""

    requests_percent: float
    tokens_percent: float


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """One provider: routing keywords, rate limits, block thresholds, models and prices, backend."""

    name: str
    display_name: str
    specializations: tuple[str, ...]
    strong_keywords: tuple[str, ...]
    weak_keywords: tuple[str, ...]
    requests_per_minute: int
    tokens_per_minute: int
    block: BlockThresholds
    cost_tier: str
    fallback_order: tuple[str, ...]
    cost_per_request: float
    default_model: str
    models: tuple[ModelPrice, ...]
    # Optional per-task-type model choice (task_type -> model name).
    task_type_models: tuple[tuple[str, str], ...] = ()
    # Execution backend: "auto" (api if a key is set, else cli if found, else none), "api", "cli", "none".
    backend: str = "auto"
    base_url: str | None = None
    api_style: str = ""  # "openai-responses" | "openai-chat" | "anthropic" | "gemini"
    cli_command: tuple[str, ...] = ()

    def model(self, name: str | None = None) -> ModelPrice:
        wanted = name or self.default_model
        for m in self.models:
            if m.name == wanted:
                return m
        raise KeyError(f"provider {self.name!r} has no model {wanted!r}")

    def model_for(self, task_type: str | None) -> ModelPrice:
        for tt, model in self.task_type_models:
            if tt == task_type:
                return self.model(model)
        return self.model()


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """The daily budget: total, per-provider allocations, alert thresholds, time zone."""

    daily_total: float
    allocations: tuple[tuple[str, float], ...]
    alert_thresholds: tuple[int, ...] = (50, 75, 90)
    timezone: str = "UTC"
    # Reservations held by a process that died are released after this many seconds without a heartbeat.
    reservation_ttl_seconds: float = 900.0

    def allocation(self, provider: str) -> float:
        for name, usd in self.allocations:
            if name == provider:
                return usd
        return 0.0


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The audit trail: on or off, rotation size and retention."""

    enabled: bool = True
    max_bytes: int = 20 * 1024 * 1024  # rotate a day's file past this size
    keep_days: int = 30


@dataclass(frozen=True, slots=True)
class ExecutionSettings:
    """Running tasks on the providers: retries, timeouts, outage detection, pacing, caps."""

    max_retries: int = 3
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    request_timeout_seconds: float = 120.0  # an API call
    # A CLI run (codex exec, gemini -p, claude -p) is an agent's whole turn: files read, commands run, often
    # minutes; cut at an API call's timeout it was charged, retried (charged again) and counted towards an outage.
    cli_timeout_seconds: float = 450.0
    outage_failure_threshold: int = 3
    outage_probe_interval_seconds: float = 300.0
    batch_concurrency: int = 8
    chars_per_token: float = 4.0
    # An assumption for time estimates only (execution reports real durations).
    assumed_output_tokens_per_second: float = 60.0
    # The sliding window that requests_per_minute and tokens_per_minute apply to (shared by usage and pacing).
    rate_window_seconds: float = 60.0
    # Output cap per request; the budget reserves a task's cost at this cap when it fits, so that
    # concurrent tasks can never overspend together (else at the estimate, with output capped to it).
    max_output_tokens: int = 8192
    # How long a task may wait for a blocked provider (outage, quota, rate limit) before it gives up
    # with an ETA instead (a batch waits; a single dispatch waits only when asked to).
    max_park_seconds: float = 900.0

    @property
    def longest_call_seconds(self) -> float:
        """How long one provider call may run, on either backend."""
        return max(self.request_timeout_seconds, self.cli_timeout_seconds)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Serving Streamable HTTP (``switchboard serve --http``); stdio has no sessions to lapse."""

    # A 2025-era client's session that has had no request in flight (none being served, no event stream open)
    # for this long is ended; its next request gets 404 and must initialize again. The SDK's default is 30 min.
    session_idle_timeout_seconds: float = 8 * 3600.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the core reads, built from the merged TOML files by ``config/loader.py``."""

    providers: tuple[ProviderSettings, ...]
    budget: BudgetSettings
    output_tokens_by_task_type: tuple[tuple[str, int], ...]
    classifier: str = "trained"  # "trained" | "keywords"
    audit: AuditSettings = field(default_factory=AuditSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    state_dir: Path = Path.home() / ".switchboard"
    agents_dirs: tuple[Path, ...] = ()
    # The built-in agent pool (config/agents.toml); host agent files join it at run time.
    agents: tuple[AgentSpec, ...] = ()
    # Files that were merged into these settings, lowest precedence first.
    sources: tuple[str, ...] = ()

    def provider(self, name: str) -> ProviderSettings:
        for p in self.providers:
            if p.name == name:
                return p
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(self.provider_names)}")

    @property
    def provider_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.providers)

    def expected_output_tokens(self, task_type: str) -> int:
        for tt, n in self.output_tokens_by_task_type:
            if tt == task_type:
                return n
        return 1000
