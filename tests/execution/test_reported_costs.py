"""What a call is recorded as costing when its backend reports the cost itself (the Claude CLI's total_cost_usd)."""

from __future__ import annotations

import math

import pytest

from router_core.budget_amounts import MAX_RECORDED_USD
from router_core.execution.plan import actual_cost
from router_core.providers.base import Completion


def reported(usd: float) -> Completion:
    return Completion(text="ok", provider="claude", model="m", input_tokens=10, output_tokens=5, cost_usd=usd,
                      rate_limit=None, backend="cli")


@pytest.mark.parametrize(("usd", "recorded"), [
    (0.0123456789, 0.012346), (-1.0, 0.0), (math.nan, 0.0),
    # An absurd figure was taken as it came: past what the ledger records at all, so settling the paid answer failed.
    (1e12, MAX_RECORDED_USD), (math.inf, MAX_RECORDED_USD),
])
def test_a_reported_cost_is_recorded_within_what_the_ledger_takes(settings, usd, recorded):
    assert actual_cost(settings.provider("claude"), "m", reported(usd)) == recorded
