"""CLI backends: run a provider's coding CLI as a subprocess (no shell) and parse its JSON output.

The argv is ``ProviderSettings.cli_command`` plus what the dialect appends (model flag; codex's ``-``). The
prompt goes on stdin as UTF-8, then end of input: an argument holds at most 128 KiB on Linux (MAX_ARG_STRLEN),
less than a task with the files a host passes as context, and every local user sees it in ``ps``. Each CLI
takes piped stdin as its whole prompt (each dialect says where that is documented and how it was checked).
Stdin is written while stdout and stderr are read (a CLI may print before it reads), and a CLI that exits
without reading it all is not an error here: its exit and output say what happened. A prompt over STDIN_LIMIT
is PromptTooLongForCli (rejected; another provider may take it). The environment is passed through (the
registry leaves out other providers' API keys); the process runs in its own session so a timeout kills the CLI
and everything it spawned (a CLI that printed its final result and then hung, or was killed by a signal, is
read as answered), and once the CLI exits, whatever it left running is killed. On Linux the kernel kills the
CLI should Switchboard die without a word (SIGKILL, the OOM killer: cli_spawn.py). Output is bounded: more than
STDOUT_LIMIT on stdout stops the CLI (ProviderUnavailable), and only the end of stderr is kept. A CLI killed
by a signal before its result is ProviderUnavailable, maybe billed (as one that timed out). Output is read as it
streams, and a CLI whose output says it cannot reach its service (the dialect's watch; codex offline retried
"waiting for network" until the timeout) is stopped then: ProviderUnavailable, free unless a step of its run had
reached the model, as a refused connection is for an API adapter (cli_pipes.py). Exit 0 with no
JSON on stdout is CliOutputUnreadable (a command that does not ask for JSON: another provider may take the
task, a retry would not help). A missing executable is NotConfigured. Each dialect (cli_codex, cli_gemini,
cli_claude) documents the output format it assumes, citing provider-apis.md section 5.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

import anyio
from anyio.abc import Process

from router_core.clock import Clock
from router_core.cost import estimate_tokens
from router_core.errors import (
    CliOutputUnreadable,
    CliTimedOut,
    NotConfigured,
    PromptTooLongForCli,
    ProviderUnavailable,
)
from router_core.inputs import surrogates_replaced
from router_core.providers.answers import sent_input_tokens
from router_core.providers.base import PROBE_PROMPT, Completion, CompletionRequest, cli_prompt
from router_core.providers.cli_pipes import (
    AFTER_RESULT_SECONDS,
    STDOUT_LIMIT,
    InputPipe,
    LineWatch,
    OutputWatch,
    Unreachable,
    drain_both,
    kill_session,
    stop_when_answered,
)
from router_core.providers.cli_spawn import open_guarded
from router_core.providers.cli_text import load_json_object, tail
from router_core.providers.cli_usage_error import refused_arguments
from router_core.providers.nesting import dispatched_environment
from router_core.providers.timeparse import format_seconds

logger = logging.getLogger(__name__)

DEFAULT_CLI_TIMEOUT = 600.0
AFTER_EXIT_SECONDS = 2.0  # how long output already written is read for once the CLI has exited
# The most a CLI is given on stdin: gemini cuts its input at 8 MiB (the task, last, would be lost) and claude
# refuses more than 10 MiB. About two million tokens, beyond any model's context window.
STDIN_LIMIT = 8 * 2**20


@dataclass(frozen=True, slots=True)
class CliRun:
    """What one CLI run produced."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class ParseContext:
    provider: str
    model: str  # the model asked for ("" if the CLI chose)
    now: float
    tz: tzinfo | None  # the zone the CLI prints local times in; None: this machine's
    cwd: str = ""  # the directory the CLI ran in (for messages)


@dataclass(frozen=True, slots=True)
class CliDialect:
    """How to talk to one CLI: build its argv, and read a run into a Completion or a typed error."""

    # (base argv, model, what remains of max_cost or None) -> argv; the prompt: stdin. Only claude bounds a run's
    # spend itself (--max-budget-usd); codex and gemini have no such flag and take no output cap either.
    build_argv: Callable[[Sequence[str], str, float | None], list[str]]
    parse: Callable[[CliRun, ParseContext], Completion]
    # Whether stdout holds the CLI's final result: a CLI that printed it and then hung is read at the timeout.
    finished: Callable[[str], bool]
    # A new watch for each run, read line by line as the CLI prints: it says when the CLI cannot reach its
    # service and would only retry until the timeout (codex offline: "Reconnecting... waiting for network").
    watch: Callable[[], LineWatch] | None = None


