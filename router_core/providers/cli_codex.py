"""Codex CLI: ``codex exec --json [--skip-git-repo-check] [--model=MODEL] -`` (provider-apis.md 5.2).

Input: ``-`` as the prompt makes codex read all of stdin, verbatim, as the prompt (codex-rs/exec/src/cli.rs:
"If not provided as an argument (or if `-` is used), instructions are read from stdin. If stdin is piped and a
prompt is also provided, stdin is appended as a `<stdin>` block"; its read_prompt_from_stdin reads to the end,
decodes UTF-8 and refuses only blank input; mcp-sdk-and-clients.md 3.3). Checked with codex 0.169.0 against a
local Responses endpoint: a 288 KB prompt arrived as the user message byte for byte, nothing on stderr.

Assumed output: JSONL on stdout, one event per line (codex-rs/exec/src/exec_events.rs):
``{"type":"thread.started","thread_id":…}``, ``{"type":"turn.started"}``,
``{"type":"item.completed","item":{"type":"agent_message","text":"…"}}`` (the last one is the answer),
``{"type":"turn.completed","usage":{"input_tokens":N,"cached_input_tokens":N,"output_tokens":N}}``
(cached ⊂ input; a newer ``reasoning_output_tokens`` ⊂ output, as the Responses API's ``reasoning_tokens`` it is
copied from: codex's own ``blended_total`` is uncached input + output; no cost, no model name), and on failure ``{"type":"turn.failed","error":{"message":…}}`` or
``{"type":"error","message":…}``; a failure after a completed turn carries its tokens as the error's ``billed``.
An answer with exit 0 and no ``turn.completed`` (a cut stream, another codex version) stands, its counts
estimated from the text; one followed by a failed run is charged at the estimate (``maybe_billed``).
Failure messages (codex-rs/core/src/error.rs):
``"You've hit your usage limit. … Try again at 3:05 PM."`` -> QuotaExhausted(resets_at) (``"… Try again later."``:
resets_at None, the message says so, and execution holds codex for one outage probe interval);
``"Quota exceeded. Check your plan and billing details."`` -> QuotaExhausted;
``"exceeded retry limit, last status: 429 Too Many Requests…"`` -> RateLimited;
``"We're currently experiencing high demand…"``, ``"stream disconnected before completion: …"`` -> unavailable;
``"… ran out of room in the model's context window …"`` -> RequestTooLarge; ``"unexpected status 404 Not Found: …
Model not found …"`` or ``"The 'x' model is not supported …"`` -> ModelNotFound.

Offline (codex 0.169.0 in a sandbox with no network, an API key set; the lines in tests/fakes/bin/codex's
``offline`` mode): ``{"type":"error","message":"Reconnecting... 2/5 (stream disconnected before completion: failed
to lookup address information: …)"}`` up to 5/5 on its WebSocket, an item "Falling back from WebSockets to HTTPS
transport", then ``{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending
request)"}`` 19 s after the start, and again at 27, 40, 63, 106 s, … without end: a connection that fails is
not counted against its retries (core/src/responses_retry.rs). Left to it, the run took Switchboard's whole CLI
timeout and was charged as maybe billed. ``watch`` stops it at the second such line in a row (the first may be a
blip codex gets over): ProviderUnavailable, free unless a step of the turn had answered before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from router_core.errors import (
    AuthFailed,
    NotConfigured,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers.base import Completion
from router_core.providers.cli import CliDialect, CliRun, ParseContext, model_option
from router_core.providers.cli_pipes import MarkedWatch, Marker, Unreachable
from router_core.providers.cli_text import NO_RESET, codex_reset_at, count, field, json_lines, tail, text_of
from router_core.providers.errors import (
    content_filtered,
    is_content_filtered,
    is_context_overflow,
    is_unknown_model,
    model_not_found,
    request_too_large,
)
from router_core.providers.timeparse import format_epoch

_STATUS_429 = re.compile(r"\b429\b")
# codex exec outside a git repository without --skip-git-repo-check (a cli_command of the user's own): exit 1, this
# line alone on stderr, before any model call.
_UNTRUSTED = re.compile(r"not inside a trusted directory and --skip-git-repo-check was not specified", re.I)
_STATUS_AUTH = re.compile(r"\b40[13]\b")
WAITING_FOR_NETWORK = "reconnecting... waiting for network"
UNREACHABLE_AFTER = 2  # "waiting for network" lines in a row that stop the run
# What a reconnect says when the request never went out ("Reconnecting... 3/5 (stream disconnected before
# completion: failed to lookup address information: …)"); any other cause (a stream cut while answering) had
# reached the model.
_NOT_SENT = ("lookup address", "dns error", "connection refused", "error sending request", "failed to connect",
             "network is unreachable")
SIGN_IN = ("Sign codex in as the user Switchboard runs as (codex login), or give it an API key (CODEX_API_KEY in "
           "Switchboard's environment)")


def build_argv(base: Sequence[str], model: str, max_cost_usd: float | None = None) -> list[str]:
    """The argv. ``max_cost_usd`` has nowhere to go: codex 0.169.0 bounds neither a run's spend nor its output
    (no such flag in ``codex exec --help``; ``-c model_max_output_tokens=N`` is an unknown field under
    ``--strict-config``, and its Responses requests carry no ``max_output_tokens``), so max_cost holds for it
    after the fact, by the tokens it reports (README)."""
    argv = list(base)
    if model:
        argv.append(model_option(model))
    return [*argv, "-"]  # the prompt: read from stdin


def parse(run: CliRun, ctx: ParseContext) -> Completion:
    events = json_lines(run.stdout)
    answers = [
        text
        for e in events
        if e.get("type") == "item.completed" and field(e, "item").get("type") == "agent_message"
        and (text := text_of(e["item"].get("text"))) is not None
    ]
    usages = [e["usage"] for e in events if e.get("type") == "turn.completed" and isinstance(e.get("usage"), dict)]
    failures = [_event_message(e) for e in events if e.get("type") in ("turn.failed", "error")]
    used = Completion(
        text=answers[-1] if answers else "",
        provider=ctx.provider,
        model=ctx.model,
        input_tokens=sum(count(u.get("input_tokens")) for u in usages),
        output_tokens=sum(_output_tokens(u) for u in usages),
        cost_usd=None,
        rate_limit=None,
        backend="cli",
        cached_input_tokens=sum(count(u.get("cached_input_tokens")) for u in usages),
    )
    if answers and run.returncode == 0 and (usages or not failures):
        return used  # without a turn.completed (an older codex, a cut stream) the counts are estimated (cli.py)
    message = failures[-1] if failures else tail(run.stderr or run.stdout) or "no output"
    if not events and _UNTRUSTED.search(message):
        raise NotConfigured(
            f"{ctx.provider} CLI will not run in {ctx.cwd or 'this directory'}, which is not in a git repository "
            f"codex trusts (exit {run.returncode}): give providers.{ctx.provider}.cli_command "
            "--skip-git-repo-check, as the default does, or start Switchboard inside a trusted git repository. "
            f"Codex said: {tail(message)}")
    error = classify(message, run.returncode, ctx)
    if used.input_tokens or used.output_tokens:
        error.billed = used  # a turn completed (and was paid for) before the run failed
    elif answers and isinstance(error, ProviderUnavailable):
        error.maybe_billed = True  # the model answered, then the run failed: paid for, counts unknown
    raise error


def _output_tokens(usage: dict) -> int:
    """Output tokens billed for one turn: reasoning is part of ``output_tokens`` already, not added to it
    (a usage that left ``output_tokens`` out still bills at least its reasoning)."""
    return max(count(usage.get("output_tokens")), count(usage.get("reasoning_output_tokens")))


def classify(message: str, returncode: int, ctx: ParseContext) -> ProviderError:
    p, low = ctx.provider, message.lower()
    said = f"{p} CLI (exit {returncode}): {tail(message)}"
    if "usage limit" in low or "usage_limit_reached" in low:
        resets_at = codex_reset_at(message, ctx.now, ctx.tz)
        when = f"; resets at {format_epoch(resets_at)}" if resets_at else f", {NO_RESET}"
        return QuotaExhausted(f"{p} subscription limit reached{when}: {tail(message)}", provider=p,
                              resets_at=resets_at, status_code=None)
    if "quota exceeded" in low or "insufficient_quota" in low:
        return QuotaExhausted(f"{p} quota exhausted: {tail(message)}", provider=p, status_code=None)
    # A status is a number of its own: a request id ("request id: 8c4013be-…") may hold "401" or "429".
    if _STATUS_429.search(low) or "too many requests" in low or "rate limit" in low:
        return RateLimited(f"{p} rate limited: {tail(message)}", provider=p, status_code=None)
    if _STATUS_AUTH.search(low) or any(s in low for s in ("unauthorized", "log in", "login", "refresh token",
                                                          "upgrade to plus")):
        return AuthFailed(f"{p} CLI is not authorised: {tail(message).rstrip('.')}. {SIGN_IN}", provider=p)
    if "404 not found" in low or is_unknown_model(message):
        return model_not_found(p, ctx.model, f"CLI exit {returncode}: {tail(message)}")
    if is_context_overflow(message):  # "Codex ran out of room in the model's context window. …"
        return request_too_large(p, f"CLI exit {returncode}: {tail(message)}")
    if is_content_filtered(message):  # "Invalid prompt: your prompt was flagged as potentially violating …"
        return content_filtered(p, f"CLI exit {returncode}: {tail(message)}")
    if any(s in low for s in ("400 bad request", "invalid_request")):
        return ProviderRejected(said, provider=p)
    return ProviderUnavailable(said, provider=p)


def _event_message(event: dict) -> str:
    error = event.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(event.get("message") or error or "")


def finished(stdout: str) -> bool:
    """Whether the turn has ended (codex exec prints nothing after it)."""
    return any(e.get("type") in ("turn.completed", "turn.failed") for e in json_lines(stdout))


class _Watch:
    """One run's watch (cli.CliDialect.watch): codex says it cannot reach its service by repeating "waiting for
    network"; a step of the turn (an item other than an error) starts the count again."""

    def __init__(self) -> None:
        self.waits = 0
        self.reached = False  # a step of the turn reached the model (it may bill it)

    def __call__(self, stream: str, line: str) -> Unreachable | None:
        if stream != "out" or not line.startswith("{"):
            return None
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            return None
        kind = event.get("type") if isinstance(event, dict) else None
        if kind != "error":
            # An item is a step of the turn, save an error item ("Falling back from WebSockets to HTTPS …").
            if isinstance(kind, str) and kind.startswith("item.") and field(event, "item").get("type") != "error":
                self.reached, self.waits = True, 0
            return None
        message = _event_message(event)
        low = message.lower()
        if WAITING_FOR_NETWORK not in low:
            self.reached = self.reached or (low.startswith("reconnecting") and not any(s in low for s in _NOT_SENT))
            return None
        self.waits += 1
        if self.waits < UNREACHABLE_AFTER:
            return None
        return Unreachable(f"it said {tail(message, 120)!r} {self.waits} times in a row", maybe_billed=self.reached)


def _watch() -> MarkedWatch:
    """A _Watch, given only the lines that can be codex's JSON events: stdout's, holding a "{"."""
    return MarkedWatch(_Watch(), out=Marker(b"{"), err=None)


CODEX = CliDialect(build_argv=build_argv, parse=parse, finished=finished, watch=_watch)
