"""`switchboard recommend` and `switchboard classify`."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator

from router_core.core import validate_task
from router_core.errors import InvalidRequest
from router_core.inputs import lone_surrogates_replaced
from router_core.records import audit_record
from server.commands._common import (
    CommandError,
    core,
    emit_json,
    json_text,
    router_errors,
    said_reading_stdin,
    writes_unicode,
)
from server.display import proceed_prompt, render_recommendation
from server.unreadable import why_unreadable
from tools.schemas import ClassificationOut, RecommendationRecordOut


def register(sub) -> None:
    p = sub.add_parser("recommend", help="recommend a provider for a task: classification, capacity, cost and budget")
    p.add_argument("task", help="the task description")
    p.add_argument("--repo", help="repository name, recorded in the audit log")
    p.add_argument("--json", action="store_true", help="print the detailed record as JSON")
    p.set_defaults(func=recommend)

    c = sub.add_parser("classify", help="classify a task, or JSONL tasks from stdin")
    c.add_argument("task", nargs="?", help="the task description")
    c.add_argument("--jsonl", action="store_true", help='read {"id","text"} lines (or a batch file\'s {"id","task"}) on stdin, write one JSON line each; '
                   "a line with no id (or a null one) gets its line number, 1 for the first, as its id")
    # Accepted as every other command's --json is: argparse took it for an abbreviation of --jsonl, which read
    # stdin (empty, or a terminal waiting) and dropped the task given.
    c.add_argument("--json", action="store_true", help="print the classification as JSON (it always is)")
    c.set_defaults(func=classify)


@router_errors
def recommend(args) -> int:
    c = core()
    decision = c.decide(args.task, repo=args.repo)
    if args.json:
        emit_json(RecommendationRecordOut.of(decision).model_dump(mode="json"))
        return 0
    print(render_recommendation(decision, unicode=writes_unicode(sys.stdout)))
    if sys.stdin.isatty() and sys.stdout.isatty():
        accepted = _ask(proceed_prompt(decision))
        c.audit.append(
            {**audit_record(decision, session_id=c.session_id, event="user_response"), "accepted": accepted}
        )
        # Nothing runs here: the answer is only recorded, so say that and how to run it.
        if accepted:
            # "--" before the task: one starting with "-" would be read as an option
            print(f"Accepted (recorded in the audit log). To run it: switchboard run --provider {decision.provider} "
                  f"-- {shlex.quote(args.task)}")
        else:
            print("Declined (recorded in the audit log).")
    return 0


def _ask(prompt: str) -> bool:
    """The user's y/n; end of input (Ctrl-D) is a no. Ctrl-C ends the prompt's line, then main() exits 130."""
    try:
        answer = input(prompt)
    except EOFError:
        print()
        return False
    except KeyboardInterrupt:
        print()
        raise
    return answer.strip().lower() in ("y", "yes")


@router_errors
def classify(args) -> int:
    c = core()
    if args.jsonl:
        if args.task:
            raise CommandError('--jsonl reads the tasks from stdin: give a task or --jsonl, not both')
        said_reading_stdin('the tasks (one {"id", "text"} object a line)', "switchboard classify --jsonl < tasks.jsonl")
        return _classify_stream(c)
    if not args.task:
        raise CommandError('give a task ("switchboard classify \\"fix the login bug\\"") or --jsonl with stdin')
    emit_json(ClassificationOut.of(c.classify(args.task)).model_dump(mode="json"))
    return 0


def _classify_stream(c) -> int:
    failures = 0
    out = sys.stdout
    for lineno, line in enumerate(_stdin_lines(), start=1):
        if not line.strip():
            continue  # no task to answer (an empty last line); the rows after still go by their line numbers
        item_id: object = lineno  # a line that gives no id is named by its number, so its row can be matched to it
        try:
            if isinstance(line, _NotUtf8):
                item_id = _id_of_garbled(line.garbled, lineno)
                raise InvalidRequest(line.message)
            item = _json_object(line)
            if not isinstance(item, dict):
                raise InvalidRequest(f"a JSON {_kind(item)}, not an object; {LINE_SHAPE}")
            if item.get("id") is not None:
                item_id = _plain_id(item["id"])  # first, so that an error row names the line's id
            text = validate_task(_text(item))
            start = time.perf_counter()
            result = c.classify(text)  # as `classify` and the tools read it: credentials dropped
            elapsed_ms = (time.perf_counter() - start) * 1000
        except InvalidRequest as exc:
            failures += 1
            msg = f"line {lineno}: {exc}"
            print(msg, file=sys.stderr)
            out.write(json_text({"id": item_id, "error": msg}) + "\n")
            continue
        row = {
            "id": item_id,
            "primary_provider": result.primary_provider,
            "task_type": result.task_type,
            "scores": result.all_scores,
            "fallback_chain": list(result.fallback_chain),
            "elapsed_ms": round(elapsed_ms, 4),
        }
        out.write(json_text(row) + "\n")
    out.flush()
    return 1 if failures else 0


LINE_SHAPE = 'each line must be a JSON object with a string "text" (and an optional "id")'


def _text(item: dict) -> str:
    """The line's "text", or its "task" when it has no "text": a `switchboard batch` file's lines, which name
    it so (batch reads "text" as "task" in turn)."""
    key = "task" if "text" not in item and "task" in item else "text"
    if key not in item:
        raise InvalidRequest(f'no "text"; {LINE_SHAPE}')
    if not isinstance(item[key], str):
        raise InvalidRequest(f'"{key}" is {_kind(item[key], article=True)}, not a string; {LINE_SHAPE}')
    return item[key]


def _kind(value: object, *, article: bool = False) -> str:
    """The JSON name of ``value``'s type: "array", "number", ..., with its article for ``article``."""
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    kind = kinds.get(type(value), "null")
    return f"{'an' if kind[0] in 'ao' else 'a'} {kind}" if article and kind != "null" else kind


