"""Which file system holds the state: SQLite's WAL mode needs one host's shared memory and locks.

A state dir on a network file system (NFS, SMB, sshfs...) is the way a team would try to share one
budget across machines, and the way SQLite databases get corrupted: WAL "does not work over a network
filesystem" (sqlite.org/wal.html). ``network_filesystem`` names such a file system so the caller can say so.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

NETWORK_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
    "lustre", "gpfs", "beegfs", "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.glusterfs",
    "fuse.cephfs", "davfs", "fuse.davfs2",
})
MOUNTINFO = Path("/proc/self/mountinfo")


def network_filesystem(path: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    """The type of the network file system ``path`` lies on (e.g. "nfs4"), or None: a local one, or no
    /proc to tell by (macOS), or a path that does not exist yet (its nearest existing parent is used)."""
    try:
        lines = mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = _existing(path)
    best, best_type = "", None
    for line in lines:
        # "<id> <parent> <major:minor> <root> <mount point> <options> [optional...] - <type> <source> ..."
        fields = line.split()
        if "-" not in fields or len(fields) < 5:
            continue
        point = _unescape(fields[4])
        kind = fields[fields.index("-") + 1] if fields.index("-") + 1 < len(fields) else ""
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, kind
    return best_type if best_type in NETWORK_TYPES else None


def _existing(path: Path) -> str:
    current = Path(os.path.abspath(path))
    while not current.exists() and current != current.parent:
        current = current.parent
    return os.path.realpath(current)


def _unescape(field: str) -> str:
    """Mount points write space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def private_dir(path: Path) -> None:
    """Make ``path`` and the parents it lacks, each readable by this user only (0700): the state dir holds task
    texts (the audit log, stored corrections) that other users of the machine must not read. A directory that
    exists keeps its mode (a team may share one on purpose)."""
    missing = []
    current = Path(path)
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)  # FileExistsError: a file is in the way, as mkdir says


def private_file(path: Path) -> None:
    """Create ``path`` empty, readable by this user only (0600), unless it exists: SQLite would make it with
    the umask's mode (0644), and makes its -wal and -shm files with the database's."""
    with contextlib.suppress(FileExistsError):  # (a symlink too: SQLite follows it, as before)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
