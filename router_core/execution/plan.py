"""Per-provider request plans (model, output cap, what to reserve and pace) and the actual cost.

The budget reserves a task's cost at its output cap (``execution.max_output_tokens``, or less under what
remains of ``max_cost`` after what the task's earlier tries cost), so that a settled cost can never exceed its
reservation, concurrent tasks can never overspend together, and retries and fallbacks together never spend more
than ``max_cost``. When the cap does not fit what remains of the budget, the task may still run within its
estimate: the reservation is the estimate and the output cap shrinks to what it pays for. Pacing
counts the input plus the expected output, the figure the routing estimate uses.
A plan also carries what remains of ``max_cost`` for its try (``budget_usd``): a CLI that takes a spending
bound of its own (claude's --max-budget-usd) is given it, as it takes no output cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router_core.budget_amounts import MAX_RECORDED_USD
from router_core.budget_text import exact_money
from router_core.cost import USD_DECIMALS, CostEstimator, max_output_tokens_for_budget, request_cost
from router_core.models import Classification, CostEstimate
from router_core.providers.base import Completion
from router_core.settings import ModelPrice, ProviderSettings, Settings
from router_core.slot_init import slot_init


@slot_init
@dataclass(frozen=True, slots=True)
class RequestPlan:
    provider: str
    model: str
    input_tokens: int
    max_output_tokens: int  # sent to the provider
    estimate: CostEstimate  # the expected cost (expected output, within the cap)
    cap_usd: float  # the cost at the output cap: the reservation when it fits
    budget_usd: float | None = None  # what remains of max_cost for this try (None: no max_cost): a CLI's own bound

    @property
    def pace_tokens(self) -> int:
        return self.estimate.input_tokens + self.estimate.output_tokens

    def within(self, usd: float, provider: ProviderSettings) -> RequestPlan:
        """This plan with the output cap lowered to what ``usd`` pays for (used when the cap does not fit)."""
        cap = min(self.max_output_tokens, max_output_tokens_for_budget(provider, self.model, self.input_tokens, usd))
        return RequestPlan(self.provider, self.model, self.input_tokens, max(1, cap), self.estimate, usd,
                           self.budget_usd)


def plan_request(
    settings: Settings,
    costs: CostEstimator,
    provider: str,
    text: str,
    task_type: str,
    *,
    model: str | None = None,
    max_cost: float | None = None,
    spent: float = 0.0,
    system_prompt: str = "",
) -> RequestPlan | str:
    """The plan for running ``text`` on ``provider`` with ``system_prompt`` (the agent's: it is sent, and
    billed, with the task); a reason string if ``max_cost`` leaves no room. ``spent``: what the task's earlier
    tries cost (billed failures, here or on the providers before this one); ``max_cost`` bounds them all, so
    the output cap comes from what remains of it."""
    p = settings.provider(provider)
    price = p.model(model) if model else p.model_for(task_type)
    input_tokens = costs.input_tokens(text, system_prompt)
    cap = settings.execution.max_output_tokens
    left = None
    if max_cost is not None:
        left = round(max(0.0, max_cost - spent), USD_DECIMALS)
        affordable = max_output_tokens_for_budget(p, price.name, input_tokens, left)
        if affordable <= 0:
            least = request_cost(p, price, input_tokens, 1)
            # 6 significant digits: a max_cost of $0.00000001 printed as "$0.0000" read as no limit set at all.
            # Each a sentence: a task's refusals on its providers are said one after another.
            one_try = (f"the input and one output token on {provider} ({price.name}: {exact_money(least)} for "
                       f"~{input_tokens} input tokens and one output token)")
            if spent > 0:
                return (f"max_cost {exact_money(max_cost)} is used up: this task's earlier tries cost "
                        f"{exact_money(spent)} without an answer, leaving {exact_money(left)}, less than {one_try}, "
                        f"so {provider} was not called; raise max_cost to leave room for retries and fallbacks (at "
                        f"least {exact_money(round(spent + least, USD_DECIMALS))} for one more try on {provider}).")
            return (f"max_cost {exact_money(max_cost)} is below the cost of {one_try}; raise max_cost to at least "
                    f"{exact_money(least)}.")
        cap = min(cap, affordable)
    estimate = costs.estimate(provider, text, task_type, model=price.name, max_output_tokens=cap,
                              system_prompt=system_prompt, input_tokens=input_tokens)
    return RequestPlan(provider, price.name, input_tokens, cap, estimate, request_cost(p, price, input_tokens, cap),
                       left)


def chain_for(classification: Classification, first: str, *, fallback: bool) -> tuple[str, ...]:
    """``first``, then the classification's order (primary, fallbacks) without it; only ``first`` if not ``fallback``."""
    if not fallback:
        return (first,)
    order = [classification.primary_provider, *classification.fallback_chain]
    return (first, *(p for p in order if p != first))


def model_price(provider: ProviderSettings, reported: str, requested: str) -> ModelPrice:
    """The price of the model a provider reported (a dated snapshot matches its base name), else the requested one."""
    names: Sequence[ModelPrice] = provider.models
    for m in names:
        if m.name == reported:
            return m
    prefixed = [m for m in names if reported.startswith(m.name)]
    if prefixed:
        return max(prefixed, key=lambda m: len(m.name))
    return provider.model(requested)


def actual_cost(provider: ProviderSettings, requested_model: str, completion: Completion) -> float:
    """USD the call cost: the backend's own figure when it gives one, else tokens at the model's prices."""
    if completion.cost_usd is not None:  # (NaN and below 0: nothing; beyond what the ledger records: its most)
        return round(min(max(0.0, completion.cost_usd), MAX_RECORDED_USD), 6)
    price = model_price(provider, completion.model, requested_model).at(completion.input_tokens)
    cached = min(max(0, completion.cached_input_tokens), completion.input_tokens)
    cached_rate = price.cached_input_per_mtok if price.cached_input_per_mtok is not None else price.input_per_mtok
    usd = (
        (completion.input_tokens - cached) * price.input_per_mtok
        + cached * cached_rate
        + completion.output_tokens * price.output_per_mtok
    ) / 1_000_000 + provider.cost_per_request
    return round(usd, 6)