class _NotUtf8(str):
    """A line of stdin that is not UTF-8 (a Latin-1 "é" in one task): answered by an error row of its own."""

    garbled: str  # the line with U+FFFD for what is not UTF-8: its id may still be read
    message: str


def _stdin_lines() -> Iterator[str]:
    """stdin's lines, each decoded on its own, a byte order mark starting one dropped (Windows editors and
    PowerShell write one; `cat a.jsonl b.jsonl` puts b's in the middle). Decoded as a whole, one byte that is not
    UTF-8 ended the run: the rows of the 8 KiB chunk before it were lost with it, and every line after. A file in
    UTF-16 or UTF-32 (its mark says so) is refused whole: no line of it would be read."""
    source = getattr(sys.stdin, "buffer", None)
    if source is None:  # a text stream with no bytes beneath (closed stdin, tests): already decoded
        for line in sys.stdin:
            yield line.removeprefix("\ufeff")
        return
    for lineno, raw in enumerate(source, start=1):
        if lineno == 1 and raw.startswith(_WIDE_MARKS):
            raise InvalidRequest("stdin is not UTF-8 text (it begins with a UTF-16 or UTF-32 byte order mark); "
                                 "convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8) and give UTF-8 JSON lines")
        try:
            yield raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            bad = _NotUtf8(raw.decode("utf-8", "replace"))
            bad.garbled = str(bad)
            bad.message = (f"not UTF-8 text (byte {exc.start + 1}: 0x{raw[exc.start]:02x}, {exc.reason}); "  # as batch says
                           "save the file as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8 if it was written as Latin-1)")
            yield bad


# UTF-16 LE and BE (and UTF-32 LE, which begins as UTF-16 LE's), UTF-32 BE
_WIDE_MARKS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _id_of_garbled(text: str, lineno: int) -> object:
    """The id a line that is not UTF-8 gives, read with replacements for what is not, so that its error row is
    named as its answer would have been; else its line number."""
    try:
        item = json.loads(text.rstrip("\r\n").removeprefix("\ufeff"))
        found = item.get("id") if isinstance(item, dict) else None
        return lineno if found is None else _plain_id(found)
    except (ValueError, RecursionError, InvalidRequest):
        return lineno


def _json_object(line: str) -> object:
    try:
        return json.loads(line.rstrip("\r\n"))  # a string left open ends at the line's end, not at its newline
    except RecursionError:
        raise InvalidRequest('the line is nested too deeply to read; give a flat {"id", "text"} object') from None
    except ValueError as exc:  # not JSON, or a number too long to convert
        # Where on this line: the parser's "line 1 column 5" named a line 1 of the stream that was not
        why = f"{exc.msg.removesuffix(' at')} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) \
            else why_unreadable(exc)
        raise InvalidRequest(f"not JSON ({why}); give one JSON object a line, such as "
                             '{"id": 1, "text": "fix the login bug"}') from None


def _plain_id(item_id: object) -> object:
    """``item_id`` if it can be written back as strict JSON: NaN and Infinity (or 1e999) cannot. Half of a UTF-16
    pair (a host cut the id inside an emoji) has no UTF-8 form: it becomes U+FFFD, as in a task's text."""
    try:
        written = json.dumps(item_id, allow_nan=False)
        repaired = lone_surrogates_replaced(written)
        return item_id if repaired == written else json.loads(repaired)
    except (ValueError, RecursionError):
        raise InvalidRequest('"id" cannot be written back as JSON (NaN, Infinity and numbers past 1.8e308 are '
                             "not JSON); give the id as a string or a finite number") from None
