"""Reading an API's answer (the HTTP adapters' ``_parse``): what is not a plain answer, and missing counts.

A refusal or a content-filter stop is ``refused`` (ProviderRefused: another provider may answer), an
answer cut at the token limit before any text is ``cut_before_text`` (ProviderRejected: only a larger cap
helps), and a token count the provider left out (or sent as null, negative or not finite) is estimated
from the text by ``Tally`` rather than failing a call that was answered and billed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from router_core.cost import estimate_tokens
from router_core.errors import ProviderRefused, ProviderRejected
from router_core.providers.base import Completion, CompletionRequest, user_text

logger = logging.getLogger(__name__)
_MAX_DETAIL = 300


def sent_input_tokens(request: CompletionRequest) -> int:
    """An estimate of the input tokens of ``request`` (its system prompt, context and task)."""
    return estimate_tokens(request.system_prompt + user_text(request))


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else {} (a field that is absent or null)."""
    return value if isinstance(value, dict) else {}


def token_count(value: Any) -> int | None:
    """A token count as reported, or None when it is absent, null, negative or not a finite number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return value if isinstance(value, int) else int(number)


@dataclass(slots=True)
class Tally:
    """Token counts from one usage block: the missing ones estimated, and a note of which they were.

    A 200 with no usage was still answered and billed: keeping the answer with estimated counts beats
    retrying it (which pays again).
    """

    provider: str
    request: CompletionRequest
    estimated: list[str] = field(default_factory=list)

    def required(self, name: str, value: Any, estimate: Callable[[], int]) -> int:
        count = token_count(value)
        if count is None:
            count = estimate()
            self.estimated.append(f"{name}={value!r}->~{count}")
        return count

    def input(self, name: str, value: Any) -> int:
        return self.required(name, value, lambda: sent_input_tokens(self.request))

    def output(self, name: str, value: Any, text: str) -> int:
        return self.required(name, value, lambda: estimate_tokens(text) if text else 0)

    @staticmethod
    def optional(value: Any) -> int:
        return token_count(value) or 0

    def flag(self) -> bool:
        """Whether any count was estimated (logged at info when one was)."""
        if self.estimated:
            logger.info("%s: usage missing from a 200 response, estimated from the text (%s)", self.provider,
                        ", ".join(self.estimated))
        return bool(self.estimated)


def refused(provider: str, detail: str, *, billed: Completion | None = None) -> ProviderRefused:
    """The model refused, or a content filter stopped the answer: no retry, but another provider may answer.
    ``billed``: the answer as charged (its tokens count against the budget)."""
    return ProviderRefused(f"{provider} refused to answer: {detail[:_MAX_DETAIL]}", provider=provider,
                           status_code=200, billed=billed)


def cut_before_text(
    provider: str, reason: str, limit: int | None, *, billed: Completion | None = None
) -> ProviderRejected:
    """The output-token limit ran out before any text (thinking, or a tool call, used it all).

    Retrying (or falling back under the same budget) pays again for the same cut; only a larger cap helps.
    """
    at = f" ({limit} tokens)" if limit else ""
    return ProviderRejected(
        f"{provider}: the answer was cut at max tokens{at} before any text ({reason}); raise max_cost or "
        "execution.max_output_tokens", provider=provider, status_code=200, billed=billed,
    )
