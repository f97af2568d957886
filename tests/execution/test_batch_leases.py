"""A batch's agent leases (design 5.2, 6.2): held by the tasks calling, not by the workers waiting for the gate."""

from __future__ import annotations

import anyio

from router_core.execution.batch import run_batch
from router_core.execution.executor import Executor
from router_core.leases import AgentLeases
from router_core.providers.base import Completion
from tests.execution.conftest import make_core
from tests.execution.fakes import clock_sleep

TEXTS = ["Implement a JWT login endpoint in Flask", "Fix the bug in the data loader",
         "Explain how the OAuth2 flow works", "Analyze the logs and document findings",
         "Design the architecture for a distributed ingest pipeline"]


class Calls:
    """Adapters whose calls wait until ``cap`` are in flight and every other task is blocked, then note the
    leases held at that moment."""

    def __init__(self, core, cap: int) -> None:
        self.core, self.cap, self.in_flight, self.seen = core, cap, 0, []
        self.full = anyio.Event()

    def adapter(self, provider):
        calls = self

        class Adapter:
            backend, name, model = "api", provider.name, provider.default_model

            async def complete(self, request):
                calls.in_flight += 1
                if calls.in_flight == calls.cap and not calls.full.is_set():
                    await anyio.wait_all_tasks_blocked()  # the other workers wait for the gate (or an agent)
                    calls.seen.append((calls.in_flight, sum(calls.core.leases.in_use().values())))
                    calls.full.set()
                await calls.full.wait()
                calls.in_flight -= 1
                return Completion("ok", self.name, request.model or self.model, 100, 50, None, None, "api")

            async def probe(self):
                pass

        return Adapter()


async def test_a_batch_leases_agents_for_the_calls_in_flight_not_for_its_workers(settings, clock):
    # Each provider group has `parallel` workers, and each leased its agent before waiting for the batch's gate:
    # three providers at --parallel 8 held 24 leases while 8 calls were in flight, and at 64 a group could hold
    # nearly every agent of its provider, refusing other sessions' dispatch_agent (NoAgentAvailable) meanwhile.
    core = make_core(settings, clock)
    calls = Calls(core, 8)
    ex = Executor(core, {p.name: calls.adapter(p) for p in settings.providers}, sleep=clock_sleep(clock))
    run = await run_batch(core, ex, [(None, f"{TEXTS[i % 5]} (part {i})") for i in range(60)], parallel=8)
    assert len(run.plan.providers) == 3 and all(len(g.task_indexes) >= 8 for g in run.plan.providers)
    assert calls.seen == [(8, 8)]
    assert run.outcome.succeeded == 60 and core.leases.in_use() == {}
    assert all(run.agents)


async def test_an_agent_another_process_fills_first_is_traded_for_the_next_free_one(settings, clock, monkeypatch):
    # The agent a task chose may fill up before the task reaches the gate: it takes the next best, nothing sent.
    from router_core.execution import batch

    core = make_core(settings, clock)
    other = AgentLeases(core.db, clock, holder="elsewhere.example:1:1")
    calls = Calls(core, 1)
    ex = Executor(core, {p.name: calls.adapter(p) for p in settings.providers}, sleep=clock_sleep(clock))
    real, chosen = batch.choose_agent, []

    async def then_filled(core_, wait, item, text, tries):
        choice, leased = await real(core_, wait, item, text, tries)
        if not chosen:  # another session fills it meanwhile
            agent = choice.agent
            while other.acquire(agent.id, agent.max_concurrency) is not None:
                pass
        chosen.append(choice.agent.id)
        return choice, leased

    monkeypatch.setattr(batch, "choose_agent", then_filled)
    run = await run_batch(core, ex, [("a", TEXTS[0])], parallel=1)
    [o] = run.outcome.outcomes
    assert o.status == "success" and [a.outcome for a in o.attempts] == ["success"]
    assert len(chosen) == 2 and chosen[0] != chosen[1] == run.agents[0]
    assert list(core.leases.in_use()) == [chosen[0]]  # the other session's, and none of the batch's
