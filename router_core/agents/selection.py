"""Pick an agent for a provider and task type (design 5.2).

Candidates are the agents that work with the provider AND handle the task type; those
at their ``max_concurrency`` are skipped. If none is free, any free agent of the
provider is used (``fallback=True``). If the provider has no free agent at all,
``NoAgentAvailable`` is raised.

Score (higher wins; ties go to the earlier agent in the pool):
  +3    the task type is the agent's main (first) task type, +1 if merely listed
  +1    the provider is the agent's first provider
  +1/n  specificity, when the agent lists the task type: n is how many it lists
  +1.5 x rarity, per task word that matches a word of the agent's id or specialization,
        at most +4 in all (rounded to 3 decimals). Words have 4+ letters, stopwords aside;
        two match on their first five letters, or when both are one four-letter word
        or its inflections (test, tests, testing; not data and database: see
        ``match_keys``). A word's rarity is log(N / m) / log(N), where N is how many of
        the pool's agents work with the provider and m how many of those the word
        matches: 1 for a word only one agent matches ("wcag"), falling to 0 for one
        they all match (1 when N is 1). So a clear specialty (three or so rare words)
        can outweigh another agent's main task type and first provider.
  -0.25 per task the agent is already running

The reason names the matched words. Rarities depend only on the provider's agents, so a
pool computes them once per provider (``WordIndex``) and caches each word's look-up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

from router_core.errors import NoAgentAvailable
from router_core.models import AgentChoice, AgentSpec

MAIN_TYPE_POINTS = 3.0
LISTED_TYPE_POINTS = 1.0
FIRST_PROVIDER_POINTS = 1.0
WORD_POINTS = 1.5
MAX_WORD_POINTS = 4.0
IN_USE_PENALTY = 0.25
MIN_WORD_LENGTH = 4
STEM_LENGTH = 5
INFLECTIONS = ("s", "es", "ed", "er", "ers", "ing")
STOPWORDS = frozenset(
    {"with", "from", "that", "this", "into", "over", "your", "their", "about", "across", "each"}
)


_WORD = re.compile(r"[a-z0-9]+")
# On ASCII text, _WORD's runs of the lower-cased text are the words left once one byte table lower-cases letters
# and blanks everything but letters and digits (no regex scan, no lower() pass: every routing decision asks).
_ASCII_WORD_BYTES = bytes(ord(c.lower()) if c.isalnum() else ord(" ") for c in map(chr, range(128))) + bytes(
    range(128, 256))


def words(text: str) -> list[str]:
    """Distinct lowercase words of at least four letters, stopwords removed, in order."""
    if text.isascii():
        found = text.encode().translate(_ASCII_WORD_BYTES).decode().split()
    else:
        found = _WORD.findall(text.lower())
    return list(dict.fromkeys([w for w in found if len(w) >= MIN_WORD_LENGTH and w not in STOPWORDS]))


@lru_cache(maxsize=4096)
def match_keys(word: str) -> tuple[str, ...]:
    """The keys of a word (of four letters or more); two words match when they share a key.

    A word of five letters or more has its first five letters as a key. A four-letter word, or one
    that is a four-letter word plus an inflection (-s, -es, -ed, -er, -ers, -ing; the word's last
    letter perhaps doubled, or its final e shared), also has that four-letter word as a key. So "test",
    "tests" and "testing" match, as do "plan" and "planner", "code" and "coder", "analyzer" and
    "analysers"; "data" and "database" do not, nor "test" and "testament"."""
    keys = [word[:STEM_LENGTH]] if len(word) >= STEM_LENGTH else []
    base = word[:MIN_WORD_LENGTH]
    rest = word[MIN_WORD_LENGTH:]
    if rest[:1] == base[-1] and rest[1:2] in ("e", "i"):  # a doubled last letter: planner, mapping
        rest = rest[1:]
    if rest == "" or rest in INFLECTIONS or (base[-1] == "e" and "e" + rest in INFLECTIONS):
        keys.append(base)  # four letters, so never one of the five-letter keys
    return tuple(keys)


def keys_of(agent: AgentSpec) -> frozenset[str]:
    """The match keys of the words of the agent's id and specialization."""
    return frozenset(k for w in words(f"{agent.id} {agent.specialization}") for k in match_keys(w))


_agent_keys = lru_cache(maxsize=1024)(keys_of)


def matching_words(text: str, agent: AgentSpec, task_words: list[str] | None = None) -> list[str]:
    """The task's words that match a word of the agent's id or specialization."""
    keys = _agent_keys(agent)
    task_words = words(text) if task_words is None else task_words
    return [w for w in task_words if not keys.isdisjoint(match_keys(w))]


def rarity(matched_by: int, agents: int) -> float:
    """How much a word says about the agents it matches: 1 when it matches one of the provider's
    ``agents``, falling with log(agents / matched_by) to 0 when it matches all of them."""
    if matched_by >= agents:
        return 1.0 if agents <= 1 else 0.0
    return math.log(agents / matched_by) / math.log(agents)


def word_points(weight: float) -> float:
    """WORD_POINTS per matched word times its rarity (``weight`` is the rarities' sum), at most
    MAX_WORD_POINTS, to three decimal places."""
    return round(min(MAX_WORD_POINTS, WORD_POINTS * weight), 3)


