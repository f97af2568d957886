"""Claude Code: ``claude -p --output-format json [--model=MODEL]``, prompt on stdin (provider-apis.md 5.1).

Input: in print mode with stdin not a terminal, claude reads stdin to its end and puts it after a prompt
argument, on a line of its own (``[prompt, stdin].filter(Boolean).join(newline)``), so with no argument the
input is stdin alone. It refuses more than 10 MiB ("Error: piped stdin input exceeds 10MB"), and goes on
without stdin if none arrives within 3 s ("Warning: no stdin data received in 3s"). Read from the 2.1.197
binary, and checked with it against a local Messages endpoint: a 288 KB prompt arrived as the user turn byte
for byte.

Assumed output: one JSON object on stdout (for ``stream-json``, the last JSONL line is the same object):
``{"type":"result","subtype":"success","is_error":false,"result":"…","total_cost_usd":0.24,
"usage":{"input_tokens":N,"cache_creation_input_tokens":N,"cache_read_input_tokens":N,"output_tokens":N},
"modelUsage":{"<model>":{"costUSD":…}}}`` (older versions: ``cost_usd``). Input tokens = the three input
counts summed; the model is the ``modelUsage`` entry with the highest cost. Failures: ``is_error: true`` (often
with ``subtype: "success"``), ``api_error_status`` 429/529/401…, ``result`` holding the text, e.g.
``"You've hit your limit · resets 3pm (UTC)"``, ``"Weekly limit reached · resets 10am (Asia/Seoul)"`` (2.0.x)
or ``"Claude AI usage limit reached|<epoch>"``, or (2.1.x) ``"You're out of usage credits · resets 3pm (UTC)"`` ->
QuotaExhausted(resets_at) (none named: resets_at None, the message says so, and execution holds claude for one
outage probe interval); ``"API Error: 529 Overloaded…"`` -> unavailable; ``"Prompt is too long"`` ->
RequestTooLarge; a 404 ``"model: X"`` -> ModelNotFound; and a non-zero exit. A failure that
reports a cost or tokens (``error_max_turns`` after paid turns) carries them as the error's ``billed``.

A task with a max_cost runs with ``--max-budget-usd`` (build_argv). The run it stops ends, exit 1, with
``{"subtype":"error_max_budget_usd","is_error":true,"stop_reason":"end_turn","total_cost_usd":…,"modelUsage":…,
"errors":["Reached maximum budget ($0.01)"]}``: no ``result`` text, and ``usage`` all 0 (the counts are in
``modelUsage``). As an API answer cut at the output cap: the last answer's text (with ``--verbose`` the session's
messages come first) is the answer, marked truncated unless its turn ended (``end_turn``); with no text it is
ProviderRejected, billed (raise max_cost). Checked with 2.1.197 against a local Messages endpoint.

Offline (2.1.197 in a sandbox with no network, an API key set): nothing on stdout or stderr while it retries, then
after 185 s ``{"type":"result","subtype":"success","is_error":true,"result":"API Error: Unable to connect to API
(ConnectionRefused)","total_cost_usd":0,…}``, exit 1: ProviderUnavailable, not billed. With JSON output there is
nothing to watch before that (its retries show only in ``--output-format stream-json --verbose``, as ``api_retry``
events), so claude has no watch (cli.CliDialect.watch) and is left to give up by itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace

from router_core.budget_text import money
from router_core.errors import (
    AuthFailed,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers.base import Completion
from router_core.providers.cli import CliDialect, CliRun, ParseContext, model_option
from router_core.providers.cli_text import (
    NO_RESET,
    claude_reset_at,
    count,
    field,
    json_lines,
    load_json_object,
    tail,
    usd,
)
from router_core.providers.errors import (
    content_filtered,
    is_content_filtered,
    is_context_overflow,
    is_unknown_model,
    model_not_found,
    request_too_large,
)
from router_core.providers.timeparse import format_epoch

# Claude Code 2.0.x's subscription limits: "5-hour limit reached ∙ resets 2am", "Weekly limit reached · resets
# 10am (Asia/Seoul) · /upgrade to Max…", "Opus weekly limit reached ∙ resets Oct 6, 2pm" (often with a 429 status).
_LIMIT_RESETS = re.compile(r"limit reached\W+resets? ")
# Claude Code 2.1.x's refusals of a subscription's usage credits or allocation (its list of limit messages, read
# from the 2.1.197 binary): "You're out of usage credits · resets 3pm (UTC)", "Your org is out of usage · add
# funds to continue", "Your seat type doesn't include usage credits", "Your group's usage limit is set to $0"…
_OUT_OF_USAGE = ("out of usage", "out of extra usage", "doesn't include usage", "doesn't include extra usage",
                 "usage allocation has been disabled", "usage limit is set to $0", "disabled for your org",
                 "requires usage credits")

SIGN_IN = "Sign Claude Code in as the user Switchboard runs as (run claude, then /login)"


def build_argv(base: Sequence[str], model: str, max_cost_usd: float | None = None) -> list[str]:
    """The argv; with ``max_cost_usd`` (what remains of the task's max_cost), ``--max-budget-usd`` and ``--verbose``.

    The bound is Claude Code's own accounting, not Switchboard's estimate: its ``total_cost_usd``, which counts
    its own system prompt, tool definitions and tool use at its own prices. Claude Code checks it after each model
    call (2.1.197), so the call that reaches it is paid in full and a run may end past it by that call's cost: it
    stops an agent's run from going on, it does not shorten a call (Claude Code sets its own max_tokens).
    ``--verbose`` makes the output the session's messages, the result last, so that the text of a run the bound
    stopped comes back (the result object alone has none). Claude Code refuses an amount of 0 or less."""
    argv = list(base)
    if model:
        argv.append(model_option(model))
    if max_cost_usd is not None and max_cost_usd > 0:
        argv += ["--max-budget-usd", f"{max(max_cost_usd, 1e-6):.6f}".rstrip("0").rstrip(".")]
        if "--verbose" not in argv:
            argv.append("--verbose")
    return argv


def parse(run: CliRun, ctx: ParseContext) -> Completion:
    data = load_json_object(run.stdout)
    if data is None or data.get("type") != "result":
        results = [e for e in json_lines(run.stdout) if e.get("type") == "result"]
        data = results[-1] if results else None
    if data is None:
        raise classify(tail(run.stderr or run.stdout) or "no output", None, "", run.returncode, ctx)
    completion = _completion(data, ctx)
    if data.get("subtype") == "error_max_budget_usd":
        return _budget_reached(data, completion, run.stdout, ctx)
    if data.get("is_error") or run.returncode != 0:
        status = data.get("api_error_status")
        error = classify(str(data.get("result") or tail(run.stderr) or "no message"),
                         status if isinstance(status, int) else None, str(data.get("subtype") or ""),
                         run.returncode, ctx)
        if completion.cost_usd or completion.input_tokens or completion.output_tokens:
            error.billed = completion  # turns taken before it failed (error_max_turns…) were paid for
        raise error
    return completion


def _completion(data: dict, ctx: ParseContext) -> Completion:
    usage = field(data, "usage")
    model_usage = field(data, "modelUsage")
    if data.get("subtype") == "error_max_budget_usd" and not any(map(count, usage.values())):
        usage = _summed(model_usage)  # its usage is all 0: its counts are in modelUsage only
    cache_read = count(usage.get("cache_read_input_tokens"))
    model = max(model_usage, key=lambda m: usd(field(model_usage, m).get("costUSD")) or 0.0, default=ctx.model)
    cost = usd(data.get("total_cost_usd", data.get("cost_usd")))
    return Completion(
        text=str(data.get("result") or ""),
        provider=ctx.provider,
        model=model,
        input_tokens=count(usage.get("input_tokens")) + count(usage.get("cache_creation_input_tokens")) + cache_read,
        output_tokens=count(usage.get("output_tokens")),
        cost_usd=cost,
        rate_limit=None,
        backend="cli",
        cached_input_tokens=cache_read,
    )


def _summed(model_usage: dict) -> dict[str, int]:
    """``modelUsage`` (camelCase counts per model) summed into ``usage``'s names."""
    names = {"inputTokens": "input_tokens", "cacheCreationInputTokens": "cache_creation_input_tokens",
             "cacheReadInputTokens": "cache_read_input_tokens", "outputTokens": "output_tokens"}
    return {snake: sum(count(field(model_usage, m).get(camel)) for m in model_usage) for camel, snake in names.items()}


def _budget_reached(data: dict, completion: Completion, stdout: str, ctx: ParseContext) -> Completion:
    """Claude Code stopped the run at ``--max-budget-usd``: the last answer's text, marked truncated unless its
    turn had ended, else ProviderRejected carrying what the run cost."""
    stop_reason = str(data.get("stop_reason") or "")
    text = _last_answer_text(stdout)
    if text:
        return replace(completion, text=text, stop_reason=stop_reason, truncated=stop_reason != "end_turn")
    said = "; ".join(str(e) for e in data.get("errors") or [] if e) or "error_max_budget_usd"
    spent = money(completion.cost_usd) if completion.cost_usd is not None else "an unreported amount"
    raise ProviderRejected(
        f"{ctx.provider} CLI stopped at max_cost before any answer text ({said}; {spent} by Claude Code's own "
        "accounting, its system prompt and tool use included): raise max_cost", provider=ctx.provider,
        billed=completion)


def _last_answer_text(stdout: str) -> str:
    """The text of the session's last assistant message (its content blocks may come as several messages with
    one id), from claude's verbose array or stream-json lines; "" when only the result was printed."""
    try:
        value = json.loads(stdout)
        messages = value if isinstance(value, list) else []
    except (ValueError, RecursionError):
        messages = json_lines(stdout)
    answers = [field(m, "message") for m in messages if isinstance(m, dict) and m.get("type") == "assistant"
               and m.get("parent_tool_use_id") is None]  # not a subagent's
    if not answers:
        return ""
    last = answers[-1].get("id")
    turn = [a for a in answers if last is not None and a.get("id") == last] or answers[-1:]
    return "".join(str(b.get("text") or "") for a in turn for b in a.get("content") or []
                   if isinstance(b, dict) and b.get("type") == "text")


def classify(message: str, status: int | None, subtype: str, returncode: int, ctx: ParseContext) -> ProviderError:
    p, low = ctx.provider, message.lower()
    if ("usage limit reached" in low or ("hit your" in low and "limit" in low) or _LIMIT_RESETS.search(low)
            or ("reached your" in low and "limit" in low) or any(s in low for s in _OUT_OF_USAGE)):
        resets_at = claude_reset_at(message, ctx.now, ctx.tz)
        when = f"; resets at {format_epoch(resets_at)}" if resets_at else f", {NO_RESET}"
        return QuotaExhausted(f"{p} subscription limit reached{when}: {tail(message)}", provider=p,
                              resets_at=resets_at, status_code=status)
    if "credit balance is too low" in low or "spend limit" in low:
        return QuotaExhausted(f"{p} quota exhausted: {tail(message)}", provider=p, status_code=status)
    if status == 429 or "rate limit" in low:
        return RateLimited(f"{p} rate limited: {tail(message)}", provider=p, status_code=status or 429)
    if status in (401, 403) or any(s in low for s in ("invalid api key", "/login", "oauth", "not logged in")):
        return AuthFailed(f"{p} CLI is not authorised: {tail(message).rstrip('.')}. {SIGN_IN}", provider=p,
                          status_code=status)
    if status == 404 or is_unknown_model(message):
        return model_not_found(p, ctx.model, f"CLI exit {returncode}: {tail(message)}", status)
    if status == 413 or is_context_overflow(message):
        return request_too_large(p, f"CLI exit {returncode}: {tail(message)}", status)
    if is_content_filtered(message):  # "API Error: 400 … Output blocked by content filtering policy"
        return content_filtered(p, f"CLI exit {returncode}: {tail(message)}", status)
    if subtype.startswith(("error_max_turns", "error_max_budget", "error_max_structured")) or status in (400, 413):
        return ProviderRejected(f"{p} CLI gave up ({subtype or status}): {tail(message)}", provider=p,
                                status_code=status)
    return ProviderUnavailable(f"{p} CLI failed (exit {returncode}, status {status}): {tail(message)}",
                               provider=p, status_code=status)


def finished(stdout: str) -> bool:
    """Whether claude's result object (its last output) is there."""
    data = load_json_object(stdout)
    return (data is not None and data.get("type") == "result") or any(
        e.get("type") == "result" for e in json_lines(stdout))


CLAUDE = CliDialect(build_argv=build_argv, parse=parse, finished=finished)
