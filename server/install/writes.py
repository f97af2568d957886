"""Write or delete a host file without leaving it half-written, and keep what the user set up around it.

The new text goes to a temporary file beside the real one, synced to disk, which then replaces it in one
rename.
A symlinked file (dotfile managers link ~/.codex/config.toml into a git repo) is written where the
link points, so the link stays a link; and uninstalling never deletes such a file, it empties it.
An existing file keeps its permission bits and, as far as we may set it, its owner; a new one gets what
the umask gives (0644 usually), as an editor's would (CLAUDE.md and .mcp.json are read by other people
and tools), and the owner of its folder.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
from collections.abc import Callable
from pathlib import Path

# What an emptied file holds when it cannot be deleted: the host must still be able to parse it.
_EMPTY_DOCUMENT = {".json": "{}\n"}


def real_path(path: Path) -> Path:
    """Where ``path`` leads: the file a symlink points to (followed to the end), else ``path`` itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _nothing() -> None:
    pass


def why_unwritable(path: Path) -> str | None:
    """Why switchboard must not replace ``path`` (None: it may), asked before any file is written."""
    target = real_path(path)
    if target.exists() and not _writable(target):
        return "is read-only; make it writable (chmod u+w) if switchboard may change it"
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the first folder that exists is where the missing ones get made
    if not _writable(folder):
        return f"cannot be written: the folder {folder} is not writable"
    return None


def _writable(path: Path) -> bool:
    # A rename replaces a read-only file too, and root may write anything: the mode says what was meant.
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def line_ending(path: Path) -> str:
    """CRLF when every line of the file ends so (host edits always see LF), else LF."""
    try:
        data = path.read_bytes()
    except OSError:
        return "\n"
    crlf = data.count(b"\r\n")
    return "\r\n" if crlf and crlf == data.count(b"\n") else "\n"


def write_atomically(
    path: Path, text: str, before_replace: Callable[[], None] = _nothing, newline: str = "\n"
) -> None:
    """Replace ``path``'s text in one rename, each LF in ``text`` written as ``newline``.

    ``before_replace`` may raise to leave the file as it is.
    """
    target = real_path(path)
    make_folders(target.parent)
    existed = target.exists()
    tmp, fd = _new_temp_file(target, mode=0o600 if existed else 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename: after a power cut, the old text or the new
        _own_like(tmp, target if existed else target.parent)
        if existed:
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        before_replace()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class FileInTheWay(NotADirectoryError):
    """A file stands where a folder has to be (a ``.claude`` file where ``.claude/`` is wanted); the message
    names it and says what to do, instead of the OS's bare "Not a directory"."""

    def __init__(self, blocker: Path):
        moved = shlex.quote(f"{blocker}.old")
        super().__init__(f"{blocker} is a file, not a folder; move it aside (mv {shlex.quote(str(blocker))} {moved}) "
                         "and run again")
        self.blocker = blocker


def file_in_the_way(folder: Path) -> Path | None:
    """The file at ``folder`` or at one of its parents (nearest the root), where a folder has to be."""
    for path in (*reversed(folder.parents), folder):
        if path.exists() and not path.is_dir():  # a symlink to a folder is a folder
            return path
    return None


def make_folders(folder: Path, mode: int = 0o777) -> None:
    """``folder`` and its missing parents, each owned like its parent (see _own_like); ``mode`` less the
    umask for the ones made. FileInTheWay when a file stands where one of them has to be."""
    if (blocker := file_in_the_way(folder)) is not None:
        raise FileInTheWay(blocker)
    if not folder.exists():
        make_folders(folder.parent, mode)
        folder.mkdir(mode=mode, exist_ok=True)
        _own_like(folder, folder.parent)


def _own_like(path: Path, like: Path) -> None:
    """Give ``path`` the owner of ``like`` (the file it replaces, or its folder), which root can do.

    Run as root (sudo keeping HOME), a replaced ~/.claude.json would otherwise become root's, 0600, and
    the host could no longer read its own settings. Other users cannot give files away: nothing changes.
    """
    st = like.stat()
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.chown(path, st.st_uid, st.st_gid)


def _new_temp_file(beside: Path, mode: int) -> tuple[Path, int]:
    """A new file next to ``beside``, created with ``mode`` less the umask (mkstemp forces 0600)."""
    while True:
        tmp = beside.with_name(f".{beside.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue


def delete(path: Path, before: Callable[[], None] = _nothing) -> None:
    """Delete ``path``; a symlinked file is emptied instead, so neither the link nor its target goes."""
    if path.is_symlink():
        write_atomically(path, _EMPTY_DOCUMENT.get(path.suffix, ""), before)
    else:
        before()
        path.unlink()
