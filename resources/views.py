"""JSON views of the live state, shared by the MCP resources, the CLI and the dashboard."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Mapping
from typing import Any

from router_core.capacity_view import CapacityView
from router_core.core import RouterCore
from router_core.records import iso
from router_core.redact import mask_url, scrubbed

SECRET_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "SWITCHBOARD_HTTP_TOKEN")
BASE_URL_ENV = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL")
PATH_ENV = ("SWITCHBOARD_HOME", "SWITCHBOARD_CONFIG", "SWITCHBOARD_HTTP_TOKEN_FILE")  # shown as they are: paths
NOT_SET = "not set"  # an empty value too: every reader of these variables takes it for unset
AUDIT_OFF = ("the audit log is off (audit.enabled = false in the configuration), so no decision is recorded; set it to "
             "true to record them")


def provider_view(core: RouterCore, view: CapacityView, name: str, session_started: float) -> dict[str, Any]:
    """One provider's usage (design 3.1). ``session_started``: its first use today, as the usage tracker says
    (UsageTracker.sessions_started, asked once for all providers). Routing needs none, so capacity views carry none."""
    u = view.usage[name]
    a = view.availability[name]
    p = core.settings.provider(name)
    return {
        "provider": name,
        "display_name": p.display_name,
        "timestamp": iso(u.timestamp),
        "requests_used": u.requests_used,
        "requests_limit": u.requests_limit,
        "requests_percent": u.requests_percent,
        "tokens_used": u.tokens_used,
        "tokens_limit": u.tokens_limit,
        "tokens_percent": u.tokens_percent,
        "cost_today": round(u.cost_today, 6),
        "daily_budget": u.daily_budget,
        "session_started": iso(session_started),
        "source": u.source,
        "available": a.available,
        "blocks": [{"reason": b.reason, "lifts_at": iso(b.lifts_at)} for b in a.blocks],
        "block_thresholds": {
            "requests_percent": p.block.requests_percent,
            "tokens_percent": p.block.tokens_percent,
        },
        "window_resets_at": iso(u.window_resets_at),
        **_outage(view, name, core.clock.now()),
    }


def _outage(view: CapacityView, name: str, now: float) -> dict[str, Any]:
    """The provider's open outage circuit, if it has one: since when, why, when its probe is due, and whether
    routing still avoids it (an outage nobody has probed for a whole interval no longer blocks: the ``note`` says
    why)."""
    circuit = view.execution.circuits.get(name)
    if circuit is None:
        return {}
    outage: dict[str, Any] = {
        "since": iso(circuit.opened_at),
        "consecutive_failures": circuit.failures,
        "last_error": circuit.last_error,
        "probe_due_at": iso(circuit.next_probe_at),
        "blocks_routing": not view.execution.unprobed(circuit, now),
    }
    if not outage["blocks_routing"]:
        outage["note"] = (
            f"unconfirmed: its probe, due at {outage['probe_due_at']}, has not been sent by any process (none "
            f"running has a key or CLI for {name} and budget for the probe), so routing no longer avoids {name}; "
            "the next process that can send to it probes it first")
    return {"outage": outage}


def usage_summary(core: RouterCore) -> dict[str, Any]:
    view = core.capacity()
    started = core.usage_tracker.sessions_started(tuple(view.usage))
    return {
        "generated_at": iso(core.clock.now()),
        "window_seconds": core.settings.execution.rate_window_seconds,
        "providers": {name: provider_view(core, view, name, started[name]) for name in view.usage},
    }


def agents_view(core: RouterCore) -> dict[str, Any]:
    in_use = core.leases.in_use()
    return {
        "count": len(core.agents),
        "categories": sorted({a.category for a in core.agents}),
        "in_use": in_use,
        "host_agent_problems": list(core.agent_problems),
        "agents": [
            {
                "id": a.id,
                "category": a.category,
                "specialization": a.specialization,
                "task_types": list(a.task_types),
                "providers": list(a.providers),
                "max_concurrency": a.max_concurrency,
                "in_use": in_use.get(a.id, 0),
                "source": a.source,
            }
            for a in core.agents
        ],
    }


def effective_config(core: RouterCore, environ: Mapping[str, str] | None = None,
                     which: Callable[[str], str | None] = shutil.which) -> dict[str, Any]:
    from router_core.providers.nesting import dispatching_switchboard
    from router_core.providers.registry import backend_in_effect  # httpx and the adapters: not at start-up

    env = os.environ if environ is None else environ
    core.refresh_settings()  # an edit saved since the last decision shows, with the files it came from
    s = core.settings
    nested = dispatching_switchboard(env)
    providers = {}
    for p in s.providers:
        d = dataclasses.asdict(p)  # each key as a file sets it (block_requests_percent, task_type_models.<type>)
        block = d.pop("block")
        d["block_requests_percent"], d["block_tokens_percent"] = block["requests_percent"], block["tokens_percent"]
        d["task_type_models"] = dict(p.task_type_models)
        d["base_url"] = mask_url(p.base_url)
        d["cli_command"] = [scrubbed(arg) for arg in p.cli_command]  # a wrapper's "--api-key sk-..." is masked
        d["models"] = [dataclasses.asdict(m) for m in p.models]
        providers[p.name] = d
    return {
        "sources": list(s.sources),
        # What the files say that this server does not apply (null: they say what runs): the keys an edit changed
        # that wait for a restart, or an edit that does not validate, with its error.
        "edits_not_in_force": core.settings_not_in_force(),
        "state_dir": str(s.state_dir),
        "classifier": s.classifier,
        "budget": {**{k: v for k, v in dataclasses.asdict(s.budget).items() if k != "allocations"},
                   "allocation": dict(s.budget.allocations)},  # budget.allocation.<provider> in a file
        "output_tokens": dict(s.output_tokens_by_task_type),
        "audit": dataclasses.asdict(s.audit),
        "execution": dataclasses.asdict(s.execution),
        "http": dataclasses.asdict(s.http),
        "providers": providers,
        # What each provider executes on, resolved at this read as a server's executor resolves it at its start (a CLI
        # installed since a server started shows here before that server uses it): providers.<p>.base_url above is
        # the files' value, which a *_BASE_URL variable overrides, and backend "auto" is resolved here.
        "backends": {p.name: backend_in_effect(p, environ=env, which=which, nested=nested) for p in s.providers},
        "agents": len(s.agents),
        "agents_dirs": [str(d) for d in s.agents_dirs],
        # Every variable as a string: "not set" when unset (a path or URL showed null there, beside keys saying
        # "not set"); a key as "set (masked)", a URL masked, a path as it is (the token stays in its file).
        "environment": {
            **{k: ("set (masked)" if env.get(k) else NOT_SET) for k in SECRET_ENV},
            **{k: (mask_url(env[k]) if env.get(k) else NOT_SET) for k in BASE_URL_ENV},
            **{k: env.get(k) or NOT_SET for k in PATH_ENV},
        },
    }
