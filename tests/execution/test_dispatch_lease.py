"""dispatch takes the agent's lease in the transaction of the first budget reservation (two commits per task)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from router_core.errors import NoAgentAvailable
from router_core.execution.dispatch import dispatch
from router_core.execution.holds import QUOTA
from router_core.leases import AgentLeases

CODE_TASK = "Implement a JWT login endpoint in Flask"
ELSEWHERE = "elsewhere.example:1:1"  # a holder on another host: assumed alive, so its leases count


def count_write_transactions(core) -> list[str]:
    begun: list[str] = []
    core.db.connection().set_trace_callback(lambda sql: begun.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    return begun


def fill_after_routing(core, monkeypatch, agents) -> None:
    """Another process leases ``agents`` (None: the routed one) to their limits right after the first routing."""
    decide = core.conclude  # a decision, once routed (dispatch routes on the loop: loop_decisions.py)
    other = AgentLeases(core.db, core.clock, ELSEWHERE)
    filled = []

    def decide_then_fill(*args, **kwargs):
        decision, view = decide(*args, **kwargs)
        if not filled:
            targets = agents if agents is not None else [decision.agent.agent]
            for agent in targets:
                while other.acquire(agent.id, agent.max_concurrency):
                    pass
            filled.append(decision.agent.agent.id)
        return decision, view

    monkeypatch.setattr(core, "conclude", decide_then_fill)
    return filled


async def test_a_successful_dispatch_commits_twice_and_leaves_no_lease(settings, build_executor, fake):
    core, ex = build_executor(settings)
    await dispatch(core, ex, CODE_TASK)  # first-use writes (tables, first-event marks) out of the way
    begun = count_write_transactions(core)
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "success"
    assert len(begun) == 2  # lease + reservation + pacing, then settlement + release
    assert r.decision.lease_id  # reported to the host as before
    assert core.leases.in_use() == {} and core.budget().reserved == 0


async def test_the_lease_is_held_during_the_call(settings, build_executor, fake):
    core, ex = build_executor(settings)
    seen = []
    adapter = ex.adapters["codex"]
    complete = adapter.complete

    async def watching(request):
        seen.append((core.leases.in_use(), core.budget().reserved > 0))
        return await complete(request)

    adapter.complete = watching
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    assert r.outcome.status == "success"
    assert seen == [({r.decision.agent.agent.id: 1}, True)]
    assert core.leases.in_use() == {}


async def test_an_agent_filled_after_routing_routes_again_to_a_free_one(settings, build_executor, fake, monkeypatch):
    core, ex = build_executor(settings)
    filled = fill_after_routing(core, monkeypatch, None)
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "success"
    assert r.decision.agent.agent.id != filled[0]
    assert r.decision.lease_id
    assert fake.stats("codex").requests == 1
    assert core.budget().reserved == 0
    assert set(core.leases.in_use()) == {filled[0]}  # only the other process's leases remain


async def test_no_free_agent_after_routing_raises_and_spends_nothing(settings, build_executor, fake, monkeypatch):
    core, ex = build_executor(settings)
    provider = core.decide(CODE_TASK, audit=False).provider
    fill_after_routing(core, monkeypatch, [a for a in core.agents if provider in a.providers])
    with pytest.raises(NoAgentAvailable):
        await dispatch(core, ex, CODE_TASK)
    assert sum(fake.stats(p).requests for p in ("codex", "gemini", "claude")) == 0
    assert core.budget().reserved == 0 and core.budget().spent == 0


async def test_not_configured_keeps_a_lease_for_the_host_even_when_routed_again(settings, build_executor, fake,
                                                                                monkeypatch):
    core, ex = build_executor(settings, environ={})
    filled = fill_after_routing(core, monkeypatch, None)
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "not_configured"
    mine = r.decision.agent.agent.id
    assert mine != filled[0] and r.decision.lease_id
    assert core.leases.in_use()[mine] == 1


async def test_a_dispatch_reads_its_routing_state_in_one_read_transaction(settings, build_executor, fake):
    core, ex = build_executor(settings)
    await dispatch(core, ex, CODE_TASK)
    statements: list[str] = []
    core.db.connection().set_trace_callback(statements.append)
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "success"
    assert statements.count("BEGIN") == 1  # the decision's snapshot; the executor walks codex on it
    assert sum("FROM execution_circuits WHERE is_open = 1" in s for s in statements) == 1


async def test_a_quota_hold_set_after_routing_still_stops_the_call(settings, build_executor, fake, monkeypatch):
    core, ex = build_executor(settings)
    decide = core.conclude  # a decision, once routed (dispatch routes on the loop: loop_decisions.py)

    def decide_then_hold(*args, **kwargs):  # another process learns codex's quota is gone right after routing
        decision, view = decide(*args, **kwargs)
        core.execution_state.holds.hold(decision.provider, QUOTA, core.clock.now() + 600, "quota exhausted: test")
        return decision, view

    monkeypatch.setattr(core, "conclude", decide_then_hold)
    r = await dispatch(core, ex, CODE_TASK)
    assert r.decision.provider == "codex"
    assert r.outcome.status == "success" and r.outcome.provider != "codex"
    assert r.outcome.attempts[0].provider == "codex" and r.outcome.attempts[0].outcome == "on_hold"
    assert fake.stats("codex").requests == 0 and core.budget().reserved == 0


async def test_a_due_probe_is_sent_before_routing_and_routing_uses_its_answer(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    for _ in range(settings.execution.outage_failure_threshold):
        core.execution_state.circuits.record_failure("codex", "503")
    clock.advance(settings.execution.outage_probe_interval_seconds)
    r = await dispatch(core, ex, CODE_TASK)
    assert fake.stats("codex").requests == 2  # the probe, then the task
    assert r.decision.provider == "codex" and r.decision.recommendation.route == "primary"
    assert not core.execution_state.circuits.state("codex").is_open


@pytest.mark.parametrize("execute", [True, False])  # no backend / route only: the host runs the agent itself
async def test_leases_handed_to_the_host_lapse_and_never_fill_the_pool_for_good(settings, build_executor, fake, clock,
                                                                                execute):
    core, ex = build_executor(settings, environ={})
    capacity = sum(a.max_concurrency for a in core.agents if "codex" in a.providers)
    for _ in range(capacity):  # every codex agent leased for tasks the host runs
        await dispatch(core, ex, CODE_TASK, execute=execute)
    with pytest.raises(NoAgentAvailable, match="freed 15 minutes after its dispatch"):
        await dispatch(core, ex, CODE_TASK, execute=execute)
    ex.core.leases.heartbeat()  # a running task's heartbeat does not extend the host's leases
    d = core.decide(CODE_TASK)  # advice still names an agent while all are busy
    assert d.agent is not None and d.agent.reason.endswith("every codex agent is busy now, this one is next")
    clock.advance(15 * 60)
    assert core.leases.in_use() == {}
    r = await dispatch(core, ex, CODE_TASK, execute=execute)
    assert r.decision.lease_id and r.outcome.status == ("not_configured" if execute else "routed")


async def test_a_running_tasks_lease_is_still_extended_by_heartbeats(settings, build_executor, fake, clock):
    core, ex = build_executor(settings, environ={})
    handed = (await dispatch(core, ex, CODE_TASK)).decision.lease_id
    running = core.leases.acquire("code-reviewer", 5)
    clock.advance(14 * 60)
    core.leases.heartbeat()
    clock.advance(2 * 60)
    assert core.leases.in_use() == {"code-reviewer": 1}  # the host's lapsed at 15 minutes, the running one not
    assert {r["id"] for r in core.db.query("SELECT id FROM agent_leases")} == {running} and handed != running


@pytest.mark.parametrize(("timeout", "ttl"), [(120.0, 3600.0), (2400.0, 4800.0)])
def test_a_running_tasks_lease_outlasts_its_longest_call(settings, build_executor, fake, timeout, ttl):
    # Leases are refreshed between calls, not during one (as reservations; see the config check).
    s = replace(settings, execution=replace(settings.execution, request_timeout_seconds=timeout))
    core, _ = build_executor(s)
    assert core.leases.ttl_seconds == ttl
