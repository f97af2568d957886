"""The writing side of the audit trail (router_core/audit.py): whole lines appended to day parts.

Every append takes an exclusive ``flock`` on a lock file in the directory, so threads and processes
agree on the part to write and lines never interleave or tear. The part this process last wrote
stays open between appends (checked each time under the lock, by two ``stat`` calls, for a later
part begun by another process and for a file deleted or renamed away: the file at the path must
still be the one opened, whose device and inode are noted when it is opened), and a line goes out
in one ``write`` on an ``O_APPEND`` descriptor.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from router_core.store.filesystem import private_dir
from router_core.store.holders import current_pid

PREFIX = "provider_recommendations"


@dataclass(slots=True)
class _OpenPart:
    pid: int  # the process that opened it; a forked child opens its own
    day: str
    part: int
    fd: int
    file_id: tuple[int, int]  # (st_dev, st_ino) of the open file: fixed while it is open
    path: str  # its name, and the next part's (looked for on every append), made once
    next_path: str
    end: int = -1  # the file's size right after this process last wrote to it (-1: not yet)


class PartAppender:
    """Appends lines to ``PREFIX-<day>[.<part>].jsonl`` in ``directory``, rotating past ``max_bytes``."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self._dir_name = str(self.directory)
        self._lock_path = f"{self._dir_name}/.{PREFIX}.lock"
        self._max_bytes = max_bytes
        self._thread_lock = threading.Lock()  # flock does not exclude threads sharing one descriptor
        self._lock_fd: tuple[int, int] | None = None  # (pid, fd)
        self._last_part: dict[str, int] = {}
        self._open: _OpenPart | None = None

    def append(self, day: str, line: bytes) -> None:
        """Append ``line`` (ending in a newline) to ``day``'s current part.

        If the directory was deleted meanwhile (someone cleaning up while servers run), it is made again
        and the line goes into a fresh part, rather than every later append failing."""
        try:
            self._append(day, line)
        except FileNotFoundError:
            self._start_over()
            self._append(day, line)

    def _start_over(self) -> None:
        """Forget the open part and the lock file (both in a deleted directory) and make the directory."""
        with self._thread_lock:
            self._close_open()
            if self._lock_fd is not None and self._lock_fd[0] == current_pid():
                os.close(self._lock_fd[1])
            self._lock_fd = None
            self._last_part.clear()
        private_dir(self.directory)

    def _append(self, day: str, line: bytes) -> None:
        with self._thread_lock:  # exclusive(), spelled out: no generator per line
            fd = self._lock_descriptor()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                target, size = self._target(day, len(line))
                # Unless the last byte is the newline this process wrote, look: a crashed writer may
                # have left a partial line, and a new line must not be glued onto it.
                if size and size != target.end and os.pread(target.fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                _write_all(target.fd, line)
                target.end = size + len(line)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _target(self, day: str, size: int) -> tuple[_OpenPart, int]:
        """The part to append to and its current size; called under the lock, so every writer agrees."""
        if self._open is not None and (self._open.pid != current_pid() or self._open.day != day):
            self._close_open()
        opened = self._open
        part = opened.part if opened is not None else self._last_part.get(day, 0)
        # Another process may have rotated. (access, not os.path.exists: the usual answer, none, raises no
        # FileNotFoundError to catch, half the time per line.)
        following = opened.next_path if opened is not None else self._name(day, part + 1)
        while os.access(following, os.F_OK):
            part += 1
            following = self._name(day, part + 1)
        current, st = self._open, None
        if current is not None and current.part == part:
            st = self._stat_if_at_path(current)
        if st is None:  # nothing open, rotated by another process, or deleted or moved away under us
            self._check_lock()
            self._close_open()
            current = self._open_part(day, part)
            st = os.fstat(current.fd)
        length = st.st_size
        if length > 0 and length + size > self._max_bytes:
            self._close_open()
            current = self._open_part(day, part + 1)
            length = os.fstat(current.fd).st_size
        self._last_part[day] = current.part
        return current, length

    def _check_lock(self) -> None:
        """Raise FileNotFoundError unless the lock held is the lock file at its path: after the directory
        was deleted and made again, another process's lock is the new file, and both must use it."""
        assert self._lock_fd is not None
        held, at_path = os.fstat(self._lock_fd[1]), os.stat(self._lock_path)  # FileNotFoundError: deleted
        if (held.st_dev, held.st_ino) != (at_path.st_dev, at_path.st_ino):
            raise FileNotFoundError(self._lock_path)

    def _stat_if_at_path(self, part: _OpenPart) -> os.stat_result | None:
        """The stat of the file at the open part's path if it is still the open file (not deleted, not
        renamed away); the same file, so its size is the open file's (no ``fstat`` needed)."""
        try:
            at_path = os.stat(part.path)
        except FileNotFoundError:
            return None
        return at_path if (at_path.st_dev, at_path.st_ino) == part.file_id else None

    def _open_part(self, day: str, part: int) -> _OpenPart:
        # O_NOFOLLOW: a part planted as a symlink (to ~/.bashrc, say, by another user of a shared state dir)
        # is refused (ELOOP), not appended to: lines hold text that hosts and providers wrote.
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        path = self._name(day, part)
        fd = os.open(path, flags, 0o600)
        st = os.fstat(fd)
        self._open = _OpenPart(current_pid(), day, part, fd, (st.st_dev, st.st_ino), path, self._name(day, part + 1))
        return self._open

    def _close_open(self) -> None:
        current, self._open = self._open, None
        if current is not None:
            os.close(current.fd)  # in a forked child, this closes only the child's copy

    def _name(self, day: str, part: int) -> str:
        suffix = "" if part == 0 else f".{part}"
        return f"{self._dir_name}/{PREFIX}-{day}{suffix}.jsonl"

    def part_path(self, day: str, part: int) -> Path:
        return Path(self._name(day, part))

    def forget(self, day: str) -> None:
        """Drop what this process knows of ``day``'s parts (after they were deleted)."""
        self._last_part.pop(day, None)
        if self._open is not None and self._open.day == day:
            self._close_open()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the directory's write lock (and this object's thread lock)."""
        with self._thread_lock:
            fd = self._lock_descriptor()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_descriptor(self) -> int:
        """This process's descriptor of the lock file (opened on first use, and again in a forked child)."""
        pid = current_pid()
        if self._lock_fd is None or self._lock_fd[0] != pid:
            self._lock_fd = (pid, os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600))
        return self._lock_fd[1]

    def close(self) -> None:
        with self._thread_lock:
            pid = os.getpid()
            if self._open is not None and self._open.pid == pid:
                self._close_open()
            self._open = None
            if self._lock_fd is not None and self._lock_fd[0] == pid:
                os.close(self._lock_fd[1])
            self._lock_fd = None


def _write_all(fd: int, data: bytes) -> None:
    # One write() for the whole line; a regular file only returns short on errors like a full disk.
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
