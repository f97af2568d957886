"""The routing core's errors, translated once at each boundary.

    RouterError                 base; the message is written for the calling model or person
    ├── InvalidRequest          bad input from a tool or the CLI              retryable=False
    ├── BudgetExceeded          a reservation would overspend the ledger      retryable=False
    ├── NoAgentAvailable        every suitable agent is at its limit          retryable=True
    ├── NotConfigured           no backend to execute on (no key, no CLI)     retryable=False
    ├── StateUnusable           state database or audit dir cannot be used    retryable=False
    └── ProviderError           .provider; raised by adapters (issue 3)
        ├── RateLimited         429 with .retry_after                         retryable=True, fallback helps
        ├── QuotaExhausted      daily quota / spend cap / subscription window retryable=False, fallback helps
        ├── ProviderUnavailable 5xx, 529, timeouts, connect errors            retryable=True, fallback helps
        │   └── CliTimedOut     a CLI run (an agent's whole turn) hit cli_timeout retryable=False, fallback helps
        ├── AuthFailed          401/403                                       retryable=False, fallback helps
        └── ProviderRejected    other 4xx                                     retryable=False, fallback does not help
            ├── ProviderRefused the model refused, or a content filter stopped it retryable=False, fallback helps
            ├── ModelNotFound   the configured model is unknown to the provider retryable=False, fallback helps
            ├── EndpointNotFound  a 404 naming no model: the base URL is wrong  retryable=False, fallback helps
            ├── RequestTooLarge over the model's context window or request size retryable=False, fallback helps
            ├── PromptTooLongForCli  over what a CLI is given on stdin (8 MiB) retryable=False, fallback helps
            └── CliOutputUnreadable  a CLI exited 0 without a JSON result      retryable=False, fallback helps
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, ClassVar

from router_core.redact import scrubbed

if TYPE_CHECKING:
    from router_core.providers.base import Completion, RateLimitObservation


class RouterError(Exception):
    retryable: ClassVar[bool] = False
    fallback_helps: ClassVar[bool] = False

    def __init__(self, *args: object) -> None:
        # A message may quote a provider's error body, a proxy's page, a CLI's output or a URL, and goes to the
        # host (whose model's provider reads it), the logs and the audit: never with a key in it.
        super().__init__(*(scrubbed(a) if isinstance(a, str) else a for a in args))


class InvalidRequest(RouterError):
    pass


class BudgetExceeded(RouterError):
    def __init__(self, message: str, *, provider: str | None = None, needed: float = 0.0, remaining: float = 0.0,
                 held: bool = False):
        super().__init__(message)
        self.provider = provider
        self.needed = needed
        self.remaining = remaining
        # Refused only for money live reservations hold: the spend alone leaves room, and running tasks give back
        # what they do not use as they settle, so the task may wait for them (execution/budget_wait.py).
        self.held = held


class NoAgentAvailable(RouterError):
    retryable = True


class NotConfigured(RouterError):
    fallback_helps = True


class StateUnusable(RouterError):
    """The state database or audit directory cannot be opened: the message names the path and the fix."""

    @classmethod
    def directory(cls, what: str, path: object, exc: OSError) -> StateUnusable:
        """``path`` (the ``what``: "state directory", "audit directory") could not be created."""
        if isinstance(exc, FileExistsError):
            return cls(f"cannot create the {what} {path}: {exc.filename or path} exists and is not a directory; "
                       "move it aside and Switchboard will create the directory")
        detail = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
        return cls(f"cannot create the {what} {path} ({detail}); make sure every part of the path is a "
                   "writable directory, or set SWITCHBOARD_HOME to another state directory")


    @classmethod
    def unreadable(cls, what: str, path: object, exc: OSError) -> StateUnusable:
        """The ``what`` in ``path`` could not be read: ``exc`` is why (permissions, a file that is not one)."""
        detail = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
        return cls(f"cannot read the {what} in {path} ({detail}); make it readable by the user Switchboard runs "
                   "as, or set SWITCHBOARD_HOME to another state directory")

    @classmethod
    def unwritable(cls, what: str, path: object, exc: OSError) -> StateUnusable:
        """The ``what`` in ``path`` could not be written: ``exc`` is why (a full disk, permissions)."""
        if exc.errno == errno.ELOOP:  # opened with O_NOFOLLOW: someone put a symlink where a file was due
            return cls(f"cannot write the {what} in {path}: {exc.filename or 'a file there'} is a symbolic link, "
                       "which Switchboard never writes through (it may point at a file of yours); delete the link, "
                       "and check who can write to that directory")
        return cls(f"cannot write the {what} in {path} ({exc.strerror or exc}); free space there or make it "
                   "writable, or set SWITCHBOARD_HOME to another state directory (audit.enabled = false "
                   "turns the audit log off)")


class ProviderError(RouterError):
    def __init__(
        self, message: str, *, provider: str, status_code: int | None = None, billed: Completion | None = None
    ):
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        # An answer the provider charged for although it is none (a refusal, a cut before any text): its
        # tokens are spent and count against the budget.
        self.billed = billed
        # What the error response's rate-limit headers said (an OpenAI or Anthropic 429 carries them): the
        # organisation's real remaining capacity, read as a success's headers are. Set by the HTTP adapters.
        self.rate_limit: RateLimitObservation | None = None


class RateLimited(ProviderError):
    retryable = True
    fallback_helps = True

    def __init__(self, message: str, *, provider: str, retry_after: float | None = None, status_code: int | None = 429):
        super().__init__(message, provider=provider, status_code=status_code)
        self.retry_after = retry_after


class QuotaExhausted(ProviderError):
    fallback_helps = True

    def __init__(self, message: str, *, provider: str, resets_at: float | None = None, status_code: int | None = 429):
        super().__init__(message, provider=provider, status_code=status_code)
        self.resets_at = resets_at


class ProviderUnavailable(ProviderError):
    retryable = True
    fallback_helps = True

    def __init__(
        self, message: str, *, provider: str, status_code: int | None = None, billed: Completion | None = None,
        retry_after: float | None = None, maybe_billed: bool = False,
    ) -> None:
        super().__init__(message, provider=provider, status_code=status_code, billed=billed)
        self.retry_after = retry_after  # a 503's Retry-After: the provider's own word on when to come back
        # The request reached the provider and its answer was lost (a read timeout, the whole-call deadline, a
        # connection broken while reading, an answer we cannot read): the provider goes on answering it,
        # counts it against its limits and bills it.
        self.maybe_billed = maybe_billed


class CliTimedOut(ProviderUnavailable):
    """A CLI run, an agent's whole turn, killed at ``execution.cli_timeout_seconds``: the same turn started again
    would, as a rule, take as long (each try another ``cli_timeout_seconds``, charged at its estimate, after an agent
    that may have left half-done edits), so the task falls back at once. Not an outage's sign (an agent's turn may
    simply outlast the timeout): it does not count towards the outage circuit (execution/failures.py)."""

    retryable = False

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message, provider=provider, maybe_billed=True)


class AuthFailed(ProviderError):
    fallback_helps = True


class ProviderRejected(ProviderError):
    pass


class PromptTooLongForCli(ProviderRejected):
    """A CLI backend cannot be given the prompt (over cli.STDIN_LIMIT, the least the CLIs read from stdin): a
    provider on its API can still take it."""

    fallback_helps = True


class CliOutputUnreadable(ProviderRejected):
    """A CLI backend exited 0 but printed no JSON result (its command does not ask for JSON, or it prints in a
    form Switchboard does not know): running it again would spend the subscription for the same output."""

    fallback_helps = True


class ProviderRefused(ProviderRejected):
    """A refusal or a content-filter stop: asking again will not help, another provider's policy may."""

    fallback_helps = True


class ModelNotFound(ProviderRejected):
    """The provider does not know the model asked for (or the key may not use it): a configuration error that
    no retry fixes; the message names the setting to change, and another provider can take the task."""

    fallback_helps = True


class EndpointNotFound(ProviderRejected):
    """A 404 that names no model: nothing answers at the configured base URL (a proxy's path, a missing or
    doubled ``/v1``), for every task alike; the message names the setting, and another provider can take it."""

    fallback_helps = True


class RequestTooLarge(ProviderRejected):
    """The request is over what this provider takes (the model's context window, the request size limit, or
    the whole per-minute token limit): the same request fails again, another provider's model may fit it."""

    fallback_helps = True
