"""`switchboard feedback`: record whether a routed task went to the right provider; list and forget what was recorded."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from router_core.errors import InvalidRequest
from router_core.feedback_routed import RoutedElsewhere
from router_core.records import iso
from router_core.settings import PROVIDER_NAMES, TASK_TYPES
from server.commands._common import core, emit_json, router_errors

if TYPE_CHECKING:
    from router_core.classifier.reviews import Reviewed

RECORD = "record"  # the subcommand of `feedback "<task>" ...`: a first word that names no other one is the task
RECORD_USAGE = 'switchboard feedback "<task>" --routed P --correct P [--task-type T]'
USAGE = f"{RECORD_USAGE}\n       switchboard feedback list [--json] [--limit N]\n       switchboard feedback forget ID [ID ...]"
RECORD_FLAGS = (("--routed", "routed"), ("--correct", "correct"), ("--task-type", "task_type"))
TEXT_WIDTH = 60  # characters of a task's text in the list's table
DEFAULT_LIMIT = 50  # corrections `feedback list` shows, the latest: a long history scrolled the table out of sight


class _AnyFirstWord(Mapping):
    """The subcommands by name, as argparse's check of a first word sees them: any word passes (it is a task)."""

    def __init__(self, parsers: dict[str, argparse.ArgumentParser]) -> None:
        self._parsers = parsers

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: str) -> argparse.ArgumentParser:
        return self._parsers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsers)

    def __len__(self) -> int:
        return len(self._parsers)


