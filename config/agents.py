"""Load the built-in agent pool (config/agents.toml) into ``AgentSpec`` objects.

Validation (``config.schema.AgentsFile``): every agent has the required keys and no others, ids are
unique, task types and providers are known, max_concurrency is at least 1. A bad file raises
``config.loader.ConfigError`` naming the key (e.g. ``agents[3].task_types``).

Validation yields plain data (what the settings cache stores); ``agent_specs`` turns it into specs.
pydantic and the schema are imported only to validate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from router_core.models import AgentSpec

AGENTS_SOURCE = "<shipped agents: config/agents.toml>"


def agents_toml_text() -> str:
    return resources.files("config").joinpath("agents.toml").read_text(encoding="utf-8")


def _error(message: str, source: str, key: str | None) -> Exception:
    from config.loader import ConfigError  # lazy: config.loader imports this module

    return ConfigError(f"{source}: {message}", file=source, key=key)


def _key(loc: tuple[Any, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def _describe(err: Any) -> tuple[str, str]:
    key = _key(tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        return key, f"unknown key '{key}'"
    if err["type"] == "missing":
        return key, f"missing required key '{key}'"
    return key, f"'{key}' = {err.get('input')!r}: {err['msg'].removeprefix('Value error, ')}"


def validated_agents(text: str, source: str) -> list[dict[str, Any]]:
    """The agents of ``text`` (TOML) as plain dicts, every default filled in; ConfigError if invalid."""
    import tomllib

    from pydantic import ValidationError

    from config.schema import AgentsFile

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(f"not valid TOML: {exc}", source, None) from exc
    try:
        parsed = AgentsFile.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors()]
        message = "invalid agent pool:\n  " + "\n  ".join(text for _, text in problems)
        raise _error(message, source, problems[0][0]) from None
    seen: set[str] = set()
    for i, agent in enumerate(parsed.agents):
        if agent.id in seen:
            raise _error(f"duplicate agent id {agent.id!r}", source, f"agents[{i}].id")
        seen.add(agent.id)
    return [agent.model_dump() for agent in parsed.agents]


def agent_specs(agents: Iterable[Mapping[str, Any]]) -> tuple[AgentSpec, ...]:
    """Specs from validated agent data (``validated_agents``)."""
    return tuple(
        AgentSpec(
            id=a["id"],
            category=a["category"],
            specialization=a["specialization"],
            task_types=tuple(a["task_types"]),
            providers=tuple(a["providers"]),
            system_prompt=" ".join(a["system_prompt"].split()),
            max_concurrency=a["max_concurrency"],
            model=a["model"],
        )
        for a in agents
    )


def load_agents(text: str | None = None, *, source: str | None = None) -> tuple[AgentSpec, ...]:
    """Parse the agent pool from ``text`` (default: the shipped config/agents.toml).

    ``source`` names the text in error messages (default: the shipped file, or "<agents text>").
    """
    if text is None:
        text, source = agents_toml_text(), source or AGENTS_SOURCE
    return agent_specs(validated_agents(text, source or "<agents text>"))
