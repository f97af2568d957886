"""`switchboard providers`: how each provider would run a task from here (API, CLI or nothing) and why.

Read from the configuration, the environment and PATH, as the server's executor reads them when it starts:
it needs no state dir, so it answers on a fresh machine too. Keys are named, never shown.
"""

from __future__ import annotations

import os
import shutil

from router_core.providers.nesting import dispatching_switchboard
from router_core.providers.registry import backend_in_effect, describe_backend
from router_core.providers.timeparse import window_name
from server.commands._common import emit_json, router_errors, settings


def register(sub) -> None:
    p = sub.add_parser("providers", help="how each provider would run a task here (API key, CLI, or nothing) and why")
    p.add_argument("--json", action="store_true", help="print the backends as JSON")
    p.set_defaults(func=providers)


@router_errors
def providers(args) -> int:
    s = settings()
    env, which = os.environ, shutil.which
    outer = dispatching_switchboard(env)
    rows = []
    nested = (f"this Switchboard runs inside a task that Switchboard (pid {outer}) dispatched, so it recommends "
              "but does not dispatch" if outer else None)
    for p in s.providers:
        rows.append({
            "provider": p.name,
            **backend_in_effect(p, environ=env, which=which, nested=outer),  # nested: none, what it would use unsaid
            "default_model": p.default_model,
            "requests_per_minute": p.requests_per_minute,
            "tokens_per_minute": p.tokens_per_minute,
            "summary": f"{p.name}: none (recommendation only: dispatch is off inside a dispatched task)" if outer
            else describe_backend(p, environ=env, which=which),
        })
    per = window_name(s.execution.rate_window_seconds)
    if args.json:
        emit_json({"providers": rows, "dispatch_disabled": nested})
        return 0
    for row in rows:
        print(row["summary"])
        print(f"  model {row['default_model'] or '(the provider default)'}; limits "
              f"{row['requests_per_minute']} requests/{per}, {row['tokens_per_minute']} tokens/{per}")
    if nested:
        print(f"Note: {nested}.")
    if all(row["backend"] == "none" for row in rows):
        print("No provider can run tasks here: Switchboard recommends only (see each line for what to set).")
    return 0
