"""The dashboard's state document, built from the same views as the MCP resources."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from resources.views import AUDIT_OFF, provider_view
from router_core.audit_notes import event_note
from router_core.budget_view import budget_view
from router_core.capacity_view import CapacityView
from router_core.core import RouterCore
from router_core.errors import NotConfigured
from router_core.providers.registry import choose_backend
from router_core.records import iso

SPEND_DAYS = 14
RECENT = 30
TEXT_CHARS = 500  # a task may be 200,000 characters; the page shows 70 and 30 are sent every change
# Every open page polls each second: a state built less than this long ago is handed to the next page
# that asks, so a server builds about one state a second (usage, budget, 14 days of spend, 30 audit
# lines), not one per open page.
SHARED_SECONDS = 0.5


def backend_names(
    core: RouterCore, environ: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> dict[str, str]:
    """Which backend each provider would execute on: api, cli or none (no key, no CLI)."""
    env = os.environ if environ is None else environ
    names = {}
    for p in core.settings.providers:
        try:
            names[p.name] = choose_backend(p, environ=env, which=which).backend
        except NotConfigured:
            names[p.name] = "none"
    return names


def dashboard_state(core: RouterCore, backends: Mapping[str, str] | None = None) -> dict[str, Any]:
    backends = backend_names(core) if backends is None else backends
    view = core.capacity()
    started = core.usage_tracker.sessions_started(tuple(view.usage))
    return {
        "generated_at": iso(core.clock.now()),
        "providers": [provider_card(core, view, name, backends[name], started[name]) for name in view.usage],
        "budget": budget_view(core.budget()),
        "spend_by_day": core.ledger.spend_by_day(SPEND_DAYS),
        "recent": [noted(capped(r)) for r in core.audit.tail(RECENT)],
        "audit_off": None if core.settings.audit.enabled else AUDIT_OFF,  # the page says so: not "no decisions yet"
        "agents_in_use": core.leases.in_use(),
    }


def provider_card(core: RouterCore, view: CapacityView, name: str, backend: str, session_started: float
                  ) -> dict[str, Any]:
    """One provider as the page shows it: its usage view, its backend, and its outage from the circuit itself.

    ``outage``: an open circuit blocks routing to it; ``outage_detail``: the usage view's entry for an open circuit
    (None when closed), with a ``note`` for one nobody has probed for a whole interval, which no longer blocks; and
    each block says whether it is the outage's (``outage``), so the page need not read its reason's words."""
    shown = provider_view(core, view, name, session_started)
    circuit = view.execution.circuits.get(name)
    outage = shown.get("outage")
    blocks = [{**said, "outage": circuit is not None and block == circuit.block}
              for said, block in zip(shown["blocks"], view.availability[name].blocks, strict=True)]
    return {
        **{k: shown[k] for k in ("provider", "display_name", "requests_used", "requests_limit", "requests_percent",
                                 "tokens_used", "tokens_limit", "tokens_percent", "available")},
        "blocks": blocks,
        "backend": backend,
        "outage": bool(outage and outage["blocks_routing"]),
        "outage_detail": outage,
    }


def noted(line: Any) -> Any:
    """An outage, recovery or budget edit line with its ``note`` (router_core.audit_notes), which the page shows where
    a decision's task is: it has none, and its row showed only its event's name."""
    note = event_note(line) if isinstance(line, dict) else ""
    return {**line, "note": note} if note else line


def capped(value: Any) -> Any:
    """``value`` with every string longer than TEXT_CHARS cut to that length, ending in an ellipsis."""
    if isinstance(value, str):
        return value if len(value) <= TEXT_CHARS else value[: TEXT_CHARS - 1] + "…"
    if isinstance(value, dict):
        return {k: capped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [capped(v) for v in value]
    return value


def dashboard_state_factory(
    get_core: Callable[[], RouterCore], *, monotonic: Callable[[], float] = time.monotonic
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The state for the pages: built in a worker thread, at most once per ``SHARED_SECONDS`` for all of them
    (pages asking while it is built wait for that one). Read it, never change it: pages share it."""
    backends: dict[str, str] = {}
    building = anyio.Lock()
    last: list[tuple[float, dict[str, Any]]] = []  # (when it was built, the state)

    async def get_state() -> dict[str, Any]:
        async with building:
            if last and monotonic() - last[0][0] < SHARED_SECONDS:
                return last[0][1]
            state = await anyio.to_thread.run_sync(_state_of, get_core, backends)
            last[:] = [(monotonic(), state)]
            return state

    return get_state


def _state_of(get_core: Callable[[], RouterCore], backends: dict[str, str]) -> dict[str, Any]:
    """The pages' state, in a worker thread: the core may still be in its build (the server's warm-up), which
    the event loop, shared with every MCP session, must not wait for."""
    core = get_core()
    if not backends:  # env and PATH are read once per process, like the executor does
        backends.update(backend_names(core))
    return dashboard_state(core, backends)