class CliAdapter:
    backend = "cli"

    def __init__(
        self,
        *,
        provider: str,
        command: Sequence[str],
        dialect: CliDialect,
        clock: Clock,
        environ: Mapping[str, str] | None = None,
        default_model: str = "",
        timeout: float = DEFAULT_CLI_TIMEOUT,
        cwd: str | None = None,
        local_tz: tzinfo | None = None,
    ) -> None:
        if not command:
            raise NotConfigured(f"{provider}: providers.{provider}.cli_command is empty")
        self.name = provider
        self.command = tuple(command)
        self._dialect = dialect
        self._clock = clock
        self._env = dict(environ) if environ is not None else None
        self._default_model = default_model
        self._timeout = timeout
        self._cwd = cwd
        self._tz = local_tz

    async def complete(self, request: CompletionRequest) -> Completion:
        model = request.model or self._default_model
        argv = self._dialect.build_argv(self.command, model, request.max_cost_usd)
        prompt = self._prompt_bytes(request)
        timeout = request.timeout if request.timeout is not None else self._timeout
        watch = self._dialect.watch() if self._dialect.watch is not None else None
        run = await run_cli(argv, prompt, provider=self.name, env=self._env, cwd=self._cwd, timeout=timeout,
                            finished=self._dialect.finished, watch=watch)
        if run.returncode == 127 and not run.stdout.strip() and (missing := _env_interpreter_missing(argv[0], run, self._env)):
            raise NotConfigured(
                f"{self.name} CLI {argv[0]!r} is installed, but its first line ({missing}) found no such program "
                f"({tail(run.stderr, 120)}): put it on the PATH Switchboard runs with (an MCP host may start "
                "servers with a shorter PATH than your shell's), or name it in the CLI's first line"
            )
        if run.returncode != 0 and load_json_object(run.stdout) is None and (said := refused_arguments(run.stderr, run.returncode)):
            raise NotConfigured(  # before any model call, and every time: no retry, no outage
                f"{self.name} CLI refused its command line ({tail(said, 160)}; exit {run.returncode}): its version "
                f"may not have an option Switchboard gives it ({' '.join(argv)}): update the CLI, or fix "
                f"providers.{self.name}.cli_command")
        if run.returncode != 0:
            logger.info("%s CLI exited %s: %s", self.name, run.returncode, run.stderr[-300:])
        elif load_json_object(run.stdout) is None:
            raise CliOutputUnreadable(
                f"{self.name} CLI exited 0 without a JSON result (it printed {tail(run.stdout) or 'nothing'!r}): "
                f"providers.{self.name}.cli_command must ask for JSON output, as the default does "
                "(codex exec --json; gemini and claude --output-format json)", provider=self.name)
        ctx = ParseContext(self.name, model, self._clock.now(), self._tz, self._cwd or os.getcwd())
        completion = self._dialect.parse(run, ctx)
        return _with_usage(completion, request)

    def _prompt_bytes(self, request: CompletionRequest) -> bytes:
        """The prompt as UTF-8 for the CLI's stdin (an unpaired surrogate, text cut inside an emoji, has no
        UTF-8 form and becomes U+FFFD)."""
        prompt = surrogates_replaced(cli_prompt(request)).encode()
        if len(prompt) > STDIN_LIMIT:
            raise PromptTooLongForCli(
                f"{self.name} CLI: the prompt is {len(prompt):,} bytes; a CLI is given at most "
                f"{STDIN_LIMIT:,} ({STDIN_LIMIT // 2**20} MiB) on its stdin", provider=self.name)
        return prompt

    async def probe(self) -> Completion:
        """Runs a one-line prompt: the only check that shows the CLI can answer (and is not over its limit)."""
        return await self.complete(CompletionRequest(prompt=PROBE_PROMPT, timeout=min(self._timeout, 120.0)))


