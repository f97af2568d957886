"""What every subcommand shares: loading settings, building the core, printing, exit codes."""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config import ConfigError, load_settings
from config.cache import user_cache_dir
from router_core.core import RouterCore
from router_core.errors import RouterError
from router_core.settings import Settings
from server.core_factory import build_core

EXIT_USAGE = 2


END_OF_INPUT = "Ctrl-D (end of input)"  # how a terminal's stdin is ended, as each message that reads it says it


class CommandError(Exception):
    """A user-facing failure: printed to stderr, exit code 2 (or as given)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def said_reading_stdin(what: str, instead: str) -> None:
    """At a terminal, say that stdin is read and how to end it: the command otherwise sat silent, seeming to hang, as
    `serve` did before it said what it waits for. ``instead``: the same command given a file."""
    if sys.stdin.isatty():
        print(f"switchboard: reading {what} from the terminal; end with {END_OF_INPUT}, "
              f"or give a file: {instead}", file=sys.stderr, flush=True)


def stdin_text(advice: str) -> str:
    """All of stdin as UTF-8 text (line ends as a text stream reads them); a byte that is not UTF-8 is a
    CommandError naming its line and place, then ``advice``: "stdin is not UTF-8 text (invalid continuation
    byte)" left a 500-task file to be searched by hand."""
    source = getattr(sys.stdin, "buffer", None)
    if source is None:  # a text stream with no bytes beneath (closed stdin, tests): already decoded
        return sys.stdin.read()
    data = source.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CommandError(f"stdin is not UTF-8 text (line {line}, byte {column}: 0x{data[exc.start]:02x}, "
                           f"{exc.reason}); {advice}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def settings() -> Settings:
    """The user's settings; validated data is reused from the user cache dir while the config is unchanged."""
    try:
        return load_settings(cache_dir=user_cache_dir(os.environ))
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc


def core() -> RouterCore:
    s, watch = watched_settings()
    return build_core(s, settings_updates=watch)


def watched_settings() -> tuple[Settings, Callable[[], Settings | None]]:
    """The user's settings, and the watch (config/watch.py) that brings a core their budget's later edits:
    edits saved from the moment the files are read, not from when a server got to build its core."""
    from config.watch import ConfigWatch, files_signature

    seen = files_signature(os.environ, Path.cwd())
    s = settings()
    return s, ConfigWatch(s, cache_dir=user_cache_dir(os.environ), seen=seen)


def writes_unicode(stream: Any) -> bool:
    """Whether ``stream`` can show any character: UTF-8 (or -16/-32), not Latin-1, ASCII or a code page."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name.startswith("utf")
    except LookupError:
        return False


def json_text(data: Any, **kwargs: Any) -> str:
    """``data`` as JSON for stdout: its characters as they are on a UTF-8 stream, else as \\u escapes,
    so that the JSON stays whole (and the same data) on a Latin-1 or ASCII terminal or pipe."""
    return json.dumps(data, ensure_ascii=not writes_unicode(sys.stdout), **kwargs)


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data, indent=2, default=str) + "\n")


def router_errors(func):
    """Turn core errors into CommandError so main() prints them cleanly: the message alone, which says what went
    wrong and what to do (the class's name, "InvalidRequest: ", told a person nothing more)."""

    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RouterError as exc:
            raise CommandError(str(exc)) from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper
