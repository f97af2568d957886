"""The signals that stop Switchboard's work as Ctrl-C does, with what runs cancelled and audited: SIGTERM, and
SIGHUP (the terminal closed, an ssh session dropped; a host such as Claude Code run in that terminal has its MCP
servers in its process group, so they get it too) unless SIGHUP was ignored when the process started (nohup: the
user asked the work to go on). Left to its default action, SIGHUP killed Switchboard where it stood: a CLI a task
ran on, in a session of its own, went on as an orphan, and the task was never audited."""

from __future__ import annotations

import signal


def stopping_signals() -> tuple[signal.Signals, ...]:
    if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        return (signal.SIGTERM,)
    return (signal.SIGTERM, signal.SIGHUP)
