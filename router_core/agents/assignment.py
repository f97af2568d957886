"""Assign an agent to a routed task (design 5.2), optionally leasing it against its concurrency limit.

Selection reads the leases in use from the decision's snapshot; leasing is a write that another process
may beat to the last slot, in which case the leases are read again and the next best agent is tried, until
one is leased or every agent of the provider is at its limit.
"""

from __future__ import annotations

from dataclasses import replace

from router_core.agents.pool import AgentPool
from router_core.errors import NoAgentAvailable
from router_core.leases import UNATTENDED_SECONDS, AgentLeases
from router_core.models import AgentChoice


def assign_agent(
    pool: AgentPool, leases: AgentLeases, provider: str, task_type: str, text: str, *, lease: bool,
    in_use: dict[str, int],
) -> tuple[AgentChoice, str | None]:
    """The chosen agent, with the id of its lease when ``lease`` is set (else None).

    Without a lease it is advice: when every suitable agent is busy, the best of them is named anyway."""
    try:
        choice = _mark_host(pool.select(provider, task_type, in_use, text))
    except NoAgentAvailable as busy:  # every agent of the provider is at its limit
        if lease:
            raise _busy_for_lease(busy) from None
        choice = _mark_host(pool.select(provider, task_type, {}, text))
        return replace(choice, reason=f"{choice.reason}; every {provider} agent is busy now, this one is next"), None
    if not lease:
        return choice, None
    # Each lost race means another process filled that agent: read the leases again and try the next best,
    # until one is leased or every agent of the provider is full (bounded: one try per agent, plus one).
    for _ in range(len(pool.for_provider(provider))):
        lease_id = leases.acquire(choice.agent.id, choice.agent.max_concurrency)
        if lease_id is not None:
            return choice, lease_id
        try:
            choice = _mark_host(pool.select(provider, task_type, leases.in_use(), text))
        except NoAgentAvailable as busy:
            raise _busy_for_lease(busy) from None
    lease_id = leases.acquire(choice.agent.id, choice.agent.max_concurrency)
    if lease_id is None:
        raise NoAgentAvailable(f"every agent suited to {task_type} on {provider} is busy; retry shortly")
    return choice, lease_id


def advised_agent(pool: AgentPool, provider: str, task_type: str, text: str, in_use: dict[str, int]) -> str | None:
    """The id of the agent a batch task would be assigned now (design 6's plan), without a lease, as a batch run
    chooses one (execution/batch.py's choose_agent): the best free agent, else the best of the busy ones; None
    when the provider has no agent."""
    try:
        return pool.select(provider, task_type, in_use, text).agent.id
    except NoAgentAvailable:
        choice = pool.select_unleased(provider, task_type, text)
        return None if choice is None else choice.agent.id


def _busy_for_lease(busy: NoAgentAvailable) -> NoAgentAvailable:
    return NoAgentAvailable(f"{busy} (an agent you run yourself is freed {UNATTENDED_SECONDS / 60:g} "
                            "minutes after its dispatch)")


def _mark_host(choice: AgentChoice) -> AgentChoice:
    if choice.agent.source == "builtin":
        return choice
    return replace(choice, reason=f"{choice.reason}; your host agent from {choice.agent.source}")
