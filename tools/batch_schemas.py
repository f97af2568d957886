"""Output models of dispatch_agent and run_batch.

As in tools/schemas.py, a field at its default is left out of a tool's result: a plan's task at its
defaults (route primary, first sub-batch, starts at once, within budget) is five fields instead of nine,
and a routed dispatch sends no empty attempts or path."""

from typing import TYPE_CHECKING, Annotated, Any

from router_core.budget_text import money, says
from router_core.records import estimate_compared, iso
from tools.schemas import OutputModel, RecommendationRecordOut, recommendation_record

if TYPE_CHECKING:  # only the classmethods' parameters: the execution stack loads on the first execution
    from router_core.batch_decision import BatchPlan
    from router_core.decision import RoutingDecision
    from router_core.execution.results import Attempt, BatchOutcome, TaskOutcome


class BatchItemOut(OutputModel):
    index: int
    task_id: str
    provider: str
    task_type: str
    route: str = "primary"
    reason: str = ""  # why, when the task does not go to its primary (a primary route needs no words)
    cost_usd: float
    sub_batch: int = 0
    starts_after_seconds: float = 0.0
    exceeds_budget: bool = False
    agent: str | None = None  # the agent it would be assigned (a dry run; a run's results name the one it ran as)


class ProviderGroupOut(OutputModel):
    tasks: list[int]
    sub_batches: list[list[int]]
    cost_usd: float
    estimated_seconds: float
    requests_room: int
    tokens_room: int


class AttemptOut(OutputModel):
    provider: str
    outcome: str
    retry: int = 0
    error: str | None = None
    status_code: int | None = None
    lifts_at: str | None = None

    @classmethod
    def of(cls, a: "Attempt") -> "AttemptOut":
        return cls(provider=a.provider, outcome=a.outcome, retry=a.retry, error=a.error, status_code=a.status_code,
                   lifts_at=iso(a.lifts_at))


class TokensOut(OutputModel):
    input: int
    output: int
    total: int


class ExecutionOut(OutputModel):
    """What running a task did: the answer, who gave it, what it cost, and the path taken."""

    status: str
    result: str | None = None
    provider_used: str | None = None
    model_used: str | None = None
    tokens: TokensOut
    cost_actual: str
    cost_actual_usd: float
    cost_estimate_vs_actual: str | None = None
    duration_seconds: float
    fallback_path: list[str] = []
    attempts: list[AttemptOut] = []
    error: str | None = None
    resumes_at: str | None = None
    truncated: bool = False  # the answer was cut at the output-token limit; raise max_cost for all of it
    # the backend (a CLI as a rule) did not report every token count: those (and the cost) are estimated from the texts
    tokens_estimated: bool = False
    warning: str | None = None  # the answer stands, but its cost could not be recorded yet (and why)

    @classmethod
    def fields_of(cls, o: "TaskOutcome") -> dict:
        ran = any(a.called for a in o.attempts)
        return {
            "status": o.status,
            "result": o.text,
            "provider_used": o.provider if ran else None,
            "model_used": o.model if ran else None,
            "tokens": TokensOut(input=o.input_tokens, output=o.output_tokens, total=o.tokens_used),
            "cost_actual": money(o.cost_usd),
            "cost_actual_usd": o.cost_usd,
            "cost_estimate_vs_actual": estimate_compared(o),
            "duration_seconds": round(o.duration_seconds, 3),
            "fallback_path": o.fallback_path,
            "attempts": [AttemptOut.of(a) for a in o.attempts],
            "error": o.error,
            "resumes_at": iso(o.resumes_at),
            "truncated": o.truncated,
            "tokens_estimated": o.tokens_estimated,
            "warning": o.warning,
        }


class DispatchOut(RecommendationRecordOut, ExecutionOut):
    """Design 4.2's record of the routing, plus what execution did (status "routed" when not executed)."""

    @classmethod
    def build(cls, record: RecommendationRecordOut, outcome: "TaskOutcome") -> "DispatchOut":
        fields = ExecutionOut.fields_of(outcome)
        _said_once(fields["error"], fields["attempts"])
        return cls(**dict(record), **fields)


