"""Write or delete a host file without leaving it half-written, and keep what the user set up around it.

The new text goes to a temporary file beside the real one, which then replaces it in one rename.
A symlinked file (dotfile managers link ~/.codex/config.toml into a git repo) is written where the
link points, so the link stays a link; and uninstalling never deletes such a file, it empties it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# What an emptied file holds when it cannot be deleted: the host must still be able to parse it.
_EMPTY_DOCUMENT = {".json": "{}\n"}


def real_path(path: Path) -> Path:
    """Where ``path`` leads: the file a symlink points to (followed to the end), else ``path`` itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_atomically(path: Path, text: str) -> None:
    target = real_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def delete(path: Path) -> None:
    """Delete ``path``; a symlinked file is emptied instead, so neither the link nor its target goes."""
    if path.is_symlink():
        write_atomically(path, _EMPTY_DOCUMENT.get(path.suffix, ""))
    else:
        path.unlink()
