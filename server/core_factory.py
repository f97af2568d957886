"""Build the RouterCore the way the server and the CLI both need it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from router_core.agents.host_files import default_agent_dirs
from router_core.core import RouterCore
from router_core.settings import Settings


def build_core(
    settings: Settings, *, cwd: Path | None = None, home: Path | None = None,
    settings_updates: Callable[[], Settings | None] | None = None,
) -> RouterCore:
    """The core on the shared state dir, with the user's Claude Code agents (project, then home) in the pool;
    ``settings_updates`` (a config.watch.ConfigWatch) brings it an edited configuration's budget."""
    dirs = default_agent_dirs(cwd or Path.cwd(), home or Path.home())
    return RouterCore.build(settings, host_agent_dirs=dirs, settings_updates=settings_updates)