# dispatch_agent's result as JSON-ready data in DispatchOut's shape (as RecommendationRecord is for
# recommend_provider): building the ~15 models of a DispatchOut and dumping them again made the result, its
# JSON text included, ~520k instructions of a dispatch; this makes it ~190k (valgrind).
# tests/tools/test_dispatch_record.py holds it equal to the model's dump without defaults.
DispatchRecord = Annotated[dict[str, Any], DispatchOut]


def dispatch_record(decision: "RoutingDecision", o: "TaskOutcome") -> dict[str, Any]:
    """``DispatchOut.build(RecommendationRecordOut.of(decision), o)`` exactly as it dumps with ``exclude_defaults``
    (tools.registry.as_result): the execution's fields first, each left out at its default (None, false, no path or
    attempts), then the routing record's."""
    ran = any(a.called for a in o.attempts)
    out: dict[str, Any] = {"status": o.status}
    if o.text is not None:
        out["result"] = o.text
    if ran and o.provider is not None:
        out["provider_used"] = o.provider
    if ran and o.model is not None:
        out["model_used"] = o.model
    out["tokens"] = {"input": o.input_tokens, "output": o.output_tokens, "total": o.tokens_used}
    out["cost_actual"] = money(o.cost_usd)
    out["cost_actual_usd"] = float(o.cost_usd)
    if (compared := estimate_compared(o)) is not None:
        out["cost_estimate_vs_actual"] = compared
    out["duration_seconds"] = float(round(o.duration_seconds, 3))
    if o.attempts:
        out["fallback_path"] = o.fallback_path
        out["attempts"] = [_attempt(a, o.error) for a in o.attempts]
    if o.error is not None:
        out["error"] = o.error
    resumes_at = iso(o.resumes_at)
    if resumes_at is not None:
        out["resumes_at"] = resumes_at
    if o.truncated:
        out["truncated"] = True
    if o.tokens_estimated:
        out["tokens_estimated"] = True
    if o.warning is not None:
        out["warning"] = o.warning
    out.update(recommendation_record(decision))
    return out


def _attempt(a: "Attempt", error: str | None) -> dict[str, Any]:
    """``AttemptOut.of(a)`` as it dumps without defaults, its error left out when the task's ``error`` says it
    in full (_said_once)."""
    out: dict[str, Any] = {"provider": a.provider, "outcome": a.outcome}
    if a.retry != 0:
        out["retry"] = a.retry
    if a.error is not None and not (error and a.error and says(error, a.provider, a.error)):
        out["error"] = a.error
    if a.status_code is not None:
        out["status_code"] = a.status_code
    lifts_at = iso(a.lifts_at)
    if lifts_at is not None:
        out["lifts_at"] = lifts_at
    return out


def _said_once(error: str | None, attempts: list[AttemptOut]) -> None:
    """Drop an attempt's words the task's error already says in full (every provider's setup advice when none
    is configured: 500 characters twice; "every provider failed (...)" quotes each attempt; the daily total's
    refusal names each provider's estimate: budget_text.said_once)."""
    if error:
        for a in attempts:
            if a.error and says(error, a.provider, a.error):
                a.error = None


class BatchResultOut(ExecutionOut):
    index: int
    task_id: str
    agent: str | None = None


class BatchSummaryOut(OutputModel):
    batch_id: str
    succeeded: int
    failed: int
    cost_actual_usd: float
    duration_seconds: float
    statuses: dict[str, int]

    @classmethod
    def of(cls, b: "BatchOutcome") -> "BatchSummaryOut":
        statuses: dict[str, int] = {}
        for o in b.outcomes:
            statuses[o.status] = statuses.get(o.status, 0) + 1
        return cls(batch_id=b.batch_id, succeeded=b.succeeded, failed=b.failed, cost_actual_usd=b.cost_usd,
                   duration_seconds=round(b.ended_at - b.started_at, 3), statuses=statuses)


class BatchPlanOut(OutputModel):
    """Design 6.2's plan: tasks grouped per provider, sub-batched within rate limits; when run, the results."""

    dry_run: bool
    items: list[BatchItemOut]
    providers: dict[str, ProviderGroupOut]
    total_cost_usd: float
    estimated_seconds: float
    sequential_seconds: float
    budget_remaining_before: float
    budget_remaining_after: float
    exceeds_budget: bool
    warnings: list[str] = []
    results: list[BatchResultOut] | None = None  # in input order, when run (dry_run false)
    summary: BatchSummaryOut | None = None

    @classmethod
    def of(cls, plan: "BatchPlan", *, dry_run: bool = True) -> "BatchPlanOut":
        reasons = _reasons_said_once(plan)
        return cls(
            dry_run=dry_run,
            items=[
                BatchItemOut(
                    index=it.index,
                    task_id=it.task_id,
                    provider=it.provider,
                    task_type=it.classification.task_type,
                    route=it.route,
                    reason=reasons[it.index],
                    cost_usd=it.cost.usd,
                    sub_batch=it.sub_batch,
                    starts_after_seconds=it.starts_after_seconds,
                    exceeds_budget=it.exceeds_budget,
                    agent=it.agent,
                )
                for it in plan.items
            ],
            providers={
                pp.provider: ProviderGroupOut(
                    tasks=list(pp.task_indexes),
                    sub_batches=[list(s) for s in pp.sub_batches],
                    cost_usd=pp.cost,
                    estimated_seconds=pp.estimated_seconds,
                    requests_room=pp.requests_room,
                    tokens_room=pp.tokens_room,
                )
                for pp in plan.providers
            },
            total_cost_usd=plan.total_cost,
            estimated_seconds=plan.estimated_seconds,
            sequential_seconds=plan.sequential_seconds,
            budget_remaining_before=round(plan.budget_before.remaining, 6),
            budget_remaining_after=plan.budget_remaining_after,
            exceeds_budget=plan.exceeds_budget,
            warnings=list(plan.warnings),
        )

    # run_batch's result stays built from the models (unlike dispatch_record): for 20 tasks run, building and
    # dumping it is ~3.8M instructions of a ~145M batch (2.6%, valgrind, 2026-11-29), not worth a second copy.
    @classmethod
    def executed(cls, plan: "BatchPlan", outcome: "BatchOutcome", agents: tuple[str | None, ...]) -> "BatchPlanOut":
        out = cls.of(plan, dry_run=False)
        out.results = [
            BatchResultOut(index=i, task_id=o.task_id, agent=agents[i], **ExecutionOut.fields_of(o))
            for i, o in enumerate(outcome.outcomes)
        ]
        out.warnings += _setup_advice_once(out.results)
        for r in out.results:  # after the setup advice is taken from the attempts
            _said_once(r.error, r.attempts)
        out.summary = BatchSummaryOut.of(outcome)
        return out


NOT_CONFIGURED = "not_configured"  # results.NOT_CONFIGURED (the execution stack loads on the first execution)
NOT_CONFIGURED_SHORT = "Nothing to execute on, so a recommendation only (what to set is in warnings)"


def _setup_advice_once(results: list[BatchResultOut]) -> list[str]:
    """What to configure for each provider, said once for the batch instead of in every task's error and
    attempts (about 1.3 KB a task: 50 unconfigured tasks made a 95 KB answer, at a host's limit for a tool's
    output). The tasks it is taken from keep their status and their attempts' providers and outcomes."""
    advice: dict[str, str] = {}
    for r in results:
        if r.status != NOT_CONFIGURED:
            continue
        for a in r.attempts:
            said = f"{a.provider}: {a.error}"
            if a.outcome == NOT_CONFIGURED and a.error and advice.setdefault(a.provider, said) == said:
                a.error = None  # in warnings (another message for the provider stays where it is)
        r.error = NOT_CONFIGURED_SHORT  # the executor's "Nothing to execute on ..." with every provider's advice
    return list(advice.values())


def _reasons_said_once(plan: "BatchPlan") -> dict[int, str]:
    """Each item's reason for leaving its primary, the words said once: a reason repeated (a primary on hold for a
    quota moves every task of its type, each with the same ~200 characters) reads "same as item N" after the first
    (a 50-task plan with codex held: 10,400 characters -> about 6,800). A primary route needs no words."""
    first: dict[str, int] = {}
    said = {}
    for it in plan.items:
        if it.route == "primary" or not it.reason:
            said[it.index] = ""
        elif it.reason in first:
            said[it.index] = f"same as item {first[it.reason]}"
        else:
            first[it.reason] = it.index
            said[it.index] = it.reason
    return said

