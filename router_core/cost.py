"""Estimate what a task will cost on each provider, before it runs.

Input tokens come from the text length (``chars_per_token``; CJK characters count more) plus a fixed allowance for
the system prompt the agent adds; output tokens come from the expected output per task
type (``[output_tokens]`` in the configuration), capped at ``execution.max_output_tokens``. The price is the
model's per-token price plus the provider's flat ``cost_per_request``.
"""

from __future__ import annotations

import math
import re

from router_core.models import CostEstimate
from router_core.settings import ModelPrice, ProviderSettings, Settings

# Tokens an agent's system prompt adds to every request (2-4 sentences plus framing).
SYSTEM_PROMPT_TOKENS = 200
# Returned by max_output_tokens_for_budget when output is free, so any length fits.
UNLIMITED_OUTPUT_TOKENS = 2**31 - 1
USD_DECIMALS = 6


# Chinese, Japanese and Korean characters (and full-width forms) take about a token each in every provider's
# tokenizer (o200k_base: 1.6-2.0 characters a token on such text, against 4-5 for English): counted at
# chars_per_token, a task in Chinese would reserve and pace a third of what it uses, and a parallel burst of
# them would draw 429s before the learned ratio (execution/token_ratio.py) caught up.
WIDE_CHARS_PER_TOKEN = 1.5
_WIDE = re.compile(
    "[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003ffff]"
)


def estimate_tokens(text: str, chars_per_token: float = 4.0) -> int:
    """A rough token count for ``text``: characters / chars_per_token, CJK characters / WIDE_CHARS_PER_TOKEN,
    rounded up, at least 1."""
    if text.isascii():  # most tasks: no scan
        return max(1, math.ceil(len(text) / chars_per_token))
    wide = len(_WIDE.findall(text))
    return max(1, math.ceil((len(text) - wide) / chars_per_token + wide / WIDE_CHARS_PER_TOKEN))


def request_cost(
    provider: ProviderSettings, model: ModelPrice, input_tokens: int, output_tokens: int
) -> float:
    """USD for one request, rounded to micro-dollars."""
    return round(model.cost(input_tokens, output_tokens) + provider.cost_per_request, USD_DECIMALS)


def max_output_tokens_for_budget(
    provider: ProviderSettings, model: str | None, input_tokens: int, max_cost: float
) -> int:
    """The largest output token count whose request cost is <= ``max_cost`` (0 if none fits)."""
    price = provider.model(model).at(input_tokens)  # a long input's tier prices its output too
    if request_cost(provider, price, input_tokens, 0) > max_cost:
        return 0
    if price.output_per_mtok <= 0:
        return UNLIMITED_OUTPUT_TOKENS
    left = max_cost - provider.cost_per_request - price.cost(input_tokens, 0)
    n = max(0, math.floor(left * 1_000_000 / price.output_per_mtok))
    # Float rounding can put the first guess one token either side of the boundary.
    while n > 0 and request_cost(provider, price, input_tokens, n) > max_cost:
        n -= 1
    while request_cost(provider, price, input_tokens, n + 1) <= max_cost:
        n += 1
    return n


class CostEstimator:
    """Cost estimates for one task on one or every configured provider."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._names = settings.provider_names
        # (provider, task type) -> (provider settings, its model for the type, expected output tokens):
        # read from the frozen settings once per process instead of searched on every estimate.
        self._plans: dict[tuple[str, str], tuple[ProviderSettings, ModelPrice, int]] = {}

    def input_tokens(self, text: str, system_prompt: str = "") -> int:
        """The task's tokens plus its system prompt's: ``system_prompt`` when known (an agent file may hold
        thousands of tokens), else the usual allowance."""
        per = self._settings.execution.chars_per_token
        system = max(SYSTEM_PROMPT_TOKENS, estimate_tokens(system_prompt, per)) if system_prompt else SYSTEM_PROMPT_TOKENS
        return estimate_tokens(text, per) + system

    def _plan(self, provider: str, task_type: str) -> tuple[ProviderSettings, ModelPrice, int]:
        plan = self._plans.get((provider, task_type))
        if plan is None:
            p = self._settings.provider(provider)
            # No request bills more output than the cap the executor sends (execution.max_output_tokens).
            output = min(self._settings.expected_output_tokens(task_type), self._settings.execution.max_output_tokens)
            plan = (p, p.model_for(task_type), output)
            self._plans[(provider, task_type)] = plan
        return plan

    def estimate(
        self,
        provider: str,
        text: str,
        task_type: str,
        *,
        model: str | None = None,
        max_output_tokens: int | None = None,
        system_prompt: str = "",
        input_tokens: int | None = None,
    ) -> CostEstimate:
        """``input_tokens``: ``self.input_tokens(text, system_prompt)``, when the caller counted them already (a
        request's plan does, for its output cap): counting scans the text and the system prompt again."""
        if input_tokens is None:
            input_tokens = self.input_tokens(text, system_prompt)
        return self._estimate(provider, task_type, input_tokens, model, max_output_tokens)

    def _estimate(
        self, provider: str, task_type: str, input_tokens: int, model: str | None = None,
        max_output_tokens: int | None = None,
    ) -> CostEstimate:
        p, price, output = self._plan(provider, task_type)
        if model:
            price = p.model(model)
        if max_output_tokens is not None:
            output = min(output, max_output_tokens)
        return CostEstimate(
            provider=p.name,
            model=price.name,
            input_tokens=input_tokens,
            output_tokens=output,
            usd=request_cost(p, price, input_tokens, output),
        )

    def seconds(self, cost: CostEstimate) -> tuple[int, int]:
        """How long the task may run, in seconds: its output tokens at the assumed generation speed, plus overhead."""
        base = cost.output_tokens / self._settings.execution.assumed_output_tokens_per_second + 2.0
        return (max(1, round(base * 0.75)), max(2, round(base * 1.5)))

    def estimate_all(self, text: str, task_type: str, *, max_cost: float | None = None) -> dict[str, CostEstimate]:
        """Each provider's estimate; with ``max_cost``, within the output cap it leaves (:meth:`capped_output`)."""
        input_tokens = self.input_tokens(text)  # the same on every provider: counted once
        return {name: self._estimate(name, task_type, input_tokens,
                                     max_output_tokens=self.capped_output(name, task_type, input_tokens, max_cost))
                for name in self._names}

    def capped_output(self, provider: str, task_type: str, input_tokens: int, max_cost: float | None) -> int | None:
        """The output cap a task's ``max_cost`` sets on ``provider``, as its first try is planned
        (execution/plan.py: the input, charged whatever the cap, and the output together within it); None without
        a max_cost, or with one that pays for no try there (the try is then refused, the estimate left as it is)."""
        if max_cost is None:
            return None
        p, price, _ = self._plan(provider, task_type)
        affordable = max_output_tokens_for_budget(p, price.name, input_tokens, round(max(0.0, max_cost), USD_DECIMALS))
        return affordable if affordable > 0 else None
