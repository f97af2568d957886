"""RouterCore: the routing core assembled from its parts, with one method per decision.

The tools, resources and CLI call these methods and nothing deeper. Each method reads
snapshots from the shared state (usage windows, budget ledger, agent leases), runs the
pure decisions (classifier, capacity filter, cost, recommender, agent selection) and
writes what it decided to the audit trail.
"""

from __future__ import annotations

import functools
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from router_core.agents import AgentPool
from router_core.agents.assignment import advised_agent, assign_agent
from router_core.agents.host_files import load_host_agents
from router_core.audit import JsonlAuditLog
from router_core.batch_ids import batch_task_ids, task_named
from router_core.budget import BudgetLedger
from router_core.budget_alerts import AlertClaims
from router_core.budget_text import money
from router_core.capacity_view import CapacityView, read_capacity
from router_core.classifier import Classifier
from router_core.clock import Clock, SystemClock
from router_core.clock_steps import ClockSteps
from router_core.cost import CostEstimator
from router_core.dead_calls import audit_dead_calls
from router_core.decision import RoutingDecision
from router_core.errors import InvalidRequest, StateUnusable
from router_core.execution.state import ExecutionState
from router_core.inputs import validate_label, validate_task
from router_core.leases import AgentLeases
from router_core.loop_decisions import Routed
from router_core.models import AgentSpec, BudgetSnapshot, Classification
from router_core.recommender import recommend
from router_core.records import audit_record, batch_item_record, budget_changed_record, external_strings
from router_core.redact import scrubbed
from router_core.settings import PROVIDER_NAMES, Settings
from router_core.shared_budget import guarded
from router_core.shared_state import SharedState, SharedStateReader
from router_core.store.db import Database
from router_core.store.holders import current_holder
from router_core.usage import UsageTracker, check_usage_record
from router_core.usage_audit import usage_recorded_record

if TYPE_CHECKING:
    from router_core.classifier.corrections import SqliteCorrectionStore
    from router_core.classifier.reviews import Forgotten, Reviewed

log = logging.getLogger(__name__)

DB_FILENAME = "switchboard.db"
AUDIT_DIRNAME = "audit"


# The session a request comes from, set by the server around each tool call (server/app.py): over HTTP one
# process serves a team's MCP sessions, and design 10.1's session_id must name the one that asked.
REQUEST_SESSION: ContextVar[str | None] = ContextVar("switchboard_request_session", default=None)


