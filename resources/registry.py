"""MCP resources: live usage, budget, audit log, agent pool and effective config, as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from resources.views import AUDIT_OFF, agents_view, effective_config, usage_summary
from router_core.audit import day_problem, utc_day
from router_core.budget_view import budget_view
from router_core.core import RouterCore
from router_core.errors import RouterError
from router_core.inputs import surrogates_replaced
from router_core.settings import PROVIDER_NAMES

JSON = "application/json"
# audit://{day} returns at most this much of a day's log (a busy day is 20-60 MiB: a host would put it
# all in the model's context), and audit://recent at most this much of its 50 entries (a task may be
# 200,000 characters); the rest is for `switchboard audit` and the files.
DAY_RESOURCE_BYTES = 256 * 1024
RECENT_ENTRIES = 50


def _dump(data: Any) -> str:
    return surrogates_replaced(json.dumps(data, indent=2, ensure_ascii=False))  # one would crash the reply


@contextmanager
def resource_errors() -> Iterator[None]:
    """Core errors as a resource error that says why and what to do, as tools say them (tools/errors.py):
    the SDK answers anything else with 'Error reading resource URI' and no reason."""
    try:
        yield
    except RouterError as exc:
        raise ResourceError(f"{type(exc).__name__}: {exc}") from exc


def newest_within(entries: list[dict[str, Any]], max_bytes: int, *, depth: int = 1) -> list[dict[str, Any]]:
    """The newest ``entries`` (oldest first, as given) whose JSON adds up to at most ``max_bytes`` as ``_dump``
    writes them: indented, each line of an entry ``depth`` levels in (1: items of the top-level list). An entry
    larger than ``max_bytes`` on its own (a task of 200,000 characters) is kept with its long texts shortened:
    it would otherwise end the list there, and an empty one say that nothing was audited."""
    kept: list[dict[str, Any]] = []
    whole = max_bytes
    for entry in reversed(entries):
        size = _size(entry, depth)
        if size > whole:
            entry = _shortened(entry)
            size = _size(entry, depth)
        max_bytes -= size
        if max_bytes < 0:
            break
        kept.append(entry)
    return kept[::-1]


SHORTENED_CHARS = 2000  # what is kept of each long text of an entry too large for a resource


def _size(entry: dict[str, Any], depth: int) -> int:
    text = json.dumps(entry, indent=2, ensure_ascii=False)
    return len(text.encode("utf-8", "surrogatepass")) + 2 * depth * (text.count("\n") + 1) + 2


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SHORTENED_CHARS:
        return (f"{value[:SHORTENED_CHARS]}… [shortened: {len(value):,} characters; the whole entry is in the "
                "audit file]")
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    return value


def pool_within(view: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """``view`` (agents_view) with as many of its agents, first ones first, as fit in ``max_bytes`` as ``_dump``
    writes it, and a note when some are left out: up to 500 host agent files of up to 64 KiB each join the pool."""
    if len(_dump(view).encode()) <= max_bytes:
        return view
    agents = view["agents"]
    note = (f"only the first {{}} of {len(agents)} agents (the pool takes more than {max_bytes // 1024} KiB); "
            "the others are host agent files after these, in .claude/agents and agents_dirs")
    room = max_bytes - len(_dump({**view, "agents": [], "note": note.format(10**9)}).encode()) - 2  # "[]" opened
    kept = newest_within(agents[::-1], room, depth=2)[::-1]  # the first agents: the built-in pool before the host's
    return {**view, "agents": kept, "note": note.format(len(kept))}


def register_resources(mcp: MCPServer, get_core: Callable[[], RouterCore]) -> None:
    """Static resources can't take a Context in the SDK, so they reach the core through get_core."""

    @mcp.resource("usage://summary", name="usage-summary", mime_type=JSON)
    def usage_all() -> str:
        """Live requests/tokens in each rate window, block state and spend for every provider."""
        with resource_errors():
            return _dump(usage_summary(get_core()))

    @mcp.resource("usage://{provider}", name="usage-provider", mime_type=JSON)
    def usage_one(provider: str) -> str:
        """Live usage of one provider: codex, gemini or claude."""
        if provider not in PROVIDER_NAMES:
            raise ResourceNotFoundError(f"unknown provider {provider[:60]!r}{'...' * (len(provider) > 60)}; use one "
                                        f"of {', '.join(PROVIDER_NAMES)}")
        with resource_errors():
            return _dump(usage_summary(get_core())["providers"][provider])

    @mcp.resource("budget://today", name="budget-today", mime_type=JSON)
    def budget_today() -> str:
        """Today's budget: total, per-provider allocation, spent, reserved, alerts, next reset."""
        with resource_errors():
            return _dump(budget_view(get_core().budget()))

    @mcp.resource("audit://recent", name="audit-recent", mime_type=JSON)
    def audit_recent() -> str:
        """The most recent audit entries, newest last: 50 at most, and no more than 256 KiB of them."""
        with resource_errors():
            core = get_core()
            entries = newest_within(core.audit.tail(RECENT_ENTRIES), DAY_RESOURCE_BYTES - 2)  # "[\n]"
        if not entries and not core.settings.audit.enabled:  # [] read as "nothing was decided yet"
            raise ResourceError(AUDIT_OFF)
        return _dump(entries)

    @mcp.resource("audit://{day}", name="audit-day", mime_type=JSON)
    def audit_day(day: str) -> str:
        """The audit entries of one UTC day (YYYY-MM-DD), newest 256 KiB of the log at most."""
        problem = day_problem(day)
        if problem is not None:
            raise ResourceNotFoundError(f"audit://{{day}}: {problem}")
        with resource_errors():
            core = get_core()
            log = core.audit
            skipped = log.skipped_lines
            entries, complete = log.newest_of_day(day, DAY_RESOURCE_BYTES, shorten=_shortened)
        view: dict[str, Any] = {"day": day, "entries": [], "complete": complete,
                                "skipped_lines": log.skipped_lines - skipped}
        note = (f"only the newest {{}} entries of {day} (the day's entries take more than {DAY_RESOURCE_BYTES // 1024} "
                f"KiB); for the rest run `switchboard audit --since {day}` or read the files in {log.directory}")
        # Indented, the entries take more room than their lines did: the cap is on the text the host gets, less
        # the room of the view's other fields.
        room = DAY_RESOURCE_BYTES - len(_dump({**view, "note": note.format(10**9)}).encode()) - 2  # "[]" opened
        kept = newest_within(entries, room, depth=2)
        view["entries"] = kept
        if len(kept) < len(entries) or not complete:
            view["complete"] = False
            view["note"] = note.format(len(kept))
        if not kept:  # an empty day is "nothing was decided" only for a day the log still keeps
            keep = core.settings.audit.keep_days
            if day < log.oldest_kept_day():
                view.update(complete=False, note=f"days more than {keep} days old are deleted (audit.keep_days = {keep})")
            elif day > utc_day(core.clock.now()):
                view["note"] = f"{day} has not begun yet (days are UTC)"
        if not core.settings.audit.enabled:
            view["note"] = "; ".join(filter(None, (view.get("note"), AUDIT_OFF)))
        return _dump(view)

    @mcp.resource("agents://pool", name="agents", mime_type=JSON)
    def agent_pool() -> str:
        """The agent pool: specializations, task types, providers, limits and current leases."""
        with resource_errors():
            return _dump(pool_within(agents_view(get_core()), DAY_RESOURCE_BYTES))

    @mcp.resource("config://effective", name="config", mime_type=JSON)
    def config_effective() -> str:
        """The effective configuration, the files it came from and each provider's backend in effect; secrets masked."""
        with resource_errors():
            return _dump(effective_config(get_core()))


__all__ = ["register_resources"]
