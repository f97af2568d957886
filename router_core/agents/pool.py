"""The agent pool: the built-in agents plus any host agents that join at run time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from router_core.agents.selection import select_agent
from router_core.models import AgentChoice, AgentSpec


class AgentPool:
    """An ordered, immutable set of agents with unique ids."""

    def __init__(self, agents: Iterable[AgentSpec] = ()) -> None:
        by_id: dict[str, AgentSpec] = {}
        for agent in agents:
            by_id[agent.id] = agent  # a later agent with the same id replaces the earlier one
        self._by_id = by_id

    def __iter__(self) -> Iterator[AgentSpec]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._by_id

    @property
    def agents(self) -> tuple[AgentSpec, ...]:
        return tuple(self._by_id.values())

    def by_id(self, agent_id: str) -> AgentSpec:
        try:
            return self._by_id[agent_id]
        except KeyError:
            raise KeyError(f"unknown agent {agent_id!r}") from None

    def with_extra(self, agents: Iterable[AgentSpec]) -> AgentPool:
        """A new pool with ``agents`` added; one with an existing id replaces it in place."""
        return AgentPool([*self._by_id.values(), *agents])

    def for_provider(self, provider: str) -> tuple[AgentSpec, ...]:
        return tuple(a for a in self._by_id.values() if provider in a.providers)

    def for_task_type(self, task_type: str) -> tuple[AgentSpec, ...]:
        return tuple(a for a in self._by_id.values() if task_type in a.task_types)

    def select(self, provider: str, task_type: str, in_use: Mapping[str, int], text: str = "") -> AgentChoice:
        return select_agent(self.agents, provider, task_type, in_use, text)
