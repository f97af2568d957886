"""One adapter per configured provider, from settings and the environment (see providers.registry)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping

import httpx

from router_core.clock import Clock
from router_core.execution.httpcore_patches import apply_httpcore_patches
from router_core.providers import NoBackend, ProviderAdapter, build_adapter
from router_core.providers.nesting import dispatching_switchboard
from router_core.settings import Settings


def build_adapters(
    settings: Settings,
    *,
    client: httpx.AsyncClient,
    clock: Clock,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> dict[str, ProviderAdapter]:
    """Adapters by provider name; a provider with no key and no CLI gets one that says what to configure."""
    env = os.environ if environ is None else environ
    outer = dispatching_switchboard(env)
    if outer is not None:
        message = (f"this Switchboard runs inside a task that Switchboard (pid {outer}) dispatched to a provider's "
                   "CLI, so it routes but does not dispatch again (a task handing itself on could loop until the "
                   "budget ran out): do this task here")
        return {p.name: NoBackend(p.name, message) for p in settings.providers}
    timeouts = settings.execution
    return {
        p.name: build_adapter(p, environ=env, client=client, clock=clock, which=which,
                              api_timeout=timeouts.request_timeout_seconds, cli_timeout=timeouts.cli_timeout_seconds)
        for p in settings.providers
    }


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The process's shared client: the request timeout, and idle connections kept for the largest batch.

    No cap on the connections open at once: what is in flight is bounded by each batch's cap and by pacing,
    and a request waiting for one of our own connections failed as the provider's timeout (PoolTimeout), a
    ProviderUnavailable counted towards its outage circuit: a batch at parallel 64 filled a pool of 64, and
    its outage probes and every other session's tasks failed so.

    Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY: httpx's trust_env); the
    adapters send through the transport it picks for each URL (see providers._http)."""
    cap = max(16, settings.execution.batch_concurrency * 2, 64)
    apply_httpcore_patches()
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.execution.request_timeout_seconds, connect=10.0),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=cap),
    )
