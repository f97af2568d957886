"""The state dir's shared budget settings changed under a running task (another process ran `switchboard budget
adopt`, or this one's configuration was edited away from them): the task's next reservation refreshes the
settings (attempts.py), which refuses. dispatch_agent raised it out of the task, its tries unaudited (a billed
try's cost with them); a batch said "internal error: SharedBudgetMismatch" for every later task, with a traceback
each. Now the task ends with status "config_mismatch", the refusal's advice as its error, audited, and nothing
held."""

from __future__ import annotations

from dataclasses import replace

from router_core.core import DB_FILENAME
from router_core.errors import ProviderRefused
from router_core.execution.batch import run_batch
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.providers.base import Completion
from router_core.shared_budget import SharedBudgetGuard, adopt
from router_core.store.db import Database
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep, unanswered

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex first, then gemini


class AdoptedMeanwhile(ScriptedAdapter):
    """Fails (a billed refusal: fall back), and meanwhile another process adopts another time zone for the
    state dir; the guard of this process looks at the record again from then on."""

    def __init__(self, provider, settings, ticks) -> None:
        super().__init__(provider)
        self.settings, self.ticks = settings, ticks

    async def complete(self, request):
        self.requests.append(request)
        other = Database(self.settings.state_dir / DB_FILENAME)
        adopt(other, replace(self.settings, budget=replace(self.settings.budget, timezone="Pacific/Kiritimati")))
        other.close()
        self.ticks[0] += 10.0
        billed = Completion("", self.name, request.model or self.model, 1000, 10, None, None, "api")
        raise ProviderRefused("codex refused: content filter", provider=self.name, status_code=400, billed=billed)


def executor(settings, clock):
    core = make_core(settings, clock)
    ticks = [0.0]
    core._settings_updates = SharedBudgetGuard(core.db, settings, None, every=5.0, monotonic=lambda: ticks[0])
    adapters = {name: ScriptedAdapter(settings.provider(name)) for name in ("gemini", "claude")}
    adapters["codex"] = AdoptedMeanwhile(settings.provider("codex"), settings, ticks)
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5), adapters


def nothing_held(core, clock) -> None:
    assert core.db.query("SELECT COUNT(*) FROM budget_reservations WHERE status = 'live'")[0][0] == 0
    assert core.leases.in_use() == {}
    assert unanswered(core.db, clock)() == 0


async def test_a_dispatch_refused_before_its_fallback_says_what_to_do_and_is_audited(settings, clock):
    core, ex, adapters = executor(settings, clock)
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "config_mismatch"
    assert 'budget.timezone is "UTC" in this process' in o.error and "switchboard budget adopt" in o.error
    assert [(a.provider, a.outcome) for a in o.attempts] == [("codex", "refused"), ("gemini", "config_mismatch")]
    assert o.cost_usd > 0  # the billed refusal is reported
    assert adapters["gemini"].requests == adapters["claude"].requests == []
    assert r.audit["execution_metrics"]["status"] == "config_mismatch"
    assert core.audit.tail(1)[0]["execution_metrics"]["error"] == o.error
    nothing_held(core, clock)


async def test_a_batch_refuses_each_task_clearly_and_ends(settings, clock):
    core, ex, adapters = executor(settings, clock)
    run = await run_batch(core, ex, [("a", CODE_TASK), ("b", CODE_TASK)], parallel=1)
    statuses = [(o.task_id, o.status) for o in run.outcome.outcomes]
    assert statuses == [("a", "config_mismatch"), ("b", "config_mismatch")]
    for o in run.outcome.outcomes:
        assert "internal error" not in o.error and "switchboard budget adopt" in o.error
    lines = [line for line in core.audit.tail(5) if line.get("event") == "batch_task"]
    assert [line["execution_metrics"]["status"] for line in lines] == ["config_mismatch"] * 2
    nothing_held(core, clock)
