"""Whether this process runs inside a task Switchboard dispatched to a provider's CLI: then it does not dispatch.

A task sent to ``codex exec``, ``gemini -p`` or ``claude -p`` runs that CLI with the user's own MCP
configuration, which ``switchboard install`` filled in: the CLI starts a Switchboard server of its own, and
the model there, told by the project's CLAUDE.md/AGENTS.md/GEMINI.md to hand subtasks to Switchboard, can
call dispatch_agent, which runs a CLI, which starts a Switchboard... Nothing but the budget would end it.

Every CLI Switchboard starts carries ``SWITCHBOARD_DISPATCHED`` (the dispatching process's pid) in its
environment. A Switchboard that finds it, in its own environment (Claude Code and Gemini CLI pass their
environment to MCP servers) or, on Linux, in an ancestor's (Codex passes MCP servers only a few variables),
routes and recommends as usual but executes nothing: its dispatch answers what to do instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DISPATCHED_ENV = "SWITCHBOARD_DISPATCHED"  # no KEY/TOKEN/AUTH... in the name: Gemini CLI would withhold it
_MAX_ANCESTORS = 32


def dispatched_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a CLI this process dispatches a task to: ``environ`` (default: this process's)
    marked with this process's pid."""
    return {**(os.environ if environ is None else environ), DISPATCHED_ENV: str(os.getpid())}


def dispatching_switchboard(
    environ: Mapping[str, str] | None = None, *, proc: Path = Path("/proc"), pid: int | None = None
) -> str | None:
    """The pid of the Switchboard that dispatched the task this process runs in, or None if there is none."""
    marked = (os.environ if environ is None else environ).get(DISPATCHED_ENV)
    if marked:
        return marked
    current = os.getpid() if pid is None else pid
    for _ in range(_MAX_ANCESTORS):  # ancestors' environments, where /proc shows them (Linux, same user)
        parent = _parent(proc, current)
        if parent is None or parent <= 1:
            return None
        found = _marker(proc, parent)
        if found:
            return found
        current = parent
    return None


def _parent(proc: Path, pid: int) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    try:  # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'
        return int(stat[stat.rindex(b")") + 2 :].split()[1])
    except (ValueError, IndexError):
        return None


def _marker(proc: Path, pid: int) -> str | None:
    try:
        env = (proc / str(pid) / "environ").read_bytes()
    except OSError:  # another user's process, or gone
        return None
    prefix = DISPATCHED_ENV.encode() + b"="
    for entry in env.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode("ascii", "replace") or None
    return None