# The task words an agent matches (in task order) and the points they earn it.
Matched = tuple[tuple[str, ...], float]
NO_MATCH: Matched = ((), 0.0)


def _no_match(agent: AgentSpec) -> Matched:
    return NO_MATCH


class WordIndex:
    """Which of a provider's agents each match key belongs to, built once for a list of agents; it
    answers, for a task's words, every agent's matched words and word points with one cached look-up
    per task word (a word's rarity is how many of these agents it matches)."""

    __slots__ = ("_agents", "_by_key", "lookup")

    def __init__(self, agents: Sequence[AgentSpec]) -> None:
        by_key: dict[str, dict[str, None]] = {}
        ids: dict[str, None] = {}
        for agent in agents:
            ids.setdefault(agent.id)
            for key in _agent_keys(agent):
                by_key.setdefault(key, {}).setdefault(agent.id)
        self._agents = len(ids)
        # each key's agent ids (in pool order) and the rarity of a word with that key alone
        self._by_key = {k: (tuple(found), rarity(len(found), self._agents)) for k, found in by_key.items()}
        self.lookup = lru_cache(maxsize=4096)(self._find)

    def _find(self, word: str) -> tuple[tuple[str, ...], float]:
        """The ids of the agents that ``word`` matches (in pool order) and its rarity among them."""
        keys = match_keys(word)
        if len(keys) == 1:
            return self._by_key.get(keys[0], NO_MATCH)
        found: dict[str, None] = {}
        for key in keys:
            found.update(dict.fromkeys(self._by_key.get(key, NO_MATCH)[0]))
        return tuple(found), rarity(len(found), self._agents) if found else 0.0

    def matcher(self, task_words: list[str]) -> Callable[[AgentSpec], Matched]:
        hits: dict[str, list[str]] = {}
        weights: dict[str, float] = {}
        for w in task_words:
            ids, weight = self.lookup(w)
            for agent_id in ids:
                if agent_id in hits:
                    hits[agent_id].append(w)
                    weights[agent_id] += weight
                else:
                    hits[agent_id] = [w]
                    weights[agent_id] = weight
        if not hits:
            return _no_match

        def matched(agent: AgentSpec) -> Matched:
            found = hits.get(agent.id)
            return NO_MATCH if found is None else (tuple(found), word_points(weights[agent.id]))

        return matched


_index_of = lru_cache(maxsize=64)(WordIndex)


def static_points(agent: AgentSpec, provider: str, task_type: str) -> float:
    """The terms of the score that depend only on the agent, the provider and the task type."""
    points = 0.0
    if task_type in agent.task_types:
        main = agent.task_types[0] == task_type
        points += (MAIN_TYPE_POINTS if main else LISTED_TYPE_POINTS) + 1.0 / len(agent.task_types)
    if agent.providers and agent.providers[0] == provider:
        points += FIRST_PROVIDER_POINTS
    return points


def _points(static: float, in_use: int, words_points: float) -> float:
    return static + words_points - IN_USE_PENALTY * in_use


def score(
    agent: AgentSpec,
    provider: str,
    task_type: str,
    in_use: int,
    text: str = "",
    task_words: list[str] | None = None,
    provider_agents: Sequence[AgentSpec] | None = None,
) -> float:
    """The agent's fit for this task; see the module docstring for the terms. A word's rarity is
    counted over ``provider_agents`` (the pool's agents of ``provider``; by default the agent alone,
    so every matched word counts in full)."""
    index = _index_of(tuple(provider_agents) if provider_agents is not None else (agent,))
    _, points = index.matcher(words(text) if task_words is None else task_words)(agent)
    return _points(static_points(agent, provider, task_type), in_use, points)


# Given the task's words, a function from an agent to the words it matches and their points.
Matcher = Callable[[list[str]], Callable[[AgentSpec], Matched]]


def best_agent(
    scored: Iterable[tuple[AgentSpec, float]],
    in_use: Mapping[str, int],
    matched_by: Callable[[AgentSpec], Matched],
) -> tuple[AgentSpec, float, tuple[str, ...]]:
    """The top-scoring agent of (agent, static points) pairs (ties: the earliest), its points and the
    task words it matched."""
    best: tuple[AgentSpec, float, tuple[str, ...]] | None = None
    for a, static in scored:
        matched, points_for_words = matched_by(a)
        points = _points(static, in_use.get(a.id, 0), points_for_words)
        if best is None or points > best[1]:
            best = (a, points, matched)
    assert best is not None  # callers pass at least one agent
    return best


def specialist_choice(best: tuple[AgentSpec, float, tuple[str, ...]], provider: str, task_type: str) -> AgentChoice:
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
    matcher: Matcher | None = None,
) -> AgentChoice:
    """``select_agent`` given the pool's agents of ``provider`` (in pool order); ``matcher`` finds the
    task words each agent matches and their points (by default from a ``WordIndex`` of
    ``provider_agents`` built for this call; a pool passes the one it built once)."""
    free = [a for a in provider_agents if in_use.get(a.id, 0) < a.max_concurrency]
    if not free:
        raise NoAgentAvailable(_busy_message(provider, provider_agents, in_use))
    if matcher is None:
        matcher = _index_of(tuple(provider_agents)).matcher
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
