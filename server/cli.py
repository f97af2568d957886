"""The `switchboard` command for people: serve, recommend, classify, budget, usage, audit, ..."""

from __future__ import annotations

import argparse
import errno
import importlib
import io
import logging
import os
import sys
from collections.abc import Sequence

from server.commands._common import EXIT_USAGE, CommandError, writes_unicode

COMMAND_MODULES = ["serve", "routing", "execute", "state", "providers", "feedback", "install"]  # in server.commands
# The module that registers each command (a test keeps this complete): a command line that names
# one imports and builds only that module's parsers (building all of them costs ~2 ms of every start-up).
COMMANDS = {
    "serve": "serve", "dashboard": "serve", "recommend": "routing", "classify": "routing", "run": "execute",
    "batch": "execute", "budget": "state", "usage": "state", "audit": "state", "providers": "providers", "feedback": "feedback",
    "install": "install", "uninstall": "install",
}


EXIT_STATUS = (
    "Exit status: 0 done (a server over HTTP, too, when Ctrl-C or SIGTERM stops it); 1 a task of run or batch, or a "
    "line of classify --jsonl, did not succeed (the rest of the output stands); 2 the command could not be done as "
    "given: an argument, the input, the configuration or the state dir (stderr says what to do); 130 stopped by "
    "Ctrl-C; 143 run or batch stopped by SIGTERM, 129 by SIGHUP (a closed terminal; not under nohup) (the finished results printed, as for Ctrl-C). `switchboard COMMAND --help` describes each command."
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The CLI's parser: every command, or only the one ``argv`` names (help and mistakes get all)."""
    parser = argparse.ArgumentParser(
        prog="switchboard",
        description="Route AI coding subtasks across Codex, Gemini and Claude within live limits and budget.",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = next((arg for arg in argv or () if not arg.startswith("-")), None)
    for module in [COMMANDS[named]] if named in COMMANDS else COMMAND_MODULES:
        importlib.import_module(f"server.commands.{module}").register(sub)
    _described(parser)
    return parser


def _described(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command's --help opens with what it does: its line in the list of commands, when it has no
    description of its own (argparse shows that line only in the parent's --help). Every (sub)command also takes
    -v after its name (``switchboard run "task" -v`` was refused as an unrecognized argument); given there, it
    sets the top level's flag (SUPPRESS: not given, it leaves that flag as it is)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            said = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if sub.description is None and said.get(name):
                    sub.description = said[name][:1].upper() + said[name][1:] + "."
                sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="debug logging on stderr")
                _described(sub)


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``args`` names, such as ``usage set``'s."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, action.dest, None) in action.choices:
            return _command_parser(action.choices[getattr(args, action.dest)], args)
    return parser


def _usable_streams() -> None:
    """A closed stdin (``<&-``) reads as empty, as ``</dev/null`` does: Python sets it to None, and every
    command that reads stdin, or asks whether it is a terminal, ended in a traceback. A closed stderr
    discards. A closed stdout is refused by main(), since the command's answer would be lost."""
    for name in ("stdin", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, io.StringIO())
    # On an output that is not UTF-8 (a Latin-1 locale, PYTHONIOENCODING=ascii) a character it can't
    # show, such as one in a task's text, becomes '?' instead of a UnicodeEncodeError traceback; JSON is
    # written with \u escapes there (json_text) and the recommendation's display in ASCII.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not writes_unicode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    # What commands read on stdin is JSON or text given as UTF-8 (as --context-file's file is read),
    # whatever the locale: read in Latin-1 it would be garbled silently, in ASCII refused. Strictly: under
    # the C, POSIX or C.UTF-8 locale Python reads it with surrogateescape, where bytes that are not UTF-8
    # (a UTF-16 or Latin-1 file) pass as lone surrogates instead of being refused as such (a terminal is
    # left so: on it stdin only answers the y/n prompt).
    if hasattr(sys.stdin, "reconfigure") and (
            not writes_unicode(sys.stdin) or (sys.stdin.errors != "strict" and not sys.stdin.isatty())):
        sys.stdin.reconfigure(encoding="utf-8", errors="strict")


class _ScrubbingFormatter(logging.Formatter):
    """Log lines with credentials redacted: a provider's error, a CLI's stderr or a host's message logged in
    passing (an outage's last error, a traceback's exception) may quote a key, and stderr ends up in the host's
    log files."""

    def format(self, record: logging.LogRecord) -> str:
        from router_core.redact import scrubbed  # here: a command that logs nothing does not load it

        return scrubbed(super().format(record))


def configure_logging(*, verbose: bool) -> None:
    """Log to stderr only, every line scrubbed of credentials."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])


def main(argv: list[str] | None = None) -> int:
    _usable_streams()
    if sys.stdout is None:
        print("switchboard: stdout is closed, so the answer would be lost; run it with stdout open "
              "(>/dev/null to discard it)", file=sys.stderr)
        return EXIT_USAGE
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command they were given to, with its usage (argparse's names the top level)
        hint = ""
        if getattr(args, "task", None) and not any(word.startswith("-") for word in extra):
            hint = f' (quote a task of several words: "{" ".join([args.task, *extra])}")'
        _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    configure_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # what is still buffered fails here, if it does, not in a traceback at exit
        return code
    except CommandError as exc:
        print(f"switchboard: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if exc.errno not in OUTPUT_ERRORS or exc.filename is not None:
            raise
        _discard_stdout()
        print(f"switchboard: cannot write the output ({exc.strerror}); free space where it goes, or send it "
              "elsewhere", file=sys.stderr)
        return EXIT_USAGE


# Why writing the answer can fail, other than a closed pipe: a full disk or quota, a file size limit, a device.
OUTPUT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that what it still buffers is not written again (and fails in a
    traceback) when the interpreter exits."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