class RouterCore:
    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        clock: Clock,
        classifier: Classifier,
        agents: Sequence[AgentSpec],
        holder: str | None = None,
        session_id: str | None = None,
        agent_problems: Sequence[str] = (),
        settings_updates: Callable[[], Settings | None] | None = None,
    ) -> None:
        self.settings = settings
        # Returns the configuration when its files were edited since the last call, else None (config/watch.py).
        self._settings_updates = settings_updates
        self.db = db
        self.clock = clock
        self.classifier = classifier
        self.pool = AgentPool(agents)
        self.agents = self.pool.agents
        # Host agent files that could not be read, reported in agents://pool (never fatal).
        self.agent_problems = tuple(agent_problems)
        self.holder = holder or current_holder()
        self.process_session_id = session_id or f"session-{uuid.uuid4().hex[:12]}"
        self.ledger = BudgetLedger(db, clock, settings.budget, self.holder,
                                   frozenset(p.name for p in settings.providers if p.cost_tier == "budget"))
        # A provider's use today begins on the budget's day (budget.timezone), the day its cost_today counts.
        self.usage_tracker = UsageTracker(db, clock, settings.execution.rate_window_seconds, self.ledger.day_and_reset)
        # A running task's lease is refreshed between calls, not during one: it outlasts the longest call.
        self.leases = AgentLeases(
            db, clock, self.holder, ttl_seconds=max(3600.0, 2 * settings.execution.longest_call_seconds)
        )
        self.audit = JsonlAuditLog(settings.state_dir / AUDIT_DIRNAME, settings.audit, clock, prune_daily=True)
        self.ledger.on_dead_calls = functools.partial(audit_dead_calls, self.audit, self.process_session_id)
        self.costs = CostEstimator(settings)
        # Open outage circuits and provider holds (issue 3), seen by routing as blocks.
        self.execution_state = ExecutionState(db, clock, settings.execution)
        self.clock_steps = ClockSteps(db, clock, settings, lease_ttl_seconds=self.leases.ttl_seconds)
        self.started_at = clock.now()
        self.alert_claims = AlertClaims(self.ledger)  # the budget alerts its decisions announce (design 8.3)
        self.shared = SharedStateReader(
            db, clock, settings.provider_names, ledger=self.ledger, usage=self.usage_tracker,
            execution=self.execution_state, leases=self.leases,
        )

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        classifier: Classifier | None = None,
        host_agent_dirs: Sequence[Path] = (),
        settings_updates: Callable[[], Settings | None] | None = None,
    ) -> RouterCore:
        """The core on the shared state dir; agents in ``host_agent_dirs`` (Claude Code subagent files)
        join the built-in pool, a host agent replacing a built-in one of the same id."""
        db = Database(Path(settings.state_dir) / DB_FILENAME)
        try:  # a server builds again on each request while this fails: each try's connection is closed, not left
            settings_updates = guarded(db, settings, settings_updates)  # refuses a day or TTL its state dir does not
            host_agents, problems = load_host_agents([*host_agent_dirs, *settings.agents_dirs],
                                                     builtin_ids={a.id for a in settings.agents},
                                                     configured=settings.agents_dirs)
            for problem in problems:
                log.warning("host agents: %s", problem)
            return cls(settings, db=db, clock=clock or SystemClock(),
                       classifier=classifier or _make_classifier(settings, db), agents=(*settings.agents, *host_agents),
                       agent_problems=problems, settings_updates=settings_updates)
        except BaseException:
            db.close()
            raise

    @property
    def session_id(self) -> str:
        """The audit's session_id: the MCP session of the request being served, else this process's."""
        return REQUEST_SESSION.get() or self.process_session_id

    # -- decisions -------------------------------------------------------------------------

    def classify(self, task: str) -> Classification:
        return self._classify(validate_task(task))

    def _classify(self, text: str) -> Classification:
        """The classifier reads the text with credentials scrubbed: a key is no evidence of anything, and
        a reason that quoted a word of one would carry part of it into the audit log. Dropped, not marked:
        a marker word would be evidence of its own."""
        return self.classifier.classify(scrubbed(text, ""))

    def capacity(self, min_costs: dict[str, float] | None = None, *, maintain: bool = True) -> CapacityView:
        """Usage and availability of every provider, read from one snapshot of the shared state; then the writes the
        read found due, unless ``maintain`` is False (the caller runs :meth:`maintain` if :meth:`maintenance_due`)."""
        return self._snapshot(min_costs, maintain)[0]

    def _snapshot(self, min_costs: dict[str, float] | None, maintain: bool) -> tuple[CapacityView, SharedState]:
        """:meth:`capacity`, with the shared state it was read from (the agents in use)."""
        self.refresh_settings()
        self.clock_steps.check()  # rows stamped before a clock set back are repaired before they are read
        with self.db.read():
            shared = self.shared.read()
            view = read_capacity(self.settings, shared, self.usage_tracker, now=self.clock.now(), min_costs=min_costs)
        if maintain:
            self.maintain()
        return view, shared

    def maintain(self) -> None:
        """Writes that reads inside a snapshot found due (expired reservations, dead leases, old events)."""
        self.ledger.maintain()
        self.usage_tracker.maintain()
        self.leases.maintain()

    def maintenance_due(self) -> bool:
        return self.ledger.maintenance_due or self.usage_tracker.maintenance_due or self.leases.maintenance_due

    def decide(self, task: str, *, repo: str | None = None, task_id: str | None = None, provider: str | None = None,
               lease_agent: bool = False, audit: bool = True, event: str = "recommendation") -> RoutingDecision:
        """Classify, check capacity and budget, recommend, pick an agent, and audit it."""
        return self.decide_with_capacity(
            task, repo=repo, task_id=task_id, provider=provider, lease_agent=lease_agent, audit=audit, event=event
        )[0]

    def decide_with_capacity(self, task: str, *, repo: str | None = None, task_id: str | None = None,
                             provider: str | None = None, lease_agent: bool = False, audit: bool = True,
                             event: str = "recommendation") -> tuple[RoutingDecision, CapacityView]:
        """:meth:`decide`, with the capacity snapshot the decision was made from (a coroutine on the event loop
        uses loop_decisions.decide_on_loop, whose writes wait for the lock in a worker thread)."""
        routed = self.route(task, repo=repo, task_id=task_id, provider=provider)
        return self.conclude(routed, lease_agent=lease_agent, audit=audit, event=event)

    def route(self, task: str, *, repo: str | None = None, task_id: str | None = None,
              provider: str | None = None, max_cost: float | None = None) -> Routed:
        """A decision's reads (and a repair after a clock step): the classification, costs, capacity snapshot, agents
        in use and the recommendation. With the task's ``max_cost``, each cost is the estimate within the output cap
        it sets (CostEstimator.capped_output), so the budget checks, alerts and exceeds_budget read what the task can
        cost (before, dispatch_agent's max_cost 0.001 kept gemini off for its uncapped $0.0018 against $0.0014
        left, though its try, capped, fitted)."""
        text = validate_task(task)
        task_id, repo = validate_label(task_id, "task_id"), validate_label(repo, "repo")
        classification = self._classify(text)
        costs = self.costs.estimate_all(text, classification.task_type, max_cost=max_cost)
        # capacity and agents in use: one snapshot; its maintenance is conclude's
        view, shared = self._snapshot({name: c.usd for name, c in costs.items()}, maintain=False)
        now = self.clock.now()
        rec = recommend(classification, view.availability, costs, view.budget, now=now, provider=provider)
        return Routed(text, task_id, repo, classification, costs, view, shared.in_use, rec, now)

    def decision_writes_due(self, routed: Routed, *, lease_agent: bool) -> bool:
        """Whether :meth:`conclude` writes: a lease, maintenance the read found due, a budget alert to claim."""
        return lease_agent or self.maintenance_due() or self.alert_claims.due(routed.view.budget)

    def conclude(self, routed: Routed, *, lease_agent: bool = False, audit: bool = True,
                 event: str = "recommendation") -> tuple[RoutingDecision, CapacityView]:
        """The decision from :meth:`route`'s reads: the maintenance they found due, the agent (leased if
        ``lease_agent``), the budget alerts this process claims; audited if ``audit``."""
        self.maintain()
        view, rec, classification = routed.view, routed.recommendation, routed.classification
        agent, lease_id = assign_agent(self.pool, self.leases, rec.provider, classification.task_type, routed.text,
                                       lease=lease_agent, in_use=routed.in_use)
        try:
            alerts = self.alert_claims.new(view.budget)
        except BaseException:  # (a locked or full database) no decision, so no lease held for it either
            if lease_id is not None:
                self.leases.release(lease_id)
            raise
        decision = RoutingDecision(
            task_id=routed.task_id or f"task-{secrets.token_hex(6)}",  # 12 random hex digits, as uuid4().hex[:12]
            task=routed.text, timestamp=routed.at, classification=classification, usage=view.usage,
            availability=view.availability, costs=routed.costs, budget=view.budget, recommendation=rec, agent=agent,
            lease_id=lease_id, new_alerts=alerts, execution_seconds_estimate=self.costs.seconds(routed.costs[rec.provider]),
            repo=routed.repo,
        )
        if audit:
            record = audit_record(decision, session_id=self.session_id, event=event)
            self.audit.append(record, external=external_strings(decision))
        return decision, view

    # -- routing corrections (design Phase 4; router_core/feedback.py) --------------------

    def record_feedback(
        self, task: str, *, routed_provider: str, correct_provider: str, task_type: str | None = None
    ) -> tuple[bool, str]:
        """Record whether a routed task went to the right provider: (learned, reason). ``routed_provider`` must be
        where Switchboard routes the task now (else RoutedElsewhere, nothing stored)."""
        from router_core import feedback

        return feedback.record(self.classifier, self._corrections_store, task, routed_provider=routed_provider,
                               correct_provider=correct_provider, task_type=task_type, routes=self._classify)

    def feedback_corrections(self) -> list[Reviewed]:
        from router_core import feedback

        return feedback.corrections(self.classifier, self._corrections_store)

    def forget_feedback(self, ids: Sequence[int]) -> Forgotten:
        from router_core import feedback

        return feedback.forget(self.classifier, self._corrections_store, ids)

    def _corrections_store(self) -> SqliteCorrectionStore:
        from router_core.feedback import correction_store

        return correction_store(self.db, self.holder)

    def release_agent(self, lease_id: str) -> None:
        self.leases.release(lease_id)

    # -- state for people and resources ------------------------------------------------

    def budget(self) -> BudgetSnapshot:
        self.refresh_settings()
        return self.ledger.snapshot()

    def refresh_settings(self) -> None:
        """Count against the budget of an edited configuration from now on, as after a restart: lowering
        ``daily_total`` binds the servers already running. ``sources`` become the files it was read from (a file
        created to edit the budget is one); the rest of an edit waits for a restart (config/watch.py)."""
        new = self._settings_updates() if self._settings_updates is not None else None
        if new is None:
            return
        old, self.settings = self.settings.budget, replace(self.settings, budget=new.budget, sources=new.sources)
        if new.budget != old:
            self.ledger.configure(new.budget)
            log.warning("budget configuration changed: daily total %s -> %s", money(old.daily_total),
                        money(new.budget.daily_total))
            try:
                self.audit.append(budget_changed_record(old, new.budget, self.process_session_id))
            except (OSError, StateUnusable) as exc:  # a full disk: the new budget applies all the same
                log.error("audit line of the budget change not written (%s)", exc)

    def settings_not_in_force(self) -> dict[str, object] | None:
        """What the configuration files say that this process does not apply (keys waiting for a restart, an edit
        that does not validate), as config/watch.py's ``pending`` says it; None when they say what runs."""
        pending = getattr(self._settings_updates, "pending", None)
        return pending() if pending is not None else None

    def record_usage(
        self, provider: str, *, requests: int | None, tokens: int | None, cost_usd: float = 0.0, manual: bool
    ) -> None:
        """Record observed usage (None: not entered). ``manual`` usage is an absolute observation for the current
        window: a count not entered keeps what the last manual entry said, so entering a cost alone clears nothing."""
        if provider not in PROVIDER_NAMES:
            raise InvalidRequest(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDER_NAMES)}")
        check_usage_record(requests, tokens, cost_usd)  # all of it, before anything is written
        if cost_usd:  # spend counts under the budget's day: refused while the state dir counts another
            self.refresh_settings()
        with self.db.transaction():  # usage and spend count together or not at all
            if manual and (requests, tokens) != (None, None):
                kept = self.usage_tracker.manual_observation(provider) or (0, 0)
                window = self.usage_tracker.window_seconds  # a figure "in the last minute" holds one rate window
                self.usage_tracker.observe(provider, source="manual", valid_until=self.clock.now() + window,
                                           requests_used=kept[0] if requests is None else requests,
                                           tokens_used=kept[1] if tokens is None else tokens)
            elif not manual:
                self.usage_tracker.record(provider, requests=requests or 0, tokens=tokens or 0)
            if cost_usd:
                self.ledger.record_spend(provider, cost_usd, note="manual" if manual else "recorded")
        log.info("usage recorded for %s: %s requests, %s tokens, %s (manual=%s)", provider, requests, tokens,
                 money(cost_usd), manual)
        if manual:  # entered from outside: who did it, in the audit log (router_core/usage_audit.py)
            try:
                self.audit.append(usage_recorded_record(provider, requests, tokens, cost_usd, self.session_id))
            except (OSError, StateUnusable) as exc:  # a full disk: the record stands all the same
                log.error("audit line of the usage recorded for %s not written (%s)", provider, exc)

    def prepare_batch(self, tasks: Sequence[tuple[str | None, str]]) -> list:
        """Validate, classify and cost each (id, text) task; an error names the task (batch_ids.task_named)."""
        from router_core.batch_plan import BatchTask

        if not tasks:
            raise InvalidRequest("tasks is empty: pass at least one task")
        checked: list[tuple[str | None, str]] = []
        for n, (task_id, text) in enumerate(tasks):
            try:
                checked.append((validate_label(task_id, "id"), validate_task(text)))
            except InvalidRequest as exc:
                raise InvalidRequest(f"{task_named(n)}: {exc}") from None
        batch = []
        for task_id, (_, clean) in zip(batch_task_ids([i for i, _ in checked]), checked, strict=True):
            c = self._classify(clean)
            batch.append(BatchTask(task_id, clean, c, self.costs.estimate_all(clean, c.task_type)))
        return batch

    def plan_batch(self, tasks: Sequence[tuple[str | None, str]], *, concurrency: int | None = None):
        """Route, group and sub-batch tasks (design 6.2) without running them; one audit line per task."""
        from router_core.batch_plan import plan_batch

        batch = self.prepare_batch(tasks)
        view, shared = self._snapshot(None, True)
        cap = concurrency or self.settings.execution.batch_concurrency
        plan = plan_batch(
            batch, usage=view.usage, availability=view.availability, budget=view.budget, settings=self.settings,
            now=self.clock.now(), concurrency=cap, task_seconds=lambda cost: sum(self.costs.seconds(cost)) / 2,
        )
        # Each task's agent (design 6), on the snapshot's agents in use; a run leases one as each task starts
        plan = replace(plan, items=tuple(replace(it, agent=advised_agent(
            self.pool, it.provider, it.classification.task_type, it.task, shared.in_use)) for it in plan.items))
        batch_id = f"batch-{uuid.uuid4().hex[:12]}"
        for item in plan.items:
            self.audit.append(batch_item_record(item, view.usage, view.availability, self.session_id, batch_id))
        return plan


def _make_classifier(settings: Settings, db: Database) -> Classifier:
    from router_core.feedback import make_classifier  # imports the learner: not at start-up's first import

    return make_classifier(settings, db)
