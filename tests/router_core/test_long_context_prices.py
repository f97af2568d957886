"""Long-context price tiers (provider-apis.md 1.8, 3.8): gpt-5.4 bills a request of more than 272k input tokens at
5.00 / 0.50 / 22.50 instead of 2.50 / 0.25 / 15.00, gemini-2.5-pro one of more than 200k at 2.50 / 0.25 / 15.00
instead of 1.25 / 0.125 / 10.00, for the whole request. Before, every request was priced at the short tier:
a long one was recorded at half (or two thirds) of what it cost, and the budget let through twice as much."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from router_core.cost import max_output_tokens_for_budget, request_cost
from router_core.execution.plan import actual_cost
from router_core.providers.base import Completion


def answer(model: str, input_tokens: int, cached: int, output_tokens: int) -> Completion:
    return Completion(text="ok", provider="p", model=model, input_tokens=input_tokens, output_tokens=output_tokens,
                      cost_usd=None, rate_limit=None, backend="api", cached_input_tokens=cached)


@pytest.fixture
def settings(tmp_path, env):
    return load_settings(environ=env, cwd=tmp_path)


@pytest.mark.parametrize(("provider", "model", "rates", "above"), [
    ("codex", "gpt-5.4", (5.0, 0.5, 22.5), 272_000),
    ("gemini", "gemini-2.5-pro", (2.5, 0.25, 15.0), 200_000),
])
def test_a_request_over_the_threshold_is_billed_at_the_long_context_prices(settings, provider, model, rates, above):
    p = settings.provider(provider)
    inp, cached_rate, out = rates
    tokens = above + 28_000
    usd = actual_cost(p, model, answer(f"{model}-2026-03-05", tokens, 10_000, 2_000))
    expected = ((tokens - 10_000) * inp + 10_000 * cached_rate + 2_000 * out) / 1_000_000 + p.cost_per_request
    assert usd == round(expected, 6)
    # at the threshold itself, the short tier
    short = p.model(model)
    at = actual_cost(p, model, answer(model, above, 0, 2_000))
    assert at == round((above * short.input_per_mtok + 2_000 * short.output_per_mtok) / 1e6 + p.cost_per_request, 6)


def test_the_estimate_and_the_output_cap_use_the_long_context_prices(settings):
    p = settings.provider("codex")
    price = p.model("gpt-5.4")
    assert request_cost(p, price, 300_000, 1_000) == round((300_000 * 5.0 + 1_000 * 22.5) / 1e6 + p.cost_per_request, 6)
    # $2 for 300k input tokens ($1.50 at the long tier) leaves $0.50 - per request for output at $22.50 / M
    cap = max_output_tokens_for_budget(p, "gpt-5.4", 300_000, 2.0)
    assert request_cost(p, price, 300_000, cap) <= 2.0 < request_cost(p, price, 300_000, cap + 1)
    assert 22_000 < cap < 22_300


def test_models_without_a_tier_are_unchanged(settings):
    p = settings.provider("codex")
    usd = actual_cost(p, "gpt-5.1-codex", answer("gpt-5.1-codex", 900_000, 0, 1_000))
    assert usd == round((900_000 * 1.25 + 1_000 * 10.0) / 1e6 + p.cost_per_request, 6)


@pytest.mark.parametrize("model", [
    'name = "m"\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\nlong_input_per_mtok = 2.0',
    'name = "m"\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\nlong_context_above = 1000\nlong_input_per_mtok = 2.0',
])
def test_a_tier_given_in_part_is_refused(tmp_path, env, model):
    user = Path(env["HOME"]) / ".config/switchboard/config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(f'[providers.codex]\ndefault_model = "m"\n[[providers.codex.models]]\n{model}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="long_"):
        load_settings(environ=env, cwd=tmp_path)
