"""Immutable value objects passed between the pure decisions and the stateful parts.

Everything here is a frozen dataclass: decisions take snapshots in and give records out. Those that every routing
builds are built through ``slot_init``'s __init__ (same behaviour, ~40% less CPU per record; it costs ~0.1 ms a
class at import, so it is left off records that are rare or built once, like Block, BudgetAlert and AgentSpec).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_core.slot_init import slot_init


@slot_init
@dataclass(frozen=True, slots=True)
class Classification:
    """The design's classification record (section 2.1) plus task_type and reasons."""

    primary_provider: str
    primary_score: int
    fallback_chain: tuple[str, ...]
    all_scores: dict[str, int]
    task_type: str
    reasons: tuple[str, ...]
    classifier: str = "keywords"


@slot_init
@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Requests and tokens in the sliding 60-second window at ``now``."""

    requests: int
    tokens: int
    # Wall-clock time (epoch seconds) at which the oldest event in the window leaves it; None if empty.
    oldest_expires_at: float | None = None
    # When usage was entered manually or taken from provider headers, where the number came from.
    source: str = "tracked"


@slot_init
@dataclass(frozen=True, slots=True)
class ProviderUsage:
    """One provider's live capacity, in the design's usage fields (section 3.1)."""

    provider: str
    timestamp: float
    requests_used: int
    requests_limit: int
    requests_percent: float
    tokens_used: int
    tokens_limit: int
    tokens_percent: float
    cost_today: float
    daily_budget: float
    source: str = "tracked"
    window_resets_at: float | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """Why a provider is hard-blocked, and when the block lifts (epoch seconds, None if unknown)."""

    reason: str  # e.g. "tokens_percent >= 90%"
    lifts_at: float | None


@slot_init
@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a provider can take work now, and every block that stops it."""

    provider: str
    available: bool
    blocks: tuple[Block, ...] = ()

    @property
    def lifts_at(self) -> float | None:
        """When every block has lifted (the latest lift time), None if unknown or not blocked."""
        times = [b.lifts_at for b in self.blocks]
        if not times or any(t is None for t in times):
            return None
        return max(t for t in times if t is not None)


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """A daily-budget threshold passed: its level and the message hosts are shown."""

    threshold: int  # percent of the daily total
    level: str  # "info" | "warning" | "critical"
    spent: float
    total: float
    message: str


@slot_init
@dataclass(frozen=True, slots=True)
class ProviderBudget:
    """One provider's share of today's budget: allocation, spent and held by reservations."""

    provider: str
    allocation: float
    spent: float
    reserved: float

    @property
    def remaining(self) -> float:
        # In micro-dollars, as the ledger counts and estimates are rounded: $1.00 - $0.90 is 0.09999999999999998
        # in floats, which blocked a $0.10 task the ledger would have reserved.
        return max(0.0, round(self.allocation - self.spent - self.reserved, 6))


@slot_init
@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """Today's budget at one instant, per provider, with the totals derived once."""

    day: str  # ISO date in the budget's time zone
    timezone: str
    total: float
    providers: tuple[ProviderBudget, ...]
    next_reset_at: float  # epoch seconds
    alerts: tuple[BudgetAlert, ...] = ()  # thresholds already passed today
    thresholds: tuple[int, ...] = ()  # every alert threshold configured, percent of the total, lowest first
    # Derived once: a routing decision reads them a dozen times.
    spent: float = field(init=False, repr=False, compare=False)
    reserved: float = field(init=False, repr=False, compare=False)
    remaining: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spent = sum(p.spent for p in self.providers)
        reserved = sum(p.reserved for p in self.providers)
        object.__setattr__(self, "spent", spent)
        object.__setattr__(self, "reserved", reserved)
        object.__setattr__(self, "remaining", max(0.0, round(self.total - spent - reserved, 6)))  # as remaining above

    def threshold_states(self) -> list[tuple[int, float, bool]]:
        """(percent, amount in USD, passed) of every alert threshold (design 8.1: "50_percent": "$50.00 (PASSED)");
        passed as the alerts say it, in exact micro-dollars."""
        if self.total <= 0:  # a $0 daily total: nothing can be spent, so no share of it to alert at
            return []
        passed = {a.threshold for a in self.alerts}
        return [(t, round(self.total * t / 100, 6), t in passed) for t in self.thresholds]

    def provider(self, name: str) -> ProviderBudget:
        for p in self.providers:
            if p.provider == name:
                return p
        return ProviderBudget(name, 0.0, 0.0, 0.0)


@slot_init
@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The expected cost of one task on one provider's model, in tokens and USD."""

    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    usd: float


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One agent of the pool (section 5), shipped as data or read from a host's agent files."""

    id: str
    category: str
    specialization: str
    task_types: tuple[str, ...]
    providers: tuple[str, ...]
    system_prompt: str
    max_concurrency: int = 2
    source: str = "builtin"  # "builtin" or the path of a host agent file
    model: str | None = None


@slot_init
@dataclass(frozen=True, slots=True)
class AgentChoice:
    """The agent picked for a task and why."""

    agent: AgentSpec
    reason: str
    score: float
    fallback: bool = False  # True when no agent matched both provider and task type


@slot_init
@dataclass(frozen=True, slots=True)
class Alternative:
    """A provider the recommender did not pick, with its cost and why."""

    provider: str
    available: bool
    cost: CostEstimate
    reason: str
    blocks: tuple[Block, ...] = ()


@slot_init
@dataclass(frozen=True, slots=True)
class Recommendation:
    """The recommender's decision (design 4.1) before an agent is attached."""

    provider: str
    reason: str  # e.g. "primary available", "primary blocked, using fallback 1"
    route: str  # "primary" | "fallback_1" | "fallback_2" | "emergency" | "cost_aware"
    cost: CostEstimate
    alternatives: tuple[Alternative, ...]
    all_blocked: bool = False
    wait_seconds: float | None = None  # all blocked: the recommended wait before the earliest reset
    resets_at: float | None = None
    exceeds_budget: bool = False
    budget_alerts: tuple[str, ...] = field(default_factory=tuple)
