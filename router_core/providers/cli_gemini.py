"""Gemini CLI: ``gemini --output-format json [--model=MODEL]`` with the prompt on stdin (provider-apis.md 5.3).

Input: with stdin not a terminal gemini runs headless and reads stdin to its end as its input; a ``-p`` prompt
is "Appended to input on stdin (if any)" (its --help), after a blank line, so none is given
(packages/cli/src/gemini.tsx and utils/readStdin.ts in the 0.61.0 bundle: stdin beyond 8 MiB is cut off, and
none arriving within 500 ms of starting to read counts as none). Checked with gemini 0.61.0 against a local
generateContent endpoint: a 288 KB prompt arrived as the user turn byte for byte.

Assumed output: one JSON object (possibly pretty-printed) on stdout,
``{"session_id"?, "response": "…", "stats": {"models": {"<model>": {"tokens": {"prompt": N, "candidates": N,
"cached": N, "thoughts": N, …}}}}}`` (packages/core/src/output/types.ts). Input = ``prompt`` (cached included),
output = ``candidates + thoughts``, summed over models; the model is the one with the most tokens. On failure
``{"error": {"type": "<ErrorClass>", "message": "…", "code": N}}`` goes to stderr (or stdout) with exit 1;
exit 41 a sign-in problem (AuthFailed), 42 an input error, 53 a turn limit, 55 a folder the user has not trusted
(text on stderr; NotConfigured, saying how to trust it). "Your quota will reset after 2h36m24s" (a Google login's allowance) ->
QuotaExhausted(then) (a wait of 300 s or less: RateLimited); a quota of "limit: 0" (none at all for the model on
the account's tier) -> QuotaExhausted(no reset), as errors.py maps it; ``TerminalQuotaError`` / "exhausted your
daily quota" / a quota "per day" -> QuotaExhausted(the next midnight Pacific, when Gemini's daily quotas reset,
3.8); other ``RESOURCE_EXHAUSTED``/429 quota errors -> RateLimited (the wait from "Please retry in 36.4s", else from a quoted
``RetryInfo`` ``"retryDelay": "37s"``; none given: "no retry time given", held for the task's backoff); ``(Status:
NOT_FOUND)`` "models/X is not found" -> ModelNotFound; "No capacity available for model X on the server"
(MODEL_CAPACITY_EXHAUSTED, a TerminalQuotaError too) -> unavailable; "The input token count … exceeds" -> RequestTooLarge.

Offline (gemini 0.61.0 in a sandbox with no network, a key set; the lines in tests/fakes/bin/gemini's ``offline``
mode): nothing on stdout; on stderr ``Attempt 1 failed. Retrying with backoff... Error: exception TypeError: fetch
failed sending request`` (a stack after it), its model router's request 5 times over 75 s, then the turn's own
request 10 times, and its error (exit 1) after 286 s. A fetch that failed had no response (undici), so nothing was
answered: ``watch`` stops the run at a request's third such attempt (20 s in): ProviderUnavailable, not billed,
as gemini's own error at the end would be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from router_core.errors import (
    AuthFailed,
    NotConfigured,
    PromptTooLongForCli,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RouterError,
)
from router_core.providers.base import Completion
from router_core.providers.cli import CliDialect, CliRun, ParseContext, model_option
from router_core.providers.cli_pipes import MarkedWatch, Marker, Unreachable
from router_core.providers.cli_text import NO_RESET, count, field, load_json_object, tail
from router_core.providers.errors import (
    GEMINI_TERMINAL_DELAY_SECONDS,
    PACIFIC,
    has_no_quota,
    is_context_overflow,
    is_unknown_model,
    model_not_found,
    request_too_large,
)
from router_core.providers.timeparse import (
    format_epoch,
    format_seconds,
    next_midnight,
    parse_duration,
    retry_in,
)

# A Google error quoted whole in the CLI's message (an API key's 429: "[API Error: {\"error\":{…\"details\": [{…
# \"@type\": \"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"37s\"}]}}]"), escaped or not.
_RETRY_DELAY = re.compile(r"retryDelay\W{1,12}((?:\d+(?:\.\d+)?(?:ms|us|ns|h|m|s))+)")
# Code Assist (a Google login's allowance): "You have exhausted your capacity on this model. Your quota will reset
# after 2h36m24s." (hours may pass 24: "42h1m20s"), as a TerminalQuotaError's message or in an "[API Error: …]".
# A status or a sign-in request in the message's text, not a number or word inside a stack trace's paths
# ('chunk-JDPZ4CE3.js:429:12', '/oauth/login.js', 'loginWithGoogle').
_STATUS_429 = re.compile(r"(?<![\w.:/#-])429(?!\.?[\w:/-])")
_SIGN_IN = re.compile(r"(?<![\w./])log ?in(?!\.\w|[\w/])", re.I)
# FatalUntrustedWorkspaceError (0.61.0 bundle, folderTrustCheck): "Gemini CLI is not running in a trusted directory.
# To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust
# this directory in interactive mode. …", in red on stderr, not as JSON.
UNTRUSTED_FOLDER_EXIT = 55
AUTH_EXIT = 41  # FatalAuthenticationError, whatever its message ("Invalid auth method selected.", 0.61.0)
SIGN_IN = ("Sign gemini in as the user Switchboard runs as (run gemini once and choose how), or give it an API key "
           "(GEMINI_API_KEY in Switchboard's environment)")
_RESETS_AFTER = re.compile(r"reset after ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.I)


def build_argv(base: Sequence[str], model: str, max_cost_usd: float | None = None) -> list[str]:
    """The argv. ``max_cost_usd`` has nowhere to go: gemini 0.61.0 has no flag that bounds a run's spend or its
    output (``gemini --help``; an output cap exists only as a model config in its settings files), so max_cost
    holds for it after the fact, by the tokens it reports (README)."""
    argv = list(base)
    if argv and argv[-1] in ("-p", "--prompt"):
        argv.pop()  # a cli_command ending in -p expects the prompt after it: it comes on stdin instead
    if model:
        argv.append(model_option(model))
    return argv


def parse(run: CliRun, ctx: ParseContext) -> Completion:
    data = load_json_object(run.stdout) or {}
    answered = run.returncode == 0 and isinstance(data.get("response"), str)
    # stderr is read for the error only when there is no answer: it also carries what the CLI's tools and MCP
    # servers log, JSON lines with an "error" field among them.
    error = data.get("error") or (None if answered else (load_json_object(run.stderr) or {}).get("error"))
    if answered and not error:
        models = field(data, "stats", "models")
        tokens = {name: field(m, "tokens") for name, m in models.items()}
        main = max(tokens, key=lambda n: count(tokens[n].get("total")), default=ctx.model)
        return Completion(
            text=data["response"],
            provider=ctx.provider,
            model=main,
            input_tokens=sum(count(t.get("prompt")) for t in tokens.values()),
            output_tokens=sum(count(t.get("candidates")) + count(t.get("thoughts")) for t in tokens.values()),
            cost_usd=None,
            rate_limit=None,
            backend="cli",
            cached_input_tokens=sum(count(t.get("cached")) for t in tokens.values()),
        )
    if isinstance(error, dict):
        message = f"{error.get('type', '')}: {error.get('message', '')}".strip(": ")
    else:
        message = tail(run.stderr or run.stdout) or "no output"
    raise classify(message, run.returncode, ctx)


def classify(message: str, returncode: int, ctx: ParseContext) -> RouterError:
    p, low = ctx.provider, message.lower()
    if returncode == UNTRUSTED_FOLDER_EXIT or "not running in a trusted directory" in low:
        # Headless in a folder its user has not trusted, gemini stops before any model call (folder trust is on
        # by default): the same each time, a setting of the user's, not an outage to retry.
        return NotConfigured(
            f"{p} CLI will not run in {ctx.cwd or 'this directory'}, a folder Gemini CLI has not been told to "
            f"trust (exit {returncode}): trust it (run gemini there once), or set GEMINI_CLI_TRUST_WORKSPACE=true "
            f"in the environment Switchboard starts with, or set providers.{p}.backend "
            "(https://geminicli.com/docs/cli/trusted-folders/)")
    if "e2big" in low or "argument list too long" in low:
        # With a sandbox configured, gemini relaunches itself inside it with stdin as a --prompt argument
        # (bundle start_sandbox): over 128 KiB that is 'spawn E2BIG', not an outage
        # (checked first: its stack trace's line numbers could read as a 429).
        return PromptTooLongForCli(f"{p} CLI could not pass the prompt into its sandbox (over the 128 KiB a "
                                   f"command-line argument holds): {tail(message)}", provider=p)
    after = _RESETS_AFTER.search(message)
    wait = parse_duration(after.group(1)) if after else None
    if wait is not None and wait > GEMINI_TERMINAL_DELAY_SECONDS:  # as gemini-cli: a longer wait is terminal
        resets_at = ctx.now + wait
        return QuotaExhausted(f"{p} quota exhausted; resets at {format_epoch(resets_at)}: {tail(message)}",
                              provider=p, resets_at=resets_at, status_code=None)
    if wait is not None:
        return RateLimited(f"{p} rate limited: retry after {format_seconds(wait)}: {tail(message)}", provider=p,
                           retry_after=wait, status_code=None)
    if any(s in low for s in ("no capacity available", "model_capacity_exhausted", "model_capacity_exceeded")):
        # The server has no room for the model now (gemini-cli raises it as a TerminalQuotaError, and retries it
        # itself first): an overload, not the account's quota.
        return ProviderUnavailable(f"{p} CLI: the model is at capacity (exit {returncode}): {tail(message)}",
                                   provider=p)
    if has_no_quota(message):  # a quota of "limit: 0": none at all for the model on this tier
        return QuotaExhausted(f"{p} has no quota for this model on this account's tier (limit: 0), so retrying "
                              f"will not help; {NO_RESET}: {tail(message)}", provider=p, resets_at=None,
                              status_code=None)
    if "terminalquotaerror" in low or "daily quota" in low or "perday" in low or "per day" in low:
        resets_at = next_midnight(ctx.now, PACIFIC)
        return QuotaExhausted(f"{p} daily quota exhausted; resets at {format_epoch(resets_at)}: {tail(message)}",
                              provider=p, resets_at=resets_at, status_code=None)
    if "resource_exhausted" in low or "quota" in low or _STATUS_429.search(low) or "retryablequotaerror" in low:
        retry_after = retry_in(message)
        if retry_after is None and (delay := _RETRY_DELAY.search(message)):
            retry_after = parse_duration(delay.group(1))
        wait = f"retry after {format_seconds(retry_after)}" if retry_after is not None else "no retry time given"
        return RateLimited(f"{p} rate limited: {wait}: {tail(message)}", provider=p, retry_after=retry_after,
                           status_code=None)
    signed_out = any(s in low for s in ("api key not valid", "api_key_invalid", "authenticat", "gemini_api_key"))
    if signed_out or _SIGN_IN.search(low) or returncode == AUTH_EXIT:
        return AuthFailed(f"{p} CLI is not authorised: {tail(message).rstrip('.')}. {SIGN_IN}", provider=p)
    if "status: not_found" in low or is_unknown_model(message):
        return model_not_found(p, ctx.model, f"CLI exit {returncode}: {tail(message)}")
    if is_context_overflow(message):
        return request_too_large(p, f"CLI exit {returncode}: {tail(message)}")
    if returncode in (42, 53):
        return ProviderRejected(f"{p} CLI rejected the request (exit {returncode}): {tail(message)}", provider=p)
    return ProviderUnavailable(f"{p} CLI failed (exit {returncode}): {tail(message)}", provider=p)


def finished(stdout: str) -> bool:
    """Whether the one JSON object gemini prints at the end is there."""
    data = load_json_object(stdout) or {}
    return isinstance(data.get("response"), str) or "error" in data


# retryWithBackoff's line for a request that got no response ("Attempt 3 failed. Retrying with backoff... Error:
# exception TypeError: fetch failed sending request"); an HTTP error says "failed with status 503" instead.
_FETCH_FAILED = re.compile(r"\bAttempt (\d+) failed\. Retrying with backoff\.\.\..*\bfetch failed\b", re.I)
UNREACHABLE_ATTEMPT = 3  # a request's attempt whose failure to connect stops the run


def _watch() -> MarkedWatch:
    """One run's watch (cli.CliDialect.watch): the attempt count is gemini's own, per request. Only stderr's lines
    holding "attempt" (any case; no letter of it has a non-ASCII twin under re.I) can match _FETCH_FAILED."""
    def line(stream: str, text: str) -> Unreachable | None:
        match = _FETCH_FAILED.search(text) if stream == "err" else None
        if match is None or int(match.group(1)) < UNREACHABLE_ATTEMPT:
            return None
        return Unreachable(f"its request failed {match.group(1)} times in a row: {tail(text, 120)!r}")
    return MarkedWatch(line, out=None, err=Marker(b"attempt", ignore_case=True))


GEMINI = CliDialect(build_argv=build_argv, parse=parse, finished=finished, watch=_watch)