def _with_usage(completion: Completion, request: CompletionRequest) -> Completion:
    """``completion`` with the token counts its CLI left out (no cost, and 0 input tokens, or 0 output tokens
    for a text) estimated from the prompt and the answer, as the API adapters do (answers.Tally): the run was
    paid for, by a key or a subscription's window, and counted at 0 it would cost the budget nothing."""
    if completion.cost_usd is not None:
        return completion
    input_tokens = completion.input_tokens or sent_input_tokens(request)
    output_tokens = completion.output_tokens or (estimate_tokens(completion.text) if completion.text else 0)
    if (input_tokens, output_tokens) == (completion.input_tokens, completion.output_tokens):
        return completion
    logger.info("%s CLI reported no token counts (input %d, output %d); estimated from the text: ~%d, ~%d",
                completion.provider, completion.input_tokens, completion.output_tokens, input_tokens, output_tokens)
    return replace(completion, input_tokens=input_tokens, output_tokens=output_tokens, usage_estimated=True)


def model_option(model: str) -> str:
    """The model as one argument, ``--model=NAME``: as two, a name starting with "-" (a project file's model
    list) was read as an option (codex: "a value is required for '--model <MODEL>'", exit 2; gemini: "Not enough
    arguments following: m", exit 1; checked with codex 0.169.0 and gemini 0.61.0, which take ``--model=`` as is,
    as claude 2.1.197 does)."""
    return f"--model={model}"


def _passable(arg: str) -> str:
    """``arg`` as a command line can carry it: a NUL ends the C string, and an unpaired surrogate (text cut
    inside an emoji) has no UTF-8 form; each becomes U+FFFD."""
    return surrogates_replaced(arg).replace("\x00", "\ufffd")


async def run_cli(
    argv: Sequence[str], stdin: bytes, *, provider: str, env: Mapping[str, str] | None, cwd: str | None,
    timeout: float, finished: Callable[[str], bool] | None = None, watch: LineWatch | None = None,
) -> CliRun:
    feed = InputPipe()
    try:
        process = await _start(argv, feed, provider=provider, env=env, cwd=cwd)
    except BaseException:
        feed.close()
        raise
    finally:
        feed.close_read_end()  # the CLI has its copy
    return await _run_started(process, feed, stdin, provider=provider, timeout=timeout, finished=finished,
                              watch=watch)


async def _start(
    argv: Sequence[str], feed: InputPipe, *, provider: str, env: Mapping[str, str] | None, cwd: str | None
) -> Process:
    try:
        return await open_guarded(  # killed by the kernel should this process die unawares (cli_spawn.py)
            [_passable(arg) for arg in argv],  # marked: a Switchboard the CLI starts does not dispatch (nesting.py)
            stdin=feed.read_end, env=dispatched_environment(env), cwd=cwd, start_new_session=True,
        )
    except FileNotFoundError as exc:
        if interpreter := _missing_interpreter(argv[0], env):
            raise NotConfigured(
                f"{provider} CLI {argv[0]!r} is installed, but the interpreter its first line names "
                f"({interpreter}) was not found: reinstall the CLI or fix its first line"
            ) from exc
        raise NotConfigured(
            f"{provider} CLI not found ({argv[0]!r}): install it and log in, or set "
            f"providers.{provider}.cli_command or providers.{provider}.backend"
        ) from exc
    except PermissionError as exc:
        raise NotConfigured(
            f"{provider} CLI {argv[0]!r} is not executable (no execute permission, or not a file): make it "
            f"executable (chmod +x), reinstall the CLI, or set providers.{provider}.cli_command to the CLI itself"
        ) from exc
    except OSError as exc:
        raise ProviderUnavailable(f"{provider} CLI could not start: {exc}", provider=provider) from exc


