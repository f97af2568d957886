"""assign_agent with a lease: losing the race for an agent's last slot to other processes."""

from __future__ import annotations

import pytest

from router_core.agents import AgentPool
from router_core.agents.assignment import advised_agent, assign_agent
from router_core.errors import NoAgentAvailable
from router_core.models import AgentSpec


def agent(id: str, limit: int = 1) -> AgentSpec:
    return AgentSpec(id=id, category="test", specialization="x", task_types=("testing",), providers=("codex",),
                     system_prompt="You test.", max_concurrency=limit)


class RacedLeases:
    """Leases where other processes take the last slot of the first ``lose`` agents this one tries."""

    def __init__(self, lose: int) -> None:
        self.lose = lose
        self.taken: dict[str, int] = {}

    def acquire(self, agent_id: str, limit: int, *, task_id: str | None = None) -> str | None:
        if self.lose > 0 or self.taken.get(agent_id, 0) >= limit:
            self.lose -= 1
            self.taken[agent_id] = limit  # another process got there first
            return None
        self.taken[agent_id] = self.taken.get(agent_id, 0) + 1
        return f"lease-{agent_id}"

    def in_use(self) -> dict[str, int]:
        return dict(self.taken)


POOL = AgentPool([agent("a"), agent("b"), agent("c")])


def test_losing_two_races_in_a_row_leases_the_next_free_agent() -> None:
    choice, lease_id = assign_agent(POOL, RacedLeases(lose=2), "codex", "testing", "", lease=True, in_use={})
    assert choice.agent.id == "c"
    assert lease_id == "lease-c"


def test_no_agent_available_only_when_every_agent_is_really_full() -> None:
    with pytest.raises(NoAgentAvailable, match="concurrency limit"):
        assign_agent(POOL, RacedLeases(lose=3), "codex", "testing", "", lease=True, in_use={})


def test_the_advised_agent_is_the_best_free_one_else_the_best_busy_one_as_a_batch_runs_it() -> None:
    # advised_agent (the plan) and execution/batch.choose_agent (the run) share the fallback, AgentPool.select_unleased.
    assert advised_agent(POOL, "codex", "testing", "", in_use={"a": 1}) == "b"
    everyone_busy = {"a": 1, "b": 1, "c": 1}
    assert advised_agent(POOL, "codex", "testing", "", in_use=everyone_busy) == POOL.select_unleased("codex", "testing").agent.id == "a"
    assert advised_agent(POOL, "gemini", "testing", "", in_use={}) is None
    assert POOL.select_unleased("gemini", "testing") is None
