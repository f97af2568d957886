"""dispatch: no backend, budget refusal and fallback, max_cost, parking with an ETA or waiting, route only."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from router_core.cost import max_output_tokens_for_budget
from router_core.errors import InvalidRequest
from router_core.execution.dispatch import WAIT_HINT, dispatch
from router_core.execution.executor import Job
from router_core.providers.timeparse import format_wait
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"


def with_budget(settings, total: float, **allocations: float):
    allocation = tuple((p, allocations.get(p, 0.0)) for p, _ in settings.budget.allocations)
    return replace(settings, budget=replace(settings.budget, daily_total=total, allocations=allocation))


async def test_no_backend_says_what_to_configure_and_keeps_the_routing(settings, build_executor, fake):
    core, ex = build_executor(settings, environ={})
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "not_configured"
    assert "OPENAI_API_KEY" in o.error and "ANTHROPIC_API_KEY" in o.error and "GEMINI_API_KEY" in o.error
    assert r.decision.provider == "codex" and r.decision.agent is not None
    assert core.leases.in_use() == {r.decision.agent.agent.id: 1}  # kept for the host to run it itself
    assert "cost_actual" not in r.audit["execution_metrics"]
    assert sum(fake.stats(p).requests for p in ("codex", "gemini", "claude")) == 0


async def test_budget_refusal_happens_before_any_call(settings, build_executor, fake):
    core, ex = build_executor(with_budget(settings, 0.001, codex=0.0003, gemini=0.0003, claude=0.0003))
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "budget_exceeded"
    first = r.decision.provider  # every provider is budget-blocked: the cheapest is routed, then the others
    # The day's $0.001 can't cover the task on any provider: that is said, not "choose another provider".
    # More than a whole day's budget, so waiting for the reset is not offered either.
    # Said once, each provider's estimate named (it was said three times, the estimates as "$0.0038" and "$0.02")
    assert first and o.error.startswith("This task is estimated at $0.0038 on gemini, $0.0153 on codex and $0.0232 on "
                                        "claude, more than the whole daily budget ($0.0010)")
    assert o.error.count("daily budget") == 1
    assert "another provider" not in o.error and "Wait for the reset" not in o.error
    assert [a.outcome for a in o.attempts] == ["budget_exceeded"] * 3
    assert sum(fake.stats(p).requests for p in ("codex", "gemini", "claude")) == 0
    assert core.budget().reserved == 0 and core.leases.in_use() == {}


async def test_a_refusal_by_every_providers_allocation_names_each_of_them(settings, build_executor, fake):
    # Every allocation nearly spent: the error named the first provider alone and said to choose another one,
    # though each of the others had been tried and refused too (their words only in the attempts).
    core, ex = build_executor(with_budget(settings, 2.0, codex=0.4, gemini=0.3, claude=0.3))
    for provider, allocation in (("codex", 0.4), ("gemini", 0.3), ("claude", 0.3)):
        core.ledger.record_spend(provider, allocation - 0.0001)
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "budget_exceeded" and [a.outcome for a in o.attempts] == ["budget_exceeded"] * 3
    for provider in ("codex", "gemini", "claude"):
        assert f"{provider} has $0.0001 of its" in o.error and f"budget.allocation.{provider}" in o.error
    assert sum(fake.stats(p).requests for p in ("codex", "gemini", "claude")) == 0


async def test_the_next_provider_in_the_chain_runs_when_it_fits(settings, build_executor, fake):
    core, ex = build_executor(with_budget(settings, 10.0, codex=0.0003, gemini=5.0, claude=4.0))
    c = core.classify(CODE_TASK)
    job = Job("t-1", CODE_TASK, c, ("codex", "gemini", "claude"))  # as if codex was routed before its budget went
    o = await ex.run(job)
    assert (o.status, o.provider) == ("success", "gemini")
    assert [a.outcome for a in o.attempts] == ["budget_exceeded", "success"]
    assert "codex's whole daily allocation ($0.0003)" in o.attempts[0].error
    assert fake.stats("codex").requests == 0


async def test_when_the_cap_does_not_fit_the_estimate_bounds_the_output(settings, build_executor, fake):
    # Enough for the estimate (~$0.015), not for the output cap (8192 tokens, ~$0.08).
    core, ex = build_executor(with_budget(settings, 0.06, codex=0.03, gemini=0.015, claude=0.015))
    r = await dispatch(core, ex, CODE_TASK)
    assert (r.outcome.status, r.outcome.provider) == ("success", "codex")
    sent = fake.last_request("codex").json["max_output_tokens"]
    expected = settings.expected_output_tokens("code_generation")
    assert expected <= sent < settings.execution.max_output_tokens


async def test_max_cost_bounds_the_output_tokens(settings, build_executor, fake):
    core, ex = build_executor(settings)
    r = await dispatch(core, ex, CODE_TASK, max_cost=0.002)
    o = r.outcome
    assert o.status == "success" and o.provider == "codex"
    codex = settings.provider("codex")
    bound = max_output_tokens_for_budget(codex, codex.default_model, core.costs.input_tokens(CODE_TASK), 0.002)
    assert fake.last_request("codex").json["max_output_tokens"] == bound
    assert o.cost_usd <= 0.002 and o.cost_estimate_usd <= 0.002


async def test_max_cost_holds_with_an_agent_whose_system_prompt_is_long(settings, build_executor, fake):
    # The plan counted 200 tokens for any system prompt; an agent file's may hold 16,000 (64 KiB). The output
    # cap was sized for the smaller input, so an answer at the cap cost half as much again as max_cost (and
    # more than its reservation, past what the budget had left).
    core, ex = build_executor(settings)
    prompt = "Follow the house style for every change you make. " * 800  # ~10,000 tokens
    job = Job("t-1", CODE_TASK, core.classify(CODE_TASK), ("codex",), system_prompt=prompt, max_cost=0.02)
    fake.script("codex", [Fault.ok(output_tokens=100_000)])  # as long as allowed
    o = await ex.run(job)
    assert (o.status, o.provider) == ("success", "codex")
    assert fake.last_request("codex").json["instructions"] == prompt
    assert o.cost_usd <= 0.02 and core.budget().spent <= 0.02


async def test_a_max_cost_below_the_input_is_refused_everywhere(settings, build_executor, fake):
    core, ex = build_executor(settings)
    o = (await dispatch(core, ex, CODE_TASK, max_cost=0.000001)).outcome
    assert o.status == "budget_exceeded" and "below the cost of the input" in o.error
    assert o.error.startswith("max_cost $0.000001 is below") and "raise max_cost to at least $0.000" in o.error
    with pytest.raises(InvalidRequest):
        await dispatch(core, ex, CODE_TASK, max_cost=-1)


def block_everything(core) -> None:
    for p in ("codex", "gemini", "claude"):
        limit = core.settings.provider(p).requests_per_minute
        core.record_usage(p, requests=limit, tokens=0, manual=True)  # valid for one window


async def test_all_blocked_returns_the_eta_without_calling(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    block_everything(core)
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "parked"
    assert o.resumes_at == clock.now() + settings.execution.rate_window_seconds
    assert "all providers blocked" in o.error and o.error.endswith("with wait=true (switchboard run --wait) to wait "
                                                                  "for capacity")
    assert r.audit["execution_metrics"]["resumes_at"] is not None
    assert sum(fake.stats(p).requests for p in ("codex", "gemini", "claude")) == 0
    assert core.leases.in_use() == {}


async def test_wait_parks_until_capacity_returns_then_runs(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    block_everything(core)
    start = clock.now()
    told = []
    o = (await dispatch(core, ex, CODE_TASK, wait=True, on_park=lambda *notice: told.append(notice))).outcome
    # Why it waits, not the parked result's advice to dispatch it again "or with wait=true": it is waiting
    [(_, _, why)] = told
    assert "all providers blocked" in why and "wait=true" not in why and "again" not in why
    assert o.status == "success"
    assert clock.now() >= start + settings.execution.rate_window_seconds
    assert o.parked_seconds >= settings.execution.rate_window_seconds  # it was 0: the wait before the run was lost
    assert fake.stats("codex").requests == 1


async def test_a_waiting_dispatch_awaits_its_park_notice_before_it_waits(settings, build_executor, fake, clock):
    # dispatch_agent's notice (a progress message telling the host why and how long) is a coroutine: not awaited,
    # the host heard nothing while the task waited (with the await removed, tests/execution and tests/tools passed).
    core, ex = build_executor(settings)
    block_everything(core)
    told = []

    async def on_park(task_id: str, seconds: float, why: str) -> None:
        told.append((clock.now(), seconds, fake.stats("codex").requests, why))

    start = clock.now()
    assert (await dispatch(core, ex, CODE_TASK, wait=True, on_park=on_park)).outcome.status == "success"
    assert [(at, sent) for at, _, sent, _ in told] == [(start, 0)], told  # told first, then it waited
    assert told[0][1] >= settings.execution.rate_window_seconds


async def test_a_requested_provider_at_its_limit_returns_its_eta_unless_asked_to_wait(settings, build_executor, fake,
                                                                                     clock):
    # It was sent to the pacer, which waited out the whole window in silence (60 s), wait=false or not.
    core, ex = build_executor(settings)
    core.record_usage("codex", requests=settings.provider("codex").requests_per_minute, tokens=0, manual=True)
    start = clock.now()
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    o = r.outcome
    assert (o.status, clock.now()) == ("parked", start)
    assert o.resumes_at == start + settings.execution.rate_window_seconds
    assert o.error.startswith("codex (requested) is blocked: requests_percent") and "wait=true" in o.error
    assert fake.stats("codex").requests == 0 and core.leases.in_use() == {}
    o = (await dispatch(core, ex, CODE_TASK, provider="codex", wait=True)).outcome
    assert o.status == "success" and o.parked_seconds >= settings.execution.rate_window_seconds
    assert fake.stats("codex").requests == 1 and fake.stats("gemini").requests == 0


async def test_route_only_leases_and_does_not_run(settings, build_executor, fake):
    core, ex = build_executor(settings)
    r = await dispatch(core, ex, CODE_TASK, execute=False)
    assert r.outcome.status == "routed"
    assert core.leases.in_use() == {r.decision.agent.agent.id: 1}
    assert "execution_metrics" not in r.audit and r.audit["event"] == "dispatch"
    assert fake.stats("codex").requests == 0


async def test_a_forced_provider_has_no_fallback(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("claude", [Fault.auth()])
    o = (await dispatch(core, ex, CODE_TASK, provider="claude")).outcome
    assert o.status == "failed" and o.fallback_path == ["claude"]
    assert "rejected the credentials" in o.error


async def test_a_paid_result_stands_when_the_audit_line_cannot_be_written(settings, build_executor, fake, caplog):
    core, ex = build_executor(settings)
    await dispatch(core, ex, CODE_TASK)
    audit_dir = core.audit.directory
    shutil.rmtree(audit_dir)
    audit_dir.write_text("a file where the audit directory was")  # no append can succeed now
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "success" and r.outcome.text  # before: an internal error, after paying
    assert fake.stats("codex").requests == 2 and core.budget().spent > 0
    assert "audit line not written" in caplog.text


async def test_an_answer_cut_at_the_token_limit_says_so(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.ok(text="def login(): ...", output_tokens=50_000)])  # more than max_cost allows
    r = await dispatch(core, ex, CODE_TASK, max_cost=0.002)
    assert (r.outcome.status, r.outcome.text, r.outcome.truncated) == ("success", "def login(): ...", True)
    assert r.audit["execution_metrics"]["truncated"] is True
    r = await dispatch(core, ex, CODE_TASK)
    assert not r.outcome.truncated and "truncated" not in r.audit["execution_metrics"]


async def test_an_answer_cut_before_any_text_is_charged_to_the_budget(settings, build_executor, fake):
    # The provider bills the tokens it spent (reasoning, say) though no text came back: they are spent.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.ok(text="", output_tokens=50_000)])
    r = await dispatch(core, ex, CODE_TASK, provider="codex", max_cost=0.002)
    o = r.outcome
    assert o.status == "rejected" and "cut at max tokens" in o.error
    assert o.cost_usd > 0 and o.attempts[0].cost_usd == o.cost_usd
    assert core.budget().spent == pytest.approx(o.cost_usd) and core.budget().reserved == 0
    assert r.audit["execution_metrics"]["cost_actual_usd"] == o.cost_usd
    assert r.audit["execution_metrics"]["attempts"][0]["cost_usd"] == o.cost_usd


async def test_a_task_every_provider_refused_with_429s_says_when_and_what_to_do(settings, build_executor, fake,
                                                                               clock):
    # Routing saw every provider free, then each answered 429 "retry after 10 minutes": the task came back parked
    # with "every provider is blocked (codex: rate_limited: ...; ...)" and no advice, where a task parked at
    # routing says when capacity returns and to dispatch it again then, or with wait=true.
    core, ex = build_executor(settings)
    for p in ("codex", "gemini", "claude"):
        fake.script(p, [Fault.rate_limited(retry_after=600)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "parked" and o.resumes_at is not None
    assert o.error.startswith("every provider is blocked (codex: rate limited (429)")
    assert o.error.endswith(f"; capacity returns in {format_wait(o.resumes_at - clock.now())}. {WAIT_HINT}")


async def test_a_task_only_answered_429_compares_no_estimate_with_its_nothing_charged(settings, build_executor, fake):
    # QA: a task parked after every try was answered 429 (nothing billed) said "$0.0157 under estimate", as if it
    # had run cheaply. An answered or charged task still compares.
    from tools.batch_schemas import dispatch_record

    core, ex = build_executor(settings)
    for p in ("codex", "gemini", "claude"):
        fake.script(p, [Fault.rate_limited(retry_after=600)])
    r = await dispatch(core, ex, CODE_TASK)
    assert r.outcome.status == "parked" and r.outcome.cost_usd == 0 and r.outcome.cost_estimate_usd > 0
    assert "cost_estimate_vs_actual" not in r.audit["execution_metrics"]
    assert r.audit["execution_metrics"]["cost_actual_usd"] == 0  # the figures stay, for the audit's readers
    assert "cost_estimate_vs_actual" not in dispatch_record(r.decision, r.outcome)
    # (an answered task compares: test_recovery_paths.py::test_the_answer_settles_usage_budget_and_releases_the_agent)


async def test_a_requested_provider_that_answers_429_says_when_and_what_to_do(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=600)])
    o = (await dispatch(core, ex, CODE_TASK, provider="codex")).outcome
    assert o.status == "parked" and o.error.startswith("codex is blocked (codex: rate limited (429)")
    assert o.error.endswith(f"{WAIT_HINT}, or without a provider to let the router choose one with capacity")


async def test_a_tiny_max_cost_refused_everywhere_reads_as_sentences_in_plain_dollars(settings, build_executor, fake):
    # It read "max_cost $1e-07 is below the cost of ... ($8.5e-05 for ~209 input tokens ...); raise max_cost to
    # at least $8.5e-05 max_cost $1e-07 is below ...": amounts in exponent notation, refusals run together.
    core, ex = build_executor(settings)
    o = (await dispatch(core, ex, CODE_TASK, max_cost=0.0000001)).outcome
    assert o.status == "budget_exceeded" and "e-0" not in o.error
    said = o.error.split(". ")
    assert len(said) == 3 and all(s.startswith("max_cost $0.0000001 is below the cost of") for s in said), said
    assert o.error.endswith(".") and "raise max_cost to at least $0.000" in said[0]
