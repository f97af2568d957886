"""What execution reports: each attempt on a provider, and each task's outcome.

Statuses of a task:
    success          a provider answered
    failed           every provider in the chain failed (attempts say how)
    rejected         the provider refused the request itself (a 4xx): no retry, no fallback
    budget_exceeded  no provider's estimate fits what remains of the budget, or of the task's max_cost after what
                     its tries cost (refused before any call, or before the next try)
    not_configured   no provider in the chain has a backend (no key, no CLI)
    parked           every provider is blocked; ``resumes_at`` says when capacity returns
    routed           dispatch without execution: routed and an agent leased, nothing run
    cancelled        the caller cancelled the task (a host's cancel, a closed session, Ctrl-C) before it ended
    config_mismatch  the state dir's shared budget settings (budget.timezone, reservation_ttl_seconds) stopped
                     agreeing with this process's while the task ran (shared_budget.py): nothing more was sent;
                     the error says what to do, as the refusal before routing does
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_core.slot_init import slot_init

SUCCESS = "success"
FAILED = "failed"
REJECTED = "rejected"
BUDGET_EXCEEDED = "budget_exceeded"
NOT_CONFIGURED = "not_configured"
PARKED = "parked"
ROUTED = "routed"
CANCELLED = "cancelled"
CONFIG_MISMATCH = "config_mismatch"
STATUSES = (SUCCESS, FAILED, REJECTED, BUDGET_EXCEEDED, NOT_CONFIGURED, PARKED, ROUTED, CANCELLED, CONFIG_MISMATCH)


@slot_init
@dataclass(frozen=True, slots=True)
class Attempt:
    """One try on one provider (or a provider skipped without a call, with the reason)."""

    provider: str
    outcome: str  # "success", an error kind (recovery.OUTCOMES), "outage", "on_hold", "budget_exceeded",
    #               "cancelled" (while the provider was answering), "config_mismatch" (refused before a call)
    model: str = ""
    error: str | None = None
    status_code: int | None = None
    retry: int = 0  # 0 for the first try on this provider
    waited_seconds: float = 0.0  # pacing and backoff before this try
    duration_seconds: float = 0.0  # the call itself; 0 when skipped
    lifts_at: float | None = None  # when a blocked provider may work again, if known
    cost_usd: float = 0.0  # what the provider charged for this try (an answer, or a refusal it billed)
    # The tokens a try that gave no answer was billed for, as the provider reported them (a refusal, a blocked
    # prompt); 0 when it reported none. An answer's are the outcome's.
    input_tokens: int = 0
    output_tokens: int = 0
    # A budget refusal that only the live reservations of running tasks caused (the spend alone leaves room).
    budget_held: bool = False

    @property
    def called(self) -> bool:
        return self.duration_seconds > 0 or self.outcome in (SUCCESS, CANCELLED) or self.status_code is not None


@slot_init
@dataclass(frozen=True, slots=True)
class TaskOutcome:
    task_id: str
    status: str
    started_at: float
    ended_at: float
    provider: str | None = None  # the provider that answered (or was tried last)
    model: str | None = None
    text: str | None = None
    backend: str | None = None  # "api" | "cli"
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_estimate_usd: float = 0.0  # the estimate for the provider that answered (or the recommended one)
    attempts: tuple[Attempt, ...] = ()
    error: str | None = None
    resumes_at: float | None = None  # parked: when the earliest blocked provider frees up
    parked_seconds: float = 0.0  # time spent waiting for blocked providers
    budget_wait_seconds: float = 0.0  # time spent waiting for budget that running tasks held
    truncated: bool = False  # the answer was cut at the output-token limit: ``text`` is only its start
    tokens_estimated: bool = False  # the backend (a CLI as a rule) did not report every count: estimated from the texts
    warning: str | None = None  # the answer stands, but something about it needs saying (its cost not yet recorded)

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS

    @property
    def tokens_used(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def duration_seconds(self) -> float:
        return max(0.0, self.ended_at - self.started_at)

    @property
    def fallback_path(self) -> list[str]:
        """The providers tried, in order, each once."""
        seen: list[str] = []
        for a in self.attempts:
            if a.provider not in seen:
                seen.append(a.provider)
        return seen


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    batch_id: str
    outcomes: tuple[TaskOutcome, ...]  # in input order
    started_at: float
    ended_at: float
    providers: dict[str, list[int]] = field(default_factory=dict)  # planned group: provider -> task indexes

    @property
    def succeeded(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.succeeded

    @property
    def cost_usd(self) -> float:
        return round(sum(o.cost_usd for o in self.outcomes), 6)
