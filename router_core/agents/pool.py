"""The agent pool: the built-in agents plus any host agents that join at run time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from router_core.agents.selection import (
    WordIndex,
    best_agent,
    choose_agent,
    specialist_choice,
    static_points,
    words,
)
from router_core.errors import NoAgentAvailable
from router_core.models import AgentChoice, AgentSpec


class AgentPool:
    """An ordered, immutable set of agents with unique ids."""

    def __init__(self, agents: Iterable[AgentSpec] = ()) -> None:
        by_id: dict[str, AgentSpec] = {}
        for agent in agents:
            by_id[agent.id] = agent  # a later agent with the same id replaces the earlier one
        self._by_id = by_id
        self._agents = tuple(by_id.values())
        # Per process, from the pool alone (it never changes), built on first use: each provider's agents,
        # the agents for each (provider, task type) with their static points, and each provider's word
        # index (which of its agents each match key belongs to, so how rare each task word is).
        self._of_provider: dict[str, tuple[AgentSpec, ...]] = {}
        self._specialists: dict[tuple[str, str], tuple[tuple[AgentSpec, float], ...]] = {}
        self._word_index: dict[str, WordIndex] = {}

    def __iter__(self) -> Iterator[AgentSpec]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._by_id

    @property
    def agents(self) -> tuple[AgentSpec, ...]:
        return self._agents

    def by_id(self, agent_id: str) -> AgentSpec:
        try:
            return self._by_id[agent_id]
        except KeyError:
            raise KeyError(f"unknown agent {agent_id!r}") from None

    def with_extra(self, agents: Iterable[AgentSpec]) -> AgentPool:
        """A new pool with ``agents`` added; one with an existing id replaces it in place."""
        return AgentPool([*self._by_id.values(), *agents])

    def for_provider(self, provider: str) -> tuple[AgentSpec, ...]:
        found = self._of_provider.get(provider)
        if found is None:
            found = self._of_provider[provider] = tuple(a for a in self._agents if provider in a.providers)
        return found

    def for_task_type(self, task_type: str) -> tuple[AgentSpec, ...]:
        return tuple(a for a in self._by_id.values() if task_type in a.task_types)

    def select(self, provider: str, task_type: str, in_use: Mapping[str, int], text: str = "") -> AgentChoice:
        """``select_agent(self.agents, ...)``, answered from the per-provider lists and word indexes."""
        specialists = self._specialists.get((provider, task_type))
        if specialists is None:
            specialists = self._specialists[(provider, task_type)] = tuple(
                (a, static_points(a, provider, task_type)) for a in self.for_provider(provider)
                if task_type in a.task_types
            )
        index = self._word_index.get(provider)
        if index is None:
            index = self._word_index[provider] = WordIndex(self.for_provider(provider))
        free = [(a, points) for a, points in specialists if in_use.get(a.id, 0) < a.max_concurrency]
        if not free:  # a fallback to another agent of the provider, or none free at all
            return choose_agent(self.for_provider(provider), provider, task_type, in_use, text, index.matcher)
        best = best_agent(free, in_use, index.matcher(words(text) if text else []))
        return specialist_choice(best, provider, task_type)

    def select_unleased(self, provider: str, task_type: str, text: str = "") -> AgentChoice | None:
        """The agent a task runs on without a lease when none is free: the best of ``provider``'s agents, as if none
        were busy; None when it has none."""
        try:
            return self.select(provider, task_type, {}, text)
        except NoAgentAvailable:
            return None
