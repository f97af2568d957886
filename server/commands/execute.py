"""`switchboard run` (dispatch one task) and `switchboard batch` (run many, with a progress bar)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

from router_core.batch_ids import task_named
from router_core.batch_limits import MAX_BATCH_PARALLEL, MAX_BATCH_TASKS
from router_core.budget_text import money
from router_core.errors import InvalidRequest
from router_core.settings import PROVIDER_NAMES
from server.commands._common import (
    CommandError,
    core,
    emit_json,
    router_errors,
    said_reading_stdin,
    stdin_text,
)
from server.commands._notices import (
    ProgressBar,
    cancelled_notice,
    charged_notice,
    fallback_notices,
    paced_notice,
    parked_notice,
    route_notice,
)
from server.stop_signals import stopping_signals
from server.unreadable import NESTED_TOO_DEEPLY, why_unreadable

EXIT_INTERRUPTED = 130  # as main() returns for a Ctrl-C: 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

# The execution stack and its output models are imported when these commands run, not by every
# `switchboard` command (`serve` imports only what routing needs at start-up).


def register(sub) -> None:
    r = sub.add_parser("run", help="run a task on the routed provider, with fallback, pacing and budget")
    r.add_argument("task", help="the task description")
    r.add_argument("--provider", choices=PROVIDER_NAMES, help="force a provider (no fallback)")
    r.add_argument("--context-file", metavar="PATH", help="text passed to the agent as context ('-': stdin)")
    r.add_argument("--max-cost", type=float, metavar="USD", help="cost cap for this task, retries and fallbacks included (bounds each try's output)")
    r.add_argument("--wait", action="store_true", help="if every provider is blocked, wait instead of exiting")
    r.add_argument("--route-only", action="store_true", help="route and lease the agent, do not run")
    r.add_argument("--json", action="store_true", help="print the full result record as JSON")
    r.set_defaults(func=run)

    b = sub.add_parser("batch", help="run tasks from stdin (JSON array or JSONL) in parallel; JSON results on stdout",
                       description=f"Run up to {MAX_BATCH_TASKS} tasks from stdin (a JSON array or JSON lines of "
                       'strings or {"id", "task"} objects), in parallel; progress on stderr, results on stdout.')
    b.add_argument("--parallel", type=int, metavar="N",
                   help=f"requests in flight at once, 1 to {MAX_BATCH_PARALLEL} (default: config)")
    b.add_argument("--dry-run", action="store_true", help="print the plan only")
    b.set_defaults(func=batch)


async def _with_executor(c, work, terminated: list[int]):
    from router_core.execution.adapters import build_adapters, http_client  # httpx: only when running
    from router_core.execution.executor import Executor

    async with http_client(c.settings) as client:
        executor = Executor(c, build_adapters(c.settings, client=client, clock=c.clock))
        return await _until_sigterm(work, executor, terminated)


def stopped_by(terminated: list[int]) -> str:
    """"stopped by SIGTERM" (or SIGHUP), as the signal that stopped the work is named."""
    return f"stopped by {signal.Signals(terminated[0]).name if terminated else 'SIGTERM'}"


def quiet_after_hangup(terminated: list[int]) -> None:
    """After SIGHUP from a terminal that closed, stderr (that terminal) fails every write with EIO: a progress line's
    end or a notice failing first lost the results bound for stdout (`batch < tasks.json > out.json` over an ssh
    session that dropped: out.json empty, a traceback on the dead terminal). What is said on stderr is dropped."""
    if terminated and terminated[0] == signal.SIGHUP and _isatty(sys.stderr):
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the rest of the process


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False


def exit_status(terminated: list[int]) -> int:
    """128 + the signal's number, as a shell reports a process it killed: 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + terminated[0] if terminated else EXIT_TERMINATED


