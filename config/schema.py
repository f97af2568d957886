"""The TOML schema (the settings and the built-in agent pool), as pydantic models that reject
unknown keys.

Only ``config/validate.py`` and ``config/agents.py`` use these, and only when a configuration is not
in the validated-settings cache (``config/cache.py``); the core receives ``router_core.settings``
objects.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router_core.batch_limits import MAX_BATCH_PARALLEL
from router_core.settings import PROVIDER_NAMES, TASK_TYPES

Percent = Annotated[float, Field(gt=0, le=100)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
# Upper bounds where a typo would otherwise mislead every decision: a budget of 1e300 prints 300 digits and
# its micro-dollars overflow SQLite's integers; 1e20 expected tokens block every provider for hours.
USD = Annotated[float, Field(ge=0, le=1_000_000)]  # a day's budget or a part of it
PricePerMtok = Annotated[float, Field(ge=0, le=100_000)]
OutputTokens = Annotated[int, Field(gt=0, le=10_000_000)]
# Durations in seconds. 1e12 loaded (a typo's extra digits, "never" written as a big number) and then overflowed
# datetime and asyncio where it became a time, or parked a task for centuries. Each bound is the longest the value
# can mean anything at: see the keys below.
HOUR, DAY = 3600, 86400
Backoff = Annotated[float, Field(ge=0, le=HOUR)]


def only_allowed(values, allowed: tuple[str, ...], what: str):
    """``values`` unchanged if every one is in ``allowed``; else a ValueError naming the strangers."""
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}; allowed: {list(allowed)}")
    return values


class _Strict(BaseModel):
    # Every number in the file is an amount or a limit: inf (like nan) would pass ge/gt and then fail or
    # mislead wherever it is used (the budget's integer micro-dollars, timeouts), so it is refused here.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class ModelSchema(_Strict):
    name: Annotated[str, Field(min_length=1)]
    input_per_mtok: PricePerMtok
    output_per_mtok: PricePerMtok
    cached_input_per_mtok: PricePerMtok | None = None
    # A long-context tier: a request of more input tokens than this is billed at the long_* prices throughout.
    long_context_above: PositiveInt | None = None
    long_input_per_mtok: PricePerMtok | None = None
    long_output_per_mtok: PricePerMtok | None = None
    long_cached_input_per_mtok: PricePerMtok | None = None

    @model_validator(mode="after")
    def _long_context_whole(self) -> ModelSchema:
        prices = (self.long_input_per_mtok, self.long_output_per_mtok, self.long_cached_input_per_mtok)
        if self.long_context_above is None and any(p is not None for p in prices):
            raise ValueError("long_*_per_mtok prices need long_context_above (the input tokens beyond which they apply)")
        if self.long_context_above is not None and (self.long_input_per_mtok is None or self.long_output_per_mtok is None):
            raise ValueError("long_context_above needs long_input_per_mtok and long_output_per_mtok")
        return self


class ProviderSchema(_Strict):
    display_name: str
    specializations: list[str] = []
    strong_keywords: list[str] = []
    weak_keywords: list[str] = []
    requests_per_minute: PositiveInt
    tokens_per_minute: PositiveInt
    block_requests_percent: Percent
    block_tokens_percent: Percent
    cost_tier: Literal["budget", "standard", "premium"]
    fallback_order: list[str]
    cost_per_request: USD = 0.0
    backend: Literal["auto", "api", "cli", "none"] = "auto"
    api_style: Literal["openai-responses", "openai-chat", "anthropic", "gemini"]
    base_url: str | None = None
    cli_command: list[str] = []
    default_model: str
    models: Annotated[list[ModelSchema], Field(min_length=1)]
    task_type_models: dict[str, str] = {}

    @field_validator("fallback_order")
    @classmethod
    def _known_fallbacks(cls, v: list[str]) -> list[str]:
        return only_allowed(v, PROVIDER_NAMES, "provider")

    @field_validator("task_type_models")
    @classmethod
    def _known_task_types(cls, v: dict[str, str]) -> dict[str, str]:
        return only_allowed(v, TASK_TYPES, "task type")

    @model_validator(mode="after")
    def _models_known(self) -> ProviderSchema:
        names = [m.name for m in self.models]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # only the first of a name was ever priced: the other's prices were silently ignored
            raise ValueError(f"models name {', '.join(map(repr, twice))} more than once; give each model one entry")
        if self.default_model not in names:
            raise ValueError(f"default_model {self.default_model!r} is not among models {names}")
        missing = sorted({m for m in self.task_type_models.values() if m not in names})
        if missing:
            raise ValueError(f"task_type_models name model(s) {missing} not among models {names}")
        return self


class BudgetSchema(_Strict):
    daily_total: USD
    allocation: dict[str, USD]
    alert_thresholds: list[Annotated[int, Field(gt=0, le=100)]] = [50, 75, 90]
    timezone: str = "UTC"
    # Two days: at least twice the longest call (execution.*_timeout_seconds, a day at most) is all it must outlast.
    reservation_ttl_seconds: Annotated[float, Field(gt=0, le=2 * DAY)] = 900.0

    @field_validator("allocation")
    @classmethod
    def _known_providers(cls, v: dict[str, float]) -> dict[str, float]:
        return only_allowed(v, PROVIDER_NAMES, "provider")

    @field_validator("timezone")
    @classmethod
    def _real_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'") from exc
        return v

    @model_validator(mode="after")
    def _allocations_fit(self) -> BudgetSchema:
        total = sum(self.allocation.values())
        if total > self.daily_total + 1e-9:
            # Named as dotted keys, so the message names the files that set each (the allocations may be the
            # shipped defaults, when only daily_total was lowered).
            shares = ", ".join(f"{name} {value:g}" for name, value in self.allocation.items())
            raise ValueError(
                f"allocations add up to {total:g}, more than daily_total {self.daily_total:g} (budget.daily_total;"
                f" budget.allocation: {shares}): lower budget.allocation.<provider> so that they add up to at most"
                f" {self.daily_total:g}, or raise budget.daily_total"
            )
        return self


class AuditSchema(_Strict):
    enabled: bool = True
    max_bytes: PositiveInt = 20 * 1024 * 1024
    # A century at most: the pruning cutoff (today minus keep_days) must stay a date after year 1.
    keep_days: Annotated[int, Field(gt=0, le=36_500)] = 30


DEFAULT_CLI_TIMEOUT = 450.0  # seconds: an agent's turn on a CLI (codex exec, gemini -p, claude -p)


def cli_timeout(configured: float | None, reservation_ttl_seconds: float) -> float:
    """execution.cli_timeout_seconds as set, else the default, cut to half the reservation TTL: a short TTL set
    when only API calls ran stays valid."""
    return configured if configured is not None else min(DEFAULT_CLI_TIMEOUT, reservation_ttl_seconds / 2)


class ExecutionSchema(_Strict):
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    # A backoff is waited inside the task, its reservation held; a provider that asks for longer is held (a quota:
    # up to a day) and the task falls back or parks, so a backoff of more than an hour only stalls the task.
    backoff_base_seconds: Backoff = 0.5
    backoff_max_seconds: Backoff = 30.0
    request_timeout_seconds: Annotated[float, Field(gt=0, le=86400)] = 120.0  # a day: 1e10 overflowed httpx
    # Unset: DEFAULT_CLI_TIMEOUT, or half budget.reservation_ttl_seconds when that is less (see below).
    cli_timeout_seconds: Annotated[float | None, Field(gt=0, le=86400)] = None
    outage_failure_threshold: PositiveInt = 3
    # A probe is a paid call to a provider in outage: under a second apart they would hammer it.
    # A day at most, as a hold (execution/holds.py): a provider in outage is asked again at least daily.
    outage_probe_interval_seconds: Annotated[float, Field(ge=1, le=DAY)] = 300.0
    # The run_batch tool's and `switchboard batch --parallel`'s own bound: a default no call could ask for is none.
    batch_concurrency: Annotated[int, Field(gt=0, le=MAX_BATCH_PARALLEL)] = 8
    # Real text runs about 1 (CJK) to 5 characters a token; far outside, every estimate is off by orders.
    chars_per_token: Annotated[float, Field(ge=0.5, le=20)] = 4.0
    assumed_output_tokens_per_second: Annotated[float, Field(gt=0)] = 60.0
    rate_window_seconds: Annotated[float, Field(gt=0, le=86400)] = 60.0
    max_output_tokens: OutputTokens = 8192
    # A day at most: no hold lasts longer, so a task parked past that waits for nothing it knows of.
    max_park_seconds: Annotated[float, Field(ge=0, le=DAY)] = 900.0


WEEK = 7 * DAY


class HttpSchema(_Strict):
    # A minute at least: shorter ends a session between two calls of one task. A week at most: a session nobody
    # uses holds memory (about 40 KB) and one of the SDK's 10,000 places until it lapses.
    session_idle_timeout_seconds: Annotated[float, Field(ge=60, le=WEEK)] = 8 * HOUR


class ConfigSchema(_Strict):
    classifier: Literal["trained", "keywords"] = "trained"
    state_dir: str | None = None
    agents_dirs: list[str] = []
    output_tokens: dict[str, OutputTokens]
    budget: BudgetSchema
    audit: AuditSchema = AuditSchema()
    execution: ExecutionSchema = ExecutionSchema()
    http: HttpSchema = HttpSchema()
    providers: dict[str, ProviderSchema]

    @field_validator("providers", mode="before")
    @classmethod
    def _exactly_three(cls, v: object) -> object:
        # Before the tables are validated: [providers.mistral] is an unknown provider, not one missing
        # nine required keys (which, once written, would only lead to this message).
        if not isinstance(v, dict):
            return v  # the type error says what is wrong
        unknown = [f"providers.{name}" for name in v if name not in PROVIDER_NAMES]
        if unknown:  # named as keys, so the message names the file each came from
            raise ValueError(f"unknown provider table(s) {', '.join(unknown)}; the providers are "
                             f"{', '.join(PROVIDER_NAMES)}: remove the table or rename it to one of them")
        missing = [p for p in PROVIDER_NAMES if p not in v]
        if missing:
            raise ValueError(f"missing provider(s) {missing}")
        return v

    @field_validator("output_tokens")
    @classmethod
    def _task_types(cls, v: dict[str, int]) -> dict[str, int]:
        return only_allowed(v, TASK_TYPES, "task type")

    @model_validator(mode="after")
    def _reservations_outlast_calls(self) -> ConfigSchema:
        # A reservation is refreshed between calls, not during one: one that lapsed mid-call would let
        # another process reserve the same money.
        ttl, ex = self.budget.reservation_ttl_seconds, self.execution
        key, timeout = max((("request_timeout_seconds", ex.request_timeout_seconds),
                            ("cli_timeout_seconds", cli_timeout(ex.cli_timeout_seconds, ttl))), key=lambda kv: kv[1])
        if ttl < 2 * timeout:
            raise ValueError(
                f"budget.reservation_ttl_seconds ({ttl:g}) must be at least twice execution.{key}"
                f" ({timeout:g}): a reservation would lapse while its provider call still runs, and another process"
                f" could spend the same money; raise the TTL to {2 * timeout:g} or more, or lower the timeout"
            )
        return self


NonEmpty = Annotated[str, Field(min_length=1)]


class AgentSchema(_Strict):
    """One agent of config/agents.toml."""

    id: NonEmpty
    category: NonEmpty
    specialization: NonEmpty
    task_types: Annotated[list[str], Field(min_length=1)]
    providers: Annotated[list[str], Field(min_length=1)]
    system_prompt: NonEmpty
    max_concurrency: Annotated[int, Field(ge=1)] = 2
    model: str | None = None

    @field_validator("id", "category", "specialization", "system_prompt")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        # min_length passes "  "; a blank system prompt would send the agent's tasks with no instructions.
        if not v.strip():
            raise ValueError("is only whitespace")
        return v

    @field_validator("task_types")
    @classmethod
    def _known_task_types(cls, v: list[str]) -> list[str]:
        return only_allowed(v, TASK_TYPES, "task type")

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, v: list[str]) -> list[str]:
        return only_allowed(v, PROVIDER_NAMES, "provider")


class AgentsFile(_Strict):
    agents: list[AgentSchema]
