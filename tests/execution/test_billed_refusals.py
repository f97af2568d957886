"""A 200 that is no answer (a refusal, a content filter, a blocked prompt) after the provider read the prompt and
reported the tokens it bills: charged exactly that (budget, pace window, audit line), then the task falls back."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from router_core.execution.dispatch import dispatch
from tests.execution.test_cli_backends import cli_executor
from tests.fakes.fake_provider import Fault
from tests.fakes.fake_wire import WIRES

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex first
EXPLAIN_TASK = "Explain how the OAuth2 flow works"  # gemini first
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude first
WIRE = {"codex": "openai", "claude": "anthropic", "gemini": "gemini"}


def prompt_tokens(fake, provider: str) -> int:
    """The prompt's tokens as the fake counted them for the provider's first request (ceil(chars / 4))."""
    first = fake.requests(provider)[0]
    texts, _, _ = WIRES[WIRE[provider]].request_parts(first.path, first.json)
    return math.ceil(sum(len(t or "") for t in texts) / 4)


def priced(settings, provider: str, model: str, tokens_in: int, tokens_out: int) -> float:
    p = settings.provider(provider)
    price = next(m for m in p.models if m.name == model)
    return round((tokens_in * price.input_per_mtok + tokens_out * price.output_per_mtok) / 1_000_000
                 + p.cost_per_request, 6)


def spent(core, provider: str) -> float:
    return {p.provider: p.spent for p in core.budget().providers}[provider]


def paced(core, provider: str) -> list[int]:
    return [r[0] for r in core.db.query("SELECT tokens FROM usage_events WHERE provider = ? ORDER BY rowid",
                                        (provider,))]


async def test_a_blocked_prompt_is_charged_its_reported_prompt_tokens_then_falls_back(settings, build_executor, fake):
    # Gemini read the prompt, blocked it, and billed its promptTokenCount: the ledger, the pace window and the audit
    # line all said it cost nothing ("budgets faked").
    core, ex = build_executor(settings)
    fake.script("gemini", [Fault.blocked("PROHIBITED_CONTENT")])
    r = await dispatch(core, ex, EXPLAIN_TASK)
    o = r.outcome
    assert o.status == "success" and o.provider != "gemini"
    first = o.attempts[0]
    assert (first.provider, first.outcome) == ("gemini", "refused") and "PROHIBITED_CONTENT" in first.error
    tokens = prompt_tokens(fake, "gemini")
    cost = priced(settings, "gemini", first.model, tokens, 0)
    assert first.cost_usd == cost > 0
    assert spent(core, "gemini") == pytest.approx(cost, abs=1e-6) and core.budget().reserved == 0
    assert paced(core, "gemini") == [tokens]
    metrics = r.audit["execution_metrics"]
    assert (metrics["attempts"][0]["input_tokens"], metrics["attempts"][0]["output_tokens"],
            metrics["attempts"][0]["cost_usd"]) == (tokens, 0, cost)
    assert metrics["cost_actual_usd"] == pytest.approx(o.cost_usd, abs=1e-6)
    assert o.cost_usd == pytest.approx(cost + o.attempts[-1].cost_usd, abs=1e-6)
    assert fake.stats("gemini").requests == 1  # refused: not asked again


async def test_a_blocked_prompt_that_reports_no_usage_is_not_charged(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("gemini", [Fault.blocked("SAFETY", with_usage=False)])
    r = await dispatch(core, ex, EXPLAIN_TASK)
    first = r.outcome.attempts[0]
    assert (first.provider, first.outcome, first.cost_usd) == ("gemini", "refused", 0.0)
    assert spent(core, "gemini") == 0 and paced(core, "gemini") == [0]
    audited = r.audit["execution_metrics"]["attempts"][0]
    assert "cost_usd" not in audited and "input_tokens" not in audited


@pytest.mark.parametrize(("provider", "task", "fault", "said"), [
    ("gemini", EXPLAIN_TASK, Fault.refused("SAFETY", output_tokens=3), "finishReason SAFETY"),
    ("gemini", EXPLAIN_TASK, Fault.refused("RECITATION"), "finishReason RECITATION"),
    ("claude", DESIGN_TASK, Fault.refused("cyber", output_tokens=5), "declined by the safety system"),
    ("codex", CODE_TASK, Fault.refused(output_tokens=7), "content_filter"),
    ("codex", CODE_TASK, Fault.refused("refusal", output_tokens=9), "can't help with that"),
])
async def test_a_refusal_is_charged_and_audited_with_its_reported_tokens(settings, build_executor, fake, provider,
                                                                         task, fault, said):
    # The refusal's cost reached the ledger, but the audit line's attempt said nothing of the tokens it was for.
    core, ex = build_executor(settings)
    fake.script(provider, [fault])
    r = await dispatch(core, ex, task)
    o = r.outcome
    assert o.status == "success" and o.provider != provider
    first = o.attempts[0]
    assert (first.provider, first.outcome) == (provider, "refused") and said in first.error
    tokens_in, tokens_out = prompt_tokens(fake, provider), fault.output_tokens or 0
    cost = priced(settings, provider, first.model, tokens_in, tokens_out)
    assert first.cost_usd == cost and spent(core, provider) == pytest.approx(cost, abs=1e-6)
    assert paced(core, provider) == [tokens_in + tokens_out]
    audited = r.audit["execution_metrics"]["attempts"][0]
    assert (audited["input_tokens"], audited["output_tokens"], audited["cost_usd"]) == (tokens_in, tokens_out, cost)
    assert core.budget().reserved == 0


@pytest.mark.parametrize(("fault", "said"), [
    (Fault.refused(output_tokens=4), "finish_reason content_filter"),
    (Fault.refused("refusal", output_tokens=6), "can't help with that"),
])
async def test_a_chat_completions_refusal_is_charged_and_audited(settings, build_executor, fake, fault, said):
    chat = replace(settings, providers=tuple(replace(p, api_style="openai-chat") if p.name == "codex" else p
                                             for p in settings.providers))
    core, ex = build_executor(chat)
    fake.script("codex", [fault])
    r = await dispatch(core, ex, CODE_TASK)
    first = r.outcome.attempts[0]
    assert fake.requests("codex")[0].path.endswith("/chat/completions")
    assert (first.provider, first.outcome) == ("codex", "refused") and said in first.error
    tokens_in, tokens_out = prompt_tokens(fake, "codex"), fault.output_tokens
    cost = priced(settings, "codex", first.model, tokens_in, tokens_out)
    assert first.cost_usd == cost and spent(core, "codex") == pytest.approx(cost, abs=1e-6)
    assert paced(core, "codex") == [tokens_in + tokens_out]
    audited = r.audit["execution_metrics"]["attempts"][0]
    assert (audited["input_tokens"], audited["output_tokens"], audited["cost_usd"]) == (tokens_in, tokens_out, cost)


async def test_a_refusal_does_not_teach_pacing_that_tokens_run_under_the_estimate(settings, build_executor, fake):
    # A refusal bills the prompt and little or no answer: read as an answer's count it pulled the provider's learned
    # ratio (code and CJK text run 2-3x the estimate) down, and the next requests were paced on too few tokens.
    core, ex = build_executor(settings)
    with core.db.transaction() as conn:
        conn.execute("INSERT INTO execution_token_ratios (provider, ratio) VALUES ('claude', 3.0)")
    fake.script("claude", [Fault.refused()])
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert o.attempts[0].outcome == "refused" and o.attempts[0].cost_usd > 0
    assert core.db.query("SELECT ratio FROM execution_token_ratios WHERE provider = 'claude'")[0][0] == 3.0


async def test_a_cli_run_that_failed_after_paid_turns_is_audited_with_the_tokens_it_reported(settings, clock, client):
    # claude -p gave up (error_max_turns) after turns it reports tokens and a cost for: the cost was charged, but the
    # audit line's attempt did not say what for.
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="max_turns")
    r = await dispatch(core, ex, DESIGN_TASK)
    first = r.outcome.attempts[0]
    assert (first.provider, first.outcome) == ("claude", "rejected") and first.cost_usd > 0
    assert first.input_tokens > 0 and first.output_tokens > 0
    audited = r.audit["execution_metrics"]["attempts"][0]
    assert (audited["input_tokens"], audited["output_tokens"], audited["cost_usd"]) == (
        first.input_tokens, first.output_tokens, first.cost_usd)
    assert paced(core, "claude") == [first.input_tokens + first.output_tokens]
    assert spent(core, "claude") == pytest.approx(first.cost_usd, abs=1e-6)