async def _until_sigterm(work, executor, terminated: list[int]):
    """``work(executor)``, cancelled as Ctrl-C cancels it if SIGTERM or SIGHUP arrives (``terminated`` then holds the
    signal; the result is None): `kill`, timeout(1), a supervisor or a closed terminal ended a batch with its
    finished answers, paid for, unprinted, and the calls in flight charged as a dead process's, unaudited. A signal
    repeated while the work winds down (its cancelled tasks audited, its calls in flight charged) is absorbed: the
    first one's clean-up must finish. The handlers they had before are restored after (asyncio leaves the default,
    which would kill the process), or, after one arrived, they are ignored while the command prints what finished
    and exits (stopping_signals says which are handled)."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        return await work(executor)
    handled = stopping_signals()
    previous = {signum: signal.getsignal(signum) for signum in handled}
    result = error = None
    work_scope = anyio.CancelScope()
    try:
        async with anyio.create_task_group() as tg:
            async def on_signal(*, task_status=anyio.TASK_STATUS_IGNORED) -> None:
                with anyio.open_signal_receiver(*handled) as signals:
                    task_status.started()  # the work starts with the signals handled
                    async for signum in signals:
                        if not terminated:
                            terminated.append(signum)
                            work_scope.cancel()

            await tg.start(on_signal)
            try:
                with work_scope:
                    result = await work(executor)
            except Exception as exc:  # raised as itself below, not inside the task group's ExceptionGroup
                error = exc
            tg.cancel_scope.cancel()
    finally:
        for signum, before in previous.items():
            if terminated:  # the process is ending: what finished is printed first, whatever else is sent
                signal.signal(signum, signal.SIG_IGN)
            elif before is not None:  # None: set from outside Python, not restorable
                signal.signal(signum, before)
    if error is not None:
        raise error
    return result


@router_errors
def run(args) -> int:
    from router_core.execution.dispatch import check_limits, dispatch
    from router_core.execution.results import ROUTED, SUCCESS
    from tools.batch_schemas import DispatchOut
    from tools.schemas import RecommendationRecordOut

    c = core()
    context = _read_context(args.context_file)
    # Refused with the flags' names: the core's messages name the dispatch_agent tool's arguments.
    check_limits(args.max_cost, context, names=("--max-cost", "the text of --context-file"))

    cancelled = []  # what a Ctrl-C left, as audited

    async def work(executor):
        return await dispatch(c, executor, args.task, provider=args.provider, context=context,
                              max_cost=args.max_cost, wait=args.wait, execute=not args.route_only,
                              on_park=parked_notice(sys.stderr), on_cancel=cancelled.append,
                              on_pace=paced_notice(sys.stderr))

    def record(result) -> dict:
        return DispatchOut.build(RecommendationRecordOut.of(result.decision), result.outcome).model_dump(mode="json")

    terminated: list[int] = []
    try:
        result = anyio.run(_with_executor, c, work, terminated)
    except KeyboardInterrupt:
        result = None
    quiet_after_hangup(terminated)
    if result is None:  # Ctrl-C, SIGTERM or SIGHUP
        if args.json and cancelled:  # the record as audited (status "cancelled", what it is charged), as batch does
            emit_json(record(cancelled[0]))
        notice = cancelled_notice(cancelled[0].outcome if cancelled else None)
        print(notice.replace("switchboard: ", f"switchboard: {stopped_by(terminated)}: ", 1) if terminated else notice,
              file=sys.stderr)
        return exit_status(terminated) if terminated else EXIT_INTERRUPTED
    o = result.outcome
    # (a task that did not run says why in its error: an all-blocked route's reason, again, would only repeat it)
    notice = None if args.json or o.status not in (SUCCESS, ROUTED) else route_notice(
        result.decision, forced=args.provider is not None)
    if notice is not None:
        print(notice, file=sys.stderr)
    if args.json:
        emit_json(record(result))
    elif o.status == SUCCESS:
        sys.stdout.write(o.text or "")
        sys.stdout.write("\n" if o.text and not o.text.endswith("\n") else "")
        path = " -> ".join(o.fallback_path)
        tokens = f"~{o.tokens_used:,} tokens (estimated: not all reported)" if o.tokens_estimated else \
            f"{o.tokens_used:,} tokens"
        print(f"[{o.provider} {o.model} · {tokens} · {money(o.cost_usd)} "
              f"(estimate {money(o.cost_estimate_usd)}) · {o.duration_seconds:.1f}s · path {path}]", file=sys.stderr)
        for line in fallback_notices(o, c.settings):
            print(line, file=sys.stderr)
        if o.warning:
            print(f"switchboard: warning: {o.warning}", file=sys.stderr)
    elif o.status == ROUTED:
        agent = result.decision.agent.agent.id if result.decision.agent else "none"
        print(f"routed to {result.decision.provider} as agent {agent} (lease {result.decision.lease_id})")
    else:
        print(f"switchboard: {o.status}: {o.error}", file=sys.stderr)
        if (charged := charged_notice(o)) is not None:
            print(charged, file=sys.stderr)
    return 0 if o.status in (SUCCESS, ROUTED) else 1


@router_errors
def batch(args) -> int:
    from router_core.execution.batch import run_batch
    from tools.batch_schemas import BatchPlanOut

    if args.parallel is not None and not 1 <= args.parallel <= MAX_BATCH_PARALLEL:
        raise CommandError(f"--parallel must be from 1 to {MAX_BATCH_PARALLEL}, got {args.parallel}")
    said_reading_stdin('the tasks (a JSON array, or JSON lines, of strings or {"id", "task"} objects)',
                       "switchboard batch < tasks.json")
    text = stdin_text("give the tasks as UTF-8 JSON (e.g. iconv -f LATIN1 -t UTF-8 if it was written as Latin-1)")
    pairs = parse_tasks(text)
    if len(pairs) > MAX_BATCH_TASKS:
        raise CommandError(f"{len(pairs)} tasks on stdin; a batch takes at most {MAX_BATCH_TASKS}: "
                           "split them into several batches")
    c = core()
    if args.dry_run:
        emit_json(BatchPlanOut.of(c.plan_batch(pairs, concurrency=args.parallel)).model_dump(mode="json"))
        return 0
    bar = ProgressBar(sys.stderr)
    interrupted = []  # what a Ctrl-C left: the finished tasks' answers are paid for, so they are printed

    async def work(executor):
        return await run_batch(c, executor, pairs, parallel=args.parallel, progress=bar.update,
                               on_cancel=interrupted.append, on_park=bar.parked, on_pace=bar.paced)

    terminated: list[int] = []
    try:
        result = anyio.run(_with_executor, c, work, terminated)
    except KeyboardInterrupt:
        if not interrupted:
            raise
        result = interrupted[0]
    quiet_after_hangup(terminated)
    bar.stream = sys.stderr
    if terminated and interrupted:  # SIGTERM, SIGHUP: as a Ctrl-C
        result = interrupted[0]
    elif result is None:  # SIGTERM or SIGHUP before the batch began
        print(f"switchboard: {stopped_by(terminated)} before any task ran", file=sys.stderr)
        return exit_status(terminated)
    bar.close()
    out = BatchPlanOut.executed(result.plan, result.outcome, result.agents)
    emit_json(out.model_dump(mode="json"))
    # Said on stderr too: stdout is often a file, and a batch's what-to-set is in its warnings alone.
    for warning in out.warnings:
        print(f"switchboard: warning: {warning}", file=sys.stderr)
    if interrupted:
        o = result.outcome
        print(f"switchboard: {stopped_by(terminated) if terminated else 'interrupted'}: {o.succeeded} of "
              f"{len(o.outcomes)} tasks succeeded; the results above mark the rest 'cancelled'", file=sys.stderr)
        return exit_status(terminated) if terminated else EXIT_INTERRUPTED
    o = result.outcome
    if o.failed:
        failed = Counter(task.status for task in o.outcomes if not task.ok)
        counts = ", ".join(f"{status} {n}" for status, n in failed.items())
        print(f"switchboard: {o.succeeded} of {len(o.outcomes)} tasks succeeded ({counts}); each task's error is in "
              "its result", file=sys.stderr)
    return 0 if o.failed == 0 else 1


_TOO_DEEP = f'{NESTED_TOO_DEEPLY} to read; give tasks as strings or {{"id", "task"}} objects'


def parse_tasks(text: str) -> list[tuple[str | None, str]]:
    """A JSON array, or JSON lines, of task strings or {"id", "task"} objects (``text`` is read as ``task``).
    A leading byte order mark (Windows editors and PowerShell write one) is dropped."""
    text = text.removeprefix("\ufeff").strip()
    no_tasks = CommandError('no tasks on stdin: give a JSON array such as ["fix the login bug", ...] or JSONL')
    if not text:
        raise no_tasks
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
        if not items:  # "[]": said as for empty stdin, not as the run_batch tool's argument
            raise no_tasks
    except RecursionError:
        raise CommandError(f"stdin is not a JSON array or JSON lines of tasks: {_TOO_DEEP}") from None
    except ValueError as exc:  # JSONDecodeError, or a number too long to convert
        if text.startswith("["):  # one array, perhaps over many lines: its error where it is, not "line 1"
            raise CommandError(f"stdin is not a JSON array of tasks ({_what_and_where(exc)}); give a JSON array "
                               'such as ["fix the login bug", ...] or JSON lines') from None
        # At newlines only: str.splitlines also breaks at U+2028, U+2029 and U+0085, which a JSON string may hold.
        lines = (line.removesuffix("\r") for line in text.split("\n"))
        numbered = [(n, _json_line(line, n)) for n, line in enumerate(lines, start=1) if line.strip()]
        # counted from 1, as the parse errors count lines; its line too, when blank lines set them apart
        return [_pair(item, f"task {i}" + (f" (line {n})" if n != i else "")) for i, (n, item) in
                enumerate(numbered, start=1)]
    return [_pair(item, task_named(i)) for i, item in enumerate(items)]  # "task 3 (index 2)", as the core says


def _what_and_where(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        if (comma := _trailing_comma(exc)) is not None:
            where = json.JSONDecodeError("", exc.doc, comma)
            return f"a comma before the closing ] at line {where.lineno} column {where.colno}: remove it"
        return f"{exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}"
    return why_unreadable(exc)


def _trailing_comma(exc: json.JSONDecodeError) -> int | None:
    """Where the comma is if ``exc`` is an array's last comma, which JSON does not allow (Python before 3.13 calls it
    "Expecting value" at the ], saying nothing of the comma)."""
    if exc.msg == "Illegal trailing comma before end of array":  # Python 3.13 and later: at the comma
        return exc.pos
    before = exc.doc[:exc.pos].rstrip()
    if exc.msg == "Expecting value" and before.endswith(",") and exc.doc[exc.pos:].startswith("]"):
        return len(before) - 1  # not a comma inside a string: "Expecting value" is never said in one
    return None


def _json_line(line: str, n: int) -> Any:
    try:
        return json.loads(line)
    except RecursionError:
        raise CommandError(f"line {n} is not a task: {_TOO_DEEP}") from None
    except ValueError as exc:
        if _ends_with_a_comma(line):
            raise CommandError(f"line {n} ends with a comma: JSON lines hold one task a line and nothing between them; "
                               "remove the commas, or put the tasks in a JSON array [...]") from None
        reason = (f"{exc.msg.removesuffix(' at')} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError)
                  else why_unreadable(exc))
        raise CommandError(f"line {n} is not JSON ({reason}); give a JSON array or JSON lines") from None


def _ends_with_a_comma(line: str) -> bool:
    """Whether ``line`` is JSON but for a comma at its end (tasks copied out of an array)."""
    kept = line.rstrip()
    if not kept.endswith(","):
        return False
    try:
        json.loads(kept[:-1])
    except (ValueError, RecursionError):
        return False
    return True


TASK_KEYS = ("id", "task", "text")  # "text", as `classify --jsonl` reads it


def _pair(item: Any, n: str) -> tuple[str | None, str]:
    """``item`` as an (id, task) pair; ``n`` names it in an error (\"task 3 (line 5)\")."""
    if isinstance(item, str):
        return None, item
    if isinstance(item, dict):
        if extra := [k for k in item if k not in TASK_KEYS]:  # run_batch refuses them too: none is dropped silently
            names = ", ".join(json.dumps(k[:40]) for k in extra[:5]) + (", ..." if len(extra) > 5 else "")
            raise CommandError(f'{n}: unknown field{"s" if len(extra) > 1 else ""} {names} (a batch task has "task" and "id" only, and runs on '
                               "its routed provider); for a forced provider, context or cost cap use `switchboard run`")
        if "task" in item and "text" in item and item["task"] != item["text"]:
            raise CommandError(f'{n}: both "task" and "text" are given and differ; give one ("text" is read '
                               'as "task")')
        task = item.get("task", item.get("text"))
        task_id = item.get("id")
        # true is an int to Python (it would have become the id "True"); 1.5, [1] or {} were refused as if the
        # task had no "task"
        if task_id is not None and (isinstance(task_id, bool) or not isinstance(task_id, str | int)):
            raise CommandError(f'{n}: "id" must be a string or a whole number, not {json.dumps(task_id)[:40]}')
        if isinstance(task, str) and (task_id is None or isinstance(task_id, str | int)):
            return (None if task_id is None else str(task_id)), task
    raise CommandError(f'{n}: expected a string or an object with a string "task" (and an optional "id")')


def _read_context(path: str | None) -> str | None:
    if path is None:
        return None
    if path == "-":
        said_reading_stdin("the context", "--context-file notes.txt")
        return stdin_text("convert it to UTF-8 (e.g. iconv -t UTF-8) or pass a text file")
    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise InvalidRequest(f"cannot read context file {path} ({exc.strerror or exc}); give a readable text file, "
                             "or - to read the context from stdin") from None
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"context file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}); convert it "
                             "to UTF-8 (e.g. iconv -t UTF-8) or pass a text file") from None