async def _run_started(
    process: Process, feed: InputPipe, stdin: bytes, *, provider: str, timeout: float,
    finished: Callable[[str], bool] | None, watch: LineWatch | None = None,
) -> CliRun:
    out, err = bytearray(), bytearray()
    answered_then_hung: list[bool] = []
    try:
        with anyio.move_on_after(timeout) as scope:
            async with anyio.create_task_group() as tg:
                drained = anyio.Event()
                watched = OutputWatch(watch, tg.cancel_scope)
                tg.start_soon(feed.write, stdin)
                tg.start_soon(drain_both, process, out, err, drained, tg.cancel_scope, watched)
                if finished is not None:
                    tg.start_soon(stop_when_answered, out, finished, tg.cancel_scope, answered_then_hung)
                await process.wait()
                # What the CLI started and left running (holding its stdout open, say) goes with it; output
                # already in the pipes is still read, but not output still held open by a process outside its
                # session: the answer is not kept waiting until the timeout.
                kill_session(process.pid)
                with anyio.move_on_after(AFTER_EXIT_SECONDS):
                    await drained.wait()
                tg.cancel_scope.cancel()
    finally:
        feed.close()
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                kill_session(process.pid)
                await process.wait()
            await process.aclose()
    # A CLI may print its result and then not exit (claude -p: anthropics/claude-code#21099), or be killed from
    # outside after it (#59390): what it printed is its answer, paid for, and a retry would pay again. Read as
    # if it had exited 0.
    printed = out.decode(errors="replace") if len(out) <= STDOUT_LIMIT else ""
    signal_number = -(process.returncode or 0)
    if printed and (scope.cancelled_caught or signal_number > 0) and finished is not None and finished(printed):
        how = (f"had not exited after {format_seconds(timeout)}" if scope.cancelled_caught
               else f"had not exited {format_seconds(AFTER_RESULT_SECONDS)} later, and was stopped"
               if answered_then_hung else f"was then killed by {_signal_name(signal_number)}")
        logger.warning("%s CLI printed its result but %s: its result kept", provider, how)
        return CliRun(0, printed, err.decode(errors="replace"))
    # Stopped as it said it could not reach its service; one that answered all the same (the lines read just as
    # it exited) has answered.
    if watched.said is not None and not (printed and finished is not None and finished(printed)):
        raise _unreachable(provider, watched.said, err.decode(errors="replace"))
    if scope.cancelled_caught:
        # The CLI had sent its turn to the model, as a rule: the provider answers and bills it all the same.
        raise CliTimedOut(f"{provider} CLI timed out after {format_seconds(timeout)} (execution.cli_timeout_seconds; "
                          "for longer agent runs raise it, and budget.reservation_ttl_seconds to twice it)",
                          provider=provider)
    if len(out) > STDOUT_LIMIT:
        raise ProviderUnavailable(
            f"{provider} CLI wrote more than {STDOUT_LIMIT // 2**20} MiB to stdout and was stopped", provider=provider
        )
    if signal_number > 0:  # a signal Switchboard did not send: its own stops are the three above
        said = tail(err.decode(errors="replace"))
        raise ProviderUnavailable(  # sent to the model as a rule, as a run that timed out: billed all the same
            f"{provider} CLI was killed by {_signal_name(signal_number)} before it printed its result (out of "
            f"memory, or stopped by another program){': ' + said if said else ''}", provider=provider,
            maybe_billed=True)
    return CliRun(process.returncode or 0, printed, err.decode(errors="replace"))


def _unreachable(provider: str, said: Unreachable, stderr: str) -> ProviderUnavailable:
    """The CLI said it cannot reach its service and was stopped rather than left retrying until the timeout: an
    outage as a refused connection is for an API adapter, free when no step of the run had reached the model."""
    logger.info("%s CLI stopped: it cannot reach its service (%s); stderr ends: %s", provider, said.reason,
                stderr[-300:])
    return ProviderUnavailable(
        f"{provider} CLI cannot reach its service ({said.reason}) and was stopped rather than left retrying: "
        "check this machine's network and proxy settings (the CLI's own, such as HTTPS_PROXY), or the "
        "provider's status page", provider=provider, maybe_billed=said.maybe_billed)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _missing_interpreter(executable: str, env: Mapping[str, str] | None) -> str | None:
    """The ``#!`` line of ``executable`` when the file exists, so ENOENT meant its interpreter (a script whose
    absolute interpreter path went with an uninstalled Node or Python version), else None."""
    path = executable if os.sep in executable else shutil.which(executable, path=(env or os.environ).get("PATH"))
    try:
        with open(path or executable, "rb") as file:
            first = file.readline(200)
    except OSError:
        return None
    return first[2:].decode(errors="replace").strip() or "?" if first.startswith(b"#!") else None


def _env_interpreter_missing(executable: str, run: CliRun, env: Mapping[str, str] | None) -> str | None:
    """The ``#!/usr/bin/env X`` line of a script whose X env could not find (it exits 127 and says so): an npm
    CLI run where its node is not on PATH. None for any other exit 127."""
    line = _missing_interpreter(executable, env)
    if line is None or os.path.basename(line.split()[0]) != "env" or "no such file" not in run.stderr.lower():
        return None
    return "#!" + line
