"""Starting a CLI so that it does not outlive the Switchboard process that started it.

Switchboard kills a CLI's session on every stop it sees (a timeout, a cancel, SIGTERM: cli.py), but a Switchboard
killed with SIGKILL or by the OOM killer runs no cleanup, and its CLI ran on as an orphan: an agent editing files
for a task nobody waits for, billed. On Linux the CLI is therefore started through a few lines of Python that ask
the kernel to SIGKILL it when the thread that started it ends (``prctl(PR_SET_PDEATHSIG)``; the event loop's
thread, which lives as long as the process serves), then exec the CLI in its place: the same pid, its argv, its
environment. ``subprocess``'s ``preexec_fn`` would spare the exec, but is unsafe in a process with threads (the
child may deadlock on a lock another thread held at the fork) and anyio's ``open_process`` does not take it. The
cost is one Python start (~25 ms) per CLI run of seconds to minutes. An exec that fails (no such file, not
executable, a ``#!`` interpreter missing) is reported back through a pipe, as ``subprocess`` reports its own, and
raised as the same ``OSError``, so the caller's messages stand. What the CLI itself started is not covered: it
ends as its parent's pipes close, or runs on. Elsewhere than Linux the CLI is started directly (no such call).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import anyio
from anyio.abc import Process

from router_core.providers.cli_pipes import kill_session

GUARDED = sys.platform.startswith("linux") and bool(sys.executable)  # an embedding Python may not know its own
# argv: the parent's pid, the fd to report an exec error on, then the CLI's argv. PR_SET_PDEATHSIG is 1, SIGKILL 9.
# A parent already gone before the prctl (the signal would never come) means nobody waits for the CLI: not run.
_GUARD = """\
import ctypes, os, sys
parent, report = int(sys.argv[1]), int(sys.argv[2])
ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)
if os.getppid() != parent:
    os._exit(1)
os.set_inheritable(report, False)
try:
    os.execvp(sys.argv[3], sys.argv[3:])
except OSError as exc:
    os.write(report, str(exc.errno).encode())
    os._exit(127)
"""


async def open_guarded(argv: Sequence[str], **options: Any) -> Process:
    """``anyio.open_process(argv, **options)``, the process killed by the kernel when this one dies (Linux)."""
    if not GUARDED:
        return await anyio.open_process(list(argv), **options)
    read_end, write_end = os.pipe()
    try:
        try:
            process = await anyio.open_process(
                [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()), str(write_end), *argv],
                pass_fds=(write_end,), **options)
        finally:
            os.close(write_end)
        try:
            failed = await _exec_error(read_end)
        except BaseException:  # cancelled while the guard started: nobody would stop the CLI
            with anyio.CancelScope(shield=True):
                kill_session(process.pid)
                await process.wait()
                await process.aclose()
            raise
    finally:
        os.close(read_end)
    if failed is None:
        return process
    with anyio.CancelScope(shield=True):
        await process.wait()
        await process.aclose()
    raise OSError(failed, os.strerror(failed), argv[0])  # FileNotFoundError, PermissionError, ... by the errno


async def _exec_error(read_end: int) -> int | None:
    """The errno the guard's exec failed with, or None once it succeeded (the report fd closed on exec)."""
    said = b""
    while True:
        await anyio.wait_readable(read_end)
        chunk = os.read(read_end, 64)
        if not chunk:
            return int(said) if said.isdigit() else None
        said += chunk
