"""A CLI's own usage error: its argument parser refusing the command line Switchboard gave it, before any run.

Each CLI's parser has its exit status and its shape (checked against codex 0.169.0, claude 2.1.x and gemini 0.61.0
as the fakes in tests/fakes/bin reproduce them):

- clap (codex), exit 2: ``error: unexpected argument '--x' found`` (or ``a value is required for '--model
  <MODEL>'``, ``invalid value 'x' for '--sandbox <MODE>'``), the first line (the parser runs before anything
  else prints), or followed by its tip and usage and last ``For more information, try '--help'.``
- commander (claude), exit 1: ``error: unknown option '--x'`` (or ``option '--x <y>' argument missing``), the last
  line, or followed only by commander's ``(Did you mean --y?)``.
- yargs (gemini), exit 1: ``Unknown argument: x`` or ``Not enough arguments following: m``, the first or the last
  line, with the usage (a ``Usage:`` line) printed with it.

Only that shape counts: such a line elsewhere in stderr (a plugin's or an MCP server's warning, quoting an option
of its own) while the run failed for another reason is that reason's business, not a refused command line.
Lines Node prints before any parser runs (``(node:123) DeprecationWarning: ...``) are not the CLI's: skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from router_core.providers.cli_text import load_json_object


@dataclass(frozen=True, slots=True)
class _Parser:
    exit_status: int
    error: re.Pattern[str]
    shaped: Callable[[list[str], int], bool]  # (stderr's lines, the error line's index) -> its usage-error shape


def _clap(lines: list[str], at: int) -> bool:
    return at == 0 or lines[-1].startswith("For more information, try '")


def _commander(lines: list[str], at: int) -> bool:
    return all(line.startswith("(Did you mean ") for line in lines[at + 1:])


def _yargs(lines: list[str], at: int) -> bool:
    return at in (0, len(lines) - 1) and any(line.startswith("Usage: ") for line in lines)


_PARSERS = (
    _Parser(2, re.compile(r"error: (?:unexpected argument '|a value is required for '|invalid value '.*' for ')"),
            _clap),
    _Parser(1, re.compile(r"error: (?:unknown option '|option '.*' argument missing)"), _commander),
    _Parser(1, re.compile(r"(?:unknown arguments?: |not enough arguments following: )", re.I), _yargs),
)
_NODE_WARNING = re.compile(r"^\(node:\d+\) |^\(Use `node --trace-")


def refused_arguments(stderr: str, returncode: int) -> str | None:
    """The line in which a CLI's argument parser refused its command line, if ``stderr`` and the exit status are
    that parser's usage error (and ``stderr`` holds no JSON, which would be the CLI's own error report, quoting
    who knows what)."""
    if load_json_object(stderr) is not None:
        return None
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not _NODE_WARNING.match(line.strip())]
    for parser in _PARSERS:
        if returncode != parser.exit_status:
            continue
        for at, line in enumerate(lines):
            if parser.error.match(line) and parser.shaped(lines, at):
                return line
    return None