class _RecordUnlessNamed(argparse._SubParsersAction):
    """`feedback "<task>" --routed ...` parses as it always did: a first word naming no subcommand is the task."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.choices = _AnyFirstWord(self._name_parser_map)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if values[0] not in self._name_parser_map:
            values = [RECORD, *values]
        super().__call__(parser, namespace, values, option_string)
        given = [flag for flag, dest in RECORD_FLAGS if getattr(namespace, dest, None) is not None]
        if values[0] != RECORD and given:
            parser.error(f"`feedback {values[0]}` does not take {', '.join(given)} (flags of recording feedback)")
        missing = [flag for flag, dest in RECORD_FLAGS[:2] if getattr(namespace, dest, None) is None]
        if values[0] == RECORD and missing:  # not required by argparse: they may come before or after the task
            parser.error(f"the following arguments are required: {', '.join(missing)}")


def register(sub) -> None:
    f = sub.add_parser("feedback", usage=USAGE,
                       help="record the right provider for a routed task (the classifier learns it); list; forget")
    _record_flags(f, default=None)
    fsub = f.add_subparsers(dest="feedback_cmd", metavar="task|list|forget", required=True,
                            action=_RecordUnlessNamed,
                            help='the task as it was routed (quoted), or a command: "list" or "forget"')
    r = fsub.add_parser(RECORD, prog="switchboard feedback", usage=RECORD_USAGE)  # no help: not listed
    r.add_argument("task", help="the task description as it was routed")
    _record_flags(r, default=argparse.SUPPRESS)  # given after the task; before it, the parent's take them
    r.set_defaults(func=feedback)

    ls = fsub.add_parser("list", prog="switchboard feedback list", help="every recorded correction, with whether the classifier learned it and why")
    ls.add_argument("--json", action="store_true", help="print the corrections as JSON, their texts whole")
    ls.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT, metavar="N",
                    help=f"the latest N corrections (default {DEFAULT_LIMIT}; 0: all); how many were left out goes to stderr")
    ls.set_defaults(func=feedback_list)

    fg = fsub.add_parser("forget", prog="switchboard feedback forget", help="remove recorded corrections; every Switchboard process stops applying them")
    fg.add_argument("ids", nargs="+", type=_correction_id, metavar="ID", help="a correction's id, as listed")
    fg.set_defaults(func=feedback_forget)


def _record_flags(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument("--routed", choices=PROVIDER_NAMES, default=default,
                        help="the provider Switchboard routes the task to (`switchboard classify` shows it); "
                             "another is refused, nothing recorded")
    parser.add_argument("--correct", choices=PROVIDER_NAMES, default=default,
                        help="where it should go: --routed's provider confirms the routing, another corrects it")
    parser.add_argument("--task-type", choices=TASK_TYPES, default=default, help="the right task type, if known")


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of corrections (0 or more; 0: all)")
    return number


def _correction_id(value: str) -> int:
    try:
        return int(value.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a correction id (a number `switchboard feedback list` shows)") from None


@router_errors
def feedback(args) -> int:
    try:
        learned, reason = core().record_feedback(
            args.task, routed_provider=args.routed, correct_provider=args.correct, task_type=args.task_type
        )
    except RoutedElsewhere as exc:  # the way to record a correction in this command's flags
        raise InvalidRequest(exc.text(flags=True)) from None
    except InvalidRequest as exc:  # "task_type for claude must be one of ...": the tool's name, not the flag's
        message = str(exc)
        if not message.startswith("task_type "):
            raise
        raise InvalidRequest("--task-type " + message.removeprefix("task_type ")) from None
    emit_json({"learned": learned, "reason": reason})
    return 0


@router_errors
def feedback_list(args) -> int:
    entries = core().feedback_corrections()  # oldest first
    left_out = max(0, len(entries) - args.limit) if args.limit else 0
    entries = entries[left_out:]
    if args.json:
        emit_json([_entry(e) for e in entries])
    elif not entries:  # said on stderr, as `audit` does: stdout holds only corrections
        print('switchboard: no corrections recorded yet (record one with `switchboard feedback "<task>" '
              "--routed P --correct P`)", file=sys.stderr)
    else:
        print(_table([_entry(e) for e in entries]))
    if left_out:  # on stderr: stdout holds only corrections (JSON with --json)
        older = "correction was" if left_out == 1 else "corrections were"
        print(f"switchboard: {left_out} older {older} left out (--limit {args.limit}; --limit 0 lists all)",
              file=sys.stderr)
    return 0


@router_errors
def feedback_forget(args) -> int:
    from router_core.classifier.learning import REFRESH_SECONDS

    forgotten = core().forget_feedback(args.ids)
    for c in forgotten.removed:
        print(f"forgot #{c.id}: {c.routed_provider} -> {c.correct_provider}  {_short(c.text)}")
    for result in forgotten.changed:  # the replay without them decided these others differently
        print(f"#{result.correction_id} is now {result.reason}")
    them = "it" if len(forgotten.removed) == 1 else "them"
    print(f"every Switchboard process stops applying {them}: running servers within {REFRESH_SECONDS:g} seconds")
    return 0


def _entry(reviewed: Reviewed) -> dict:
    """A correction as `feedback list --json` shows it."""
    c, result = reviewed.correction, reviewed.result
    if result is None:
        status, reason, applied = "stored", "stored; the classifier in use does not learn from feedback", None
    else:
        status, reason, applied = ("accepted" if result.accepted else "rejected"), result.reason, result.task_type
    return {
        "id": c.id,
        "recorded_at": iso(c.created_at) if isinstance(c.created_at, int | float) and c.created_at else None,
        "routed_provider": c.routed_provider,
        "correct_provider": c.correct_provider,
        "task_type": c.task_type,  # as recorded (None: not given)
        "learned_task_type": applied,  # what routing applies: the recorded one, or the likeliest of the provider's
        "status": status,
        "reason": reason,
        "text": c.text,
    }


def _table(entries: list[dict]) -> str:
    lines = [f"{'id':>4}  {'recorded':<20}  {'routed -> correct':<18}  {'task type':<24}  {'status':<8}  task"]
    for e in entries:
        route = f"{e['routed_provider']} -> {e['correct_provider']}"
        kind = e["learned_task_type"] or e["task_type"] or "-"
        if e["learned_task_type"] and not e["task_type"]:
            kind += "*"
        lines.append(f"{e['id']:>4}  {e['recorded_at'] or '?':<20}  {route:<18}  {kind:<24}  {e['status']:<8}  "
                     f"{_short(e['text'])}")
        if e["status"] == "rejected":
            lines.append(f"{'':>6}{e['reason']}")
    if any(e["learned_task_type"] and not e["task_type"] for e in entries):
        lines.append("* no task type was recorded: the likeliest of the correct provider's is learned")
    return "\n".join(lines)


def _short(text: object) -> str:
    """``text`` on one line, cut to TEXT_WIDTH characters (`--json` shows it whole); a character a terminal
    would act on (an escape sequence, a right-to-left override: any host can record any text) as its escape."""
    flat = " ".join(str(text).split())
    if not flat.isprintable():
        flat = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in flat)
    return flat if len(flat) <= TEXT_WIDTH else flat[:TEXT_WIDTH - 3] + "..."
