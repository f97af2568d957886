"""Pick an agent for a provider and task type (design 5.2).

Candidates are the agents that work with the provider AND handle the task type; those
at their ``max_concurrency`` are skipped. If none is free, any free agent of the
provider is used (``fallback=True``). If the provider has no free agent at all,
``NoAgentAvailable`` is raised.

Score (higher wins; ties go to the earlier agent in the pool):
  +3    the task type is the agent's main (first) task type, +1 if merely listed
  +1    the provider is the agent's first provider
  +1/n  specificity, when the agent lists the task type: n is how many it lists
  +0.5  per task word that matches a word of the agent's id or specialization
        (words of 4+ letters matching on their first five letters), at most +2
  -0.25 per task the agent is already running
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

from router_core.errors import NoAgentAvailable
from router_core.models import AgentChoice, AgentSpec

MAIN_TYPE_POINTS = 3.0
LISTED_TYPE_POINTS = 1.0
FIRST_PROVIDER_POINTS = 1.0
WORD_POINTS = 0.5
MAX_WORD_POINTS = 2.0
IN_USE_PENALTY = 0.25
MIN_WORD_LENGTH = 4
STEM_LENGTH = 5
STOPWORDS = frozenset(
    {"with", "from", "that", "this", "into", "over", "your", "their", "about", "across", "each"}
)


def words(text: str) -> list[str]:
    """Distinct lowercase words of at least four letters, stopwords removed, in order."""
    seen: dict[str, None] = {}
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if len(w) >= MIN_WORD_LENGTH and w not in STOPWORDS:
            seen.setdefault(w)
    return list(seen)


Stems = tuple[frozenset[str], frozenset[str], frozenset[str]]


def stems_of(agent: AgentSpec) -> Stems:
    """(five-letter prefixes, whole four-letter words, four-letter prefixes) of the agent's words."""
    agent_words = words(f"{agent.id} {agent.specialization}")
    return (
        frozenset(a[:STEM_LENGTH] for a in agent_words if len(a) >= STEM_LENGTH),
        frozenset(a for a in agent_words if len(a) == MIN_WORD_LENGTH),
        frozenset(a[:MIN_WORD_LENGTH] for a in agent_words),
    )


_agent_stems = lru_cache(maxsize=1024)(stems_of)


def _matches(word: str, stems: Stems) -> bool:
    """Two words match when they agree on their first min(5, len) letters."""
    five, four_words, four_prefixes = stems
    if len(word) == MIN_WORD_LENGTH:
        return word in four_prefixes
    return word[:STEM_LENGTH] in five or word[:MIN_WORD_LENGTH] in four_words


def matching_words(text: str, agent: AgentSpec, task_words: list[str] | None = None) -> list[str]:
    """The task's words that match a word of the agent's id or specialization."""
    stems = _agent_stems(agent)
    return [w for w in (words(text) if task_words is None else task_words) if _matches(w, stems)]


def static_points(agent: AgentSpec, provider: str, task_type: str) -> float:
    """The terms of the score that depend only on the agent, the provider and the task type."""
    points = 0.0
    if task_type in agent.task_types:
        main = agent.task_types[0] == task_type
        points += (MAIN_TYPE_POINTS if main else LISTED_TYPE_POINTS) + 1.0 / len(agent.task_types)
    if agent.providers and agent.providers[0] == provider:
        points += FIRST_PROVIDER_POINTS
    return points


def _points(static: float, in_use: int, matched: int) -> float:
    return static + min(MAX_WORD_POINTS, WORD_POINTS * matched) - IN_USE_PENALTY * in_use


def score(
    agent: AgentSpec, provider: str, task_type: str, in_use: int, text: str = "", task_words: list[str] | None = None
) -> float:
    """The agent's fit for this task; see the module docstring for the terms."""
    return _points(static_points(agent, provider, task_type), in_use, len(matching_words(text, agent, task_words)))


# Given the task's words, a function from an agent to the words it matches (in task order).
Matcher = Callable[[list[str]], Callable[[AgentSpec], list[str]]]


def _stem_matcher(task_words: list[str]) -> Callable[[AgentSpec], list[str]]:
    return lambda agent: matching_words("", agent, task_words)


def best_agent(
    scored: Iterable[tuple[AgentSpec, float]],
    in_use: Mapping[str, int],
    matched_by: Callable[[AgentSpec], list[str]],
) -> tuple[AgentSpec, float, list[str]]:
    """The top-scoring agent of (agent, static points) pairs (ties: the earliest), its points and the
    task words it matched."""
    best: tuple[AgentSpec, float, list[str]] | None = None
    for a, static in scored:
        matched = matched_by(a)
        points = _points(static, in_use.get(a.id, 0), len(matched))
        if best is None or points > best[1]:
            best = (a, points, matched)
    assert best is not None  # callers pass at least one agent
    return best


def specialist_choice(best: tuple[AgentSpec, float, list[str]], provider: str, task_type: str) -> AgentChoice:
    agent, points, matched = best
    reason = f"provider specialty ({provider}) + task type ({task_type})"
    if matched:
        reason += f" + words ({', '.join(matched)})"
    return AgentChoice(agent=agent, reason=reason, score=points)


def _busy_message(provider: str, agents: Sequence[AgentSpec], in_use: Mapping[str, int]) -> str:
    if not agents:
        return f"no agent in the pool works with provider {provider!r}"
    busy = ", ".join(f"{a.id} {in_use.get(a.id, 0)}/{a.max_concurrency}" for a in agents)
    return f"every {provider} agent is at its concurrency limit ({busy}); retry when one finishes"


def select_agent(
    pool: Sequence[AgentSpec], provider: str, task_type: str, in_use: Mapping[str, int], text: str = ""
) -> AgentChoice:
    """The best free agent for ``provider`` and ``task_type``; ``in_use`` counts running tasks by id."""
    return choose_agent([a for a in pool if provider in a.providers], provider, task_type, in_use, text)


def choose_agent(
    provider_agents: Sequence[AgentSpec],
    provider: str,
    task_type: str,
    in_use: Mapping[str, int],
    text: str = "",
    matcher: Matcher = _stem_matcher,
) -> AgentChoice:
    """``select_agent`` given the pool's agents of ``provider`` (in pool order); ``matcher`` finds the
    task words each agent matches (a pool can answer from an index it built once)."""
    free = [a for a in provider_agents if in_use.get(a.id, 0) < a.max_concurrency]
    if not free:
        raise NoAgentAvailable(_busy_message(provider, provider_agents, in_use))
    matched_by = matcher(words(text) if text else [])
    candidates = [(a, static_points(a, provider, task_type)) for a in free if task_type in a.task_types]
    if candidates:
        return specialist_choice(best_agent(candidates, in_use, matched_by), provider, task_type)
    scored = [(a, static_points(a, provider, task_type)) for a in free]
    agent, points, _ = best_agent(scored, in_use, matched_by)
    handles = [a.id for a in provider_agents if task_type in a.task_types]
    why = f"busy: {', '.join(handles)}" if handles else "none handles it"
    reason = (
        f"fallback: no free {provider} agent for task type {task_type} ({why}); "
        f"using {provider} agent {agent.id} ({agent.task_types[0]})"
    )
    return AgentChoice(agent=agent, reason=reason, score=points, fallback=True)
