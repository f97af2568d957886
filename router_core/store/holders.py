"""Who holds a reservation or lease: "<hostname>:<pid>:<process start>", and is that process alive?

The start time (clock ticks since boot, from ``/proc/<pid>/stat``) makes the name unique even when
the kernel reuses the pid. Where ``/proc`` is missing (macOS), the start part is "t<wall time at
first use>"; such holders are judged by pid existence alone, and the TTL on reservations and leases
covers pid reuse. A holder on another host is assumed alive (its TTL still applies).
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

_cache: tuple[int, str] | None = None
_pid = os.getpid()  # kept current by a fork hook: asked for on every transaction and audit line


def _refresh_pid() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_refresh_pid)


def current_pid() -> int:
    """``os.getpid()`` without the system call."""
    return _pid


def current_holder() -> str:
    """This process's holder name (recomputed after fork)."""
    global _cache
    pid = _pid
    if _cache is None or _cache[0] != pid:
        start = _proc_start_ticks(pid)
        token = start if start is not None else f"t{time.time():.6f}"
        _cache = (pid, f"{socket.gethostname()}:{pid}:{token}")
    return _cache[1]


def holder_alive(holder: str) -> bool:
    """False only when ``holder`` certainly names a process of this host that no longer runs."""
    try:
        host, pid_text, start = holder.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False  # not a holder name this module wrote; nothing can keep it alive
    if host != socket.gethostname():
        return True
    if pid <= 0:
        return False
    if start.startswith("t") or not Path("/proc/self/stat").exists():
        return _pid_exists(pid)
    return _proc_start_ticks(pid) == start


def _proc_start_ticks(pid: int) -> str | None:
    """Field 22 (starttime) of /proc/<pid>/stat; None if the process is gone, a zombie, or no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    state, starttime = fields[0], fields[19]
    if state in ("Z", "X"):
        return None
    return starttime


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
