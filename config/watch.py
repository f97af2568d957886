"""Notice a configuration edited while a server runs: RouterCore.refresh_settings applies its budget.

Every Claude Code session runs its own server, for hours. A user who lowers ``budget.daily_total`` expects
the sessions already open to stop at the new limit, not at the one they started with. ``ConfigWatch`` is
called before each decision and, at most once every ``every`` seconds, stats the files a restart would
read (the user file, a ``.switchboard.toml`` in the working directory or any parent, ``$SWITCHBOARD_CONFIG``).
When one appeared, changed or went away it loads the configuration again, with the same rules and errors
as at start-up. A file caught half-written, or wrong, is logged and changes nothing: the configuration in
force stays until the file is fixed. A file caught empty that was not, emptied within the last two intervals, is
looked at again at the next check before anything is applied: an editor that saves in place truncates it first, and an empty file is valid TOML
that means the shipped defaults (a budget of 100 for a second in place of the user's 20); so is a file caught
gone (an editor that keeps a backup renames the file away, then writes a new one). Only the budget is
applied while running; an edit of anything else is logged as waiting for a restart. ``pending()`` says what of
the files a restart would apply that this server does not (the keys waiting, an edit that does not validate):
config://effective shows it, since a server's log goes where its host keeps it, which the user rarely reads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from config.edits import APPLIED_AT_ONCE, changed_keys
from config.loader import PROJECT_FILE, ConfigError, load_settings, user_config_path
from router_core.settings import Settings

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, tuple[int, int, int] | None], ...]


class ConfigWatch:
    """``watch()`` is the configuration when its files changed since the last call that returned one, else None."""

    def __init__(
        self,
        settings: Settings,
        *,
        environ: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        cache_dir: Path | None = None,
        every: float = 1.0,
        monotonic: Callable[[], float] | None = None,
        wall_ns: Callable[[], int] = time.time_ns,
        seen: Signature | None = None,
    ) -> None:
        """``seen``: ``files_signature`` taken before ``settings`` were read (default: now). A server builds its
        core, and this watch, a while after it read them: an edit saved meanwhile was taken as already seen."""
        self._environ = dict(os.environ if environ is None else environ)
        self._cwd = Path.cwd() if cwd is None else cwd
        self._cache_dir = cache_dir
        self._every, self._monotonic = every, monotonic or time.monotonic
        self._wall_ns = wall_ns  # the clock files' mtimes are on
        self._saving_ns = int(2 * every * 1e9)  # an empty file younger than this may be mid-save (_emptied)
        self._current = settings
        self._started = settings  # what runs, but for the budget, until a restart
        self._edited: Settings | None = None  # the files' latest valid configuration, once edited
        self._invalid: str | None = None  # why the files as last edited do not validate
        self._seen = self._signature() if seen is None else seen
        self._due = self._monotonic() + every
        self._emptied: Signature | None = None  # a signature caught with a file just emptied, seen once
        self._checking = threading.Lock()  # tools run in threads too: one checks, the others go on

    def __call__(self) -> Settings | None:
        now = self._monotonic()
        if now < self._due or not self._checking.acquire(blocking=False):
            return None
        try:
            return self._check(now)
        finally:
            self._checking.release()

    def _check(self, now: float) -> Settings | None:
        self._due = now + self._every
        seen = self._signature()
        if seen == self._seen:
            return None
        if seen != self._emptied and _emptied(self._seen, seen, self._wall_ns() - self._saving_ns):  # mid-save, as a rule: look again
            self._emptied = seen
            return None
        self._emptied = None
        self._seen = seen
        try:
            new = load_settings(environ=self._environ, cwd=self._cwd, cache_dir=self._cache_dir)
        except ConfigError as exc:
            self._invalid = str(exc)
            log.error("the configuration was edited but is not valid, so it is not applied (the one in force "
                      "stays until the file is fixed): %s", exc)
            return None
        except Exception:  # a bug in reloading must not stop routing on the configuration in force
            self._invalid = "the edited configuration could not be loaded (the server's log says why)"
            log.exception("the edited configuration could not be loaded; the one in force stays")
            return None
        self._invalid, self._edited = None, new
        if new.state_dir != self._current.state_dir:  # its budget is the other dir's (which a project file may raise)
            log.warning("the configuration was edited to use the state dir %s: the edit, its budget included, "
                        "takes effect when this server restarts", new.state_dir)
            return None
        # The file list is no setting: a file created (or removed) to edit the budget alone changes nothing else.
        waiting = changed_keys(self._started, new)
        if waiting:
            log.warning("the configuration was edited: its budget applies now; the other changes take effect "
                        "when this server restarts (%s)", ", ".join(waiting))
        self._current = new
        return new

    def pending(self) -> dict[str, object] | None:
        """What the files say that this server does not apply, and why; None when they say what runs."""
        if self._invalid is not None:  # the keys of an earlier valid edit are not what the files say now: none named
            return {"invalid": self._invalid, "waiting_for_restart": [],
                    "note": "the files as last edited do not validate, so nothing of that edit applies: the "
                            "configuration shown stays in force until they are fixed (see invalid)"}
        edited = self._edited
        moved = edited is not None and edited.state_dir != self._started.state_dir
        waiting = [] if edited is None else changed_keys(self._started, edited,
                                                         applied=("sources",) if moved else APPLIED_AT_ONCE)
        if not waiting:
            return None
        why = ("the state dir was edited: the edit, its budget included, takes effect when this server restarts"
               if moved else "edited since this server started: these keys take effect when it restarts (the "
                             "budget applies at once)")
        return {"waiting_for_restart": waiting, "note": why}

    def _signature(self) -> Signature:
        return files_signature(self._environ, self._cwd)


def files_signature(environ: Mapping[str, str], cwd: Path) -> Signature:
    """What each file a restart would read looks like now: (path, (mtime ns, size, inode)), None if missing."""
    paths = [user_config_path(environ), *(folder / PROJECT_FILE for folder in (cwd, *cwd.parents))]
    explicit = environ.get("SWITCHBOARD_CONFIG")
    if explicit:
        paths.append(Path(os.path.expanduser(explicit)))  # as written if it cannot be: load_settings says why
    return tuple((str(path), _stat(path)) for path in paths)


def _emptied(before: Signature, now: Signature, recent: int) -> bool:
    """Whether a file that had content is now empty, or gone, as if caught mid-save: an editor that keeps a backup
    (Emacs, vim) renames the file away before it writes the new one. A file emptied longer ago than two checks'
    interval (its mtime, the truncation's) is not being saved: it was emptied on purpose, and applies at once. (Checks
    run before decisions, not on a timer: the first after a quiet hour took it for a save, and that decision, a
    get_budget say, still ran on the budget the file had said.) ``recent``: that long ago, in mtime nanoseconds."""
    sizes = {path: stat[1] for path, stat in before if stat is not None}
    return any((stat is None or (stat[1] == 0 and stat[0] > recent)) and sizes.get(path, 0) > 0 for path, stat in now)


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:  # missing, or unreadable: load_settings says which when it reads
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
