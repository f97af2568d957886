"""A task's max_cost bounds what all its tries cost together: a retry after a billed failure, and a fallback after
one, get their output cap from what remains of it, and no provider is called when what remains cannot pay for the
input and one output token."""

from __future__ import annotations

import pytest

from router_core.execution.dispatch import dispatch
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
AS_LONG_AS_ALLOWED = Fault.ok(output_tokens=100_000)  # answered at whatever cap was sent


def caps(fake, provider: str) -> list[int]:
    """The output cap each request to ``provider`` sent (codex: Responses; gemini: generateContent)."""
    return [r.json["max_output_tokens"] if provider == "codex" else r.json["generationConfig"]["maxOutputTokens"]
            for r in fake.requests(provider)]


def settled(core, outcome) -> None:
    """The ledger holds what the task's tries cost, and nothing is left reserved."""
    budget = core.budget()
    assert budget.spent == pytest.approx(outcome.cost_usd, abs=1e-6) and budget.reserved == 0


async def test_retries_after_billed_failures_spend_within_max_cost(settings, build_executor, fake):
    # Two answers that could not be read (billed at the estimate, $0.0153 each), then an answer at the cap: each
    # try's cap came from the whole $0.05, so the third could cost $0.05 on its own and the task $0.08.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed(), Fault.malformed(), AS_LONG_AS_ALLOWED])
    o = (await dispatch(core, ex, CODE_TASK, provider="codex", max_cost=0.05)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [a.outcome for a in o.attempts] == ["unavailable", "unavailable", "success"]
    billed = sum(a.cost_usd for a in o.attempts[:2])
    assert billed > 0.03
    first, second, third = caps(fake, "codex")
    assert first > second > third  # each from what the billed tries before it left
    assert o.cost_usd <= 0.05 and o.attempts[2].cost_usd <= 0.05 - billed + 1e-6
    settled(core, o)


async def test_a_fallback_after_a_billed_failure_gets_what_remains(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed(), Fault.quota()])  # billed at its estimate, then falls back
    fake.script("gemini", [AS_LONG_AS_ALLOWED])
    o = (await dispatch(core, ex, CODE_TASK, max_cost=0.03)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert o.attempts[0].cost_usd > 0.015
    assert caps(fake, "gemini")[0] < settings.execution.max_output_tokens  # the whole $0.03 paid for all 8192
    assert o.cost_usd <= 0.03
    settled(core, o)


async def test_no_call_when_what_remains_of_max_cost_cannot_pay_for_a_try(settings, build_executor, fake):
    # $0.002 pays for one try at a 172-token cap ($0.00199); billed at that, $0.000008 is left: the retry went out
    # all the same, at the same cap, and the task cost twice its max_cost.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed(), AS_LONG_AS_ALLOWED])
    o = (await dispatch(core, ex, CODE_TASK, provider="codex", max_cost=0.002)).outcome
    assert fake.stats("codex").requests == 1
    assert o.status == "budget_exceeded"
    assert [a.outcome for a in o.attempts] == ["unavailable", "budget_exceeded"]
    assert o.error == o.attempts[1].error, o.error
    assert o.error.startswith("max_cost $0.002 is used up: this task's earlier tries cost $0.001992 without an "
                              "answer, leaving $0.000008, less than the input and one output token on codex")
    assert "not called" in o.error and "raise max_cost" in o.error
    assert o.cost_usd == pytest.approx(0.001992)
    settled(core, o)


async def test_no_fallback_is_called_when_what_remains_pays_for_none(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed(), AS_LONG_AS_ALLOWED])
    o = (await dispatch(core, ex, CODE_TASK, max_cost=0.002)).outcome
    assert [fake.stats(p).requests for p in ("codex", "gemini", "claude")] == [1, 0, 0]
    assert o.status == "budget_exceeded" and o.error.startswith("max_cost $0.002 is used up")
    assert [(a.provider, a.outcome) for a in o.attempts] == [
        ("codex", "unavailable"), ("codex", "budget_exceeded"), ("gemini", "budget_exceeded"),
        ("claude", "budget_exceeded")]
    settled(core, o)
