"""Estimate what a task will cost on each provider, before it runs.

Input tokens come from the text length (``chars_per_token``) plus a fixed allowance for
the system prompt the agent adds; output tokens come from the expected output per task
type (``[output_tokens]`` in the configuration), optionally capped. The price is the
model's per-token price plus the provider's flat ``cost_per_request``.
"""

from __future__ import annotations

import math

from router_core.models import CostEstimate
from router_core.settings import ModelPrice, ProviderSettings, Settings

# Tokens an agent's system prompt adds to every request (2-4 sentences plus framing).
SYSTEM_PROMPT_TOKENS = 200
# Returned by max_output_tokens_for_budget when output is free, so any length fits.
UNLIMITED_OUTPUT_TOKENS = 2**31 - 1
USD_DECIMALS = 6


def estimate_tokens(text: str, chars_per_token: float = 4.0) -> int:
    """A rough token count for ``text``: characters / chars_per_token, rounded up, at least 1."""
    return max(1, math.ceil(len(text) / chars_per_token))


def request_cost(
    provider: ProviderSettings, model: ModelPrice, input_tokens: int, output_tokens: int
) -> float:
    """USD for one request, rounded to micro-dollars."""
    return round(model.cost(input_tokens, output_tokens) + provider.cost_per_request, USD_DECIMALS)


def max_output_tokens_for_budget(
    provider: ProviderSettings, model: str | None, input_tokens: int, max_cost: float
) -> int:
    """The largest output token count whose request cost is <= ``max_cost`` (0 if none fits)."""
    price = provider.model(model)
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

    def input_tokens(self, text: str) -> int:
        return estimate_tokens(text, self._settings.execution.chars_per_token) + SYSTEM_PROMPT_TOKENS

    def _plan(self, provider: str, task_type: str) -> tuple[ProviderSettings, ModelPrice, int]:
        plan = self._plans.get((provider, task_type))
        if plan is None:
            p = self._settings.provider(provider)
            plan = (p, p.model_for(task_type), self._settings.expected_output_tokens(task_type))
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
    ) -> CostEstimate:
        p, price, output = self._plan(provider, task_type)
        if model:
            price = p.model(model)
        if max_output_tokens is not None:
            output = min(output, max_output_tokens)
        input_tokens = self.input_tokens(text)
        return CostEstimate(
            provider=p.name,
            model=price.name,
            input_tokens=input_tokens,
            output_tokens=output,
            usd=request_cost(p, price, input_tokens, output),
        )

    def estimate_all(self, text: str, task_type: str) -> dict[str, CostEstimate]:
        return {name: self.estimate(name, text, task_type) for name in self._names}
