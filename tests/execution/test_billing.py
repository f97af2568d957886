"""What a call costs the budget when it does not end in a plain answer: every call the providers may bill is in
the ledger, and get_budget agrees with the audit log's actual costs."""

from __future__ import annotations

import pytest

from router_core.execution.dispatch import dispatch
from tests.execution.fakes import with_execution
from tests.execution.test_cli_backends import cli_executor
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
EXPLAIN_TASK = "Explain how the OAuth2 flow works"  # gemini first


async def test_a_cli_answer_that_reports_no_tokens_is_charged_at_an_estimate_not_free(settings, clock, client):
    # gemini -o json without "stats" (another version, a wrapper in cli_command): the run counted 0 tokens and
    # cost the budget only cost_per_request, however long the prompt and the answer.
    core, ex = cli_executor(settings, clock, client, FAKE_GEMINI_MODE="no_stats", FAKE_GEMINI_TEXT="x" * 4000)
    o = (await dispatch(core, ex, EXPLAIN_TASK, provider="gemini")).outcome
    assert (o.status, o.provider, o.backend) == ("success", "gemini", "cli")
    assert o.input_tokens > 0 and o.output_tokens == 1000
    gemini = next(p for p in core.budget().providers if p.provider == "gemini")
    assert gemini.spent == pytest.approx(o.cost_usd, abs=1e-6)
    assert o.cost_usd >= 1000 * 2.5 / 1_000_000  # the answer's 1,000 tokens at gemini-2.5-flash's output price


async def test_an_outage_probe_that_is_answered_is_spent_in_the_budget(settings, build_executor, fake, clock):
    # The probe's answer was dropped with its usage: a paid call (a whole Claude Code turn on the claude CLI)
    # that never reached the ledger, so get_budget read less than the providers billed.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3)  # opens the circuit
    await dispatch(core, ex, CODE_TASK)
    assert {p.provider: p.spent for p in core.budget().providers}["codex"] == 0
    clock.advance(settings.execution.outage_probe_interval_seconds)
    statements: list[str] = []  # a settled reservation's row goes (schema 16): its insert says whose it was
    core.db.connection().set_trace_callback(statements.append)
    try:
        assert await ex.probe_due() == ["codex"]
    finally:
        core.db.connection().set_trace_callback(None)
    assert fake.stats("codex").requests == 4
    codex = {p.provider: p.spent for p in core.budget().providers}["codex"]
    assert codex > 0
    probes = {s.split("'")[1] for s in statements
              if s.startswith("INSERT INTO budget_reservations") and "'outage probe of codex'" in s}
    rows = core.db.query("SELECT reservation_id, micro_usd FROM budget_spend WHERE provider = 'codex'"
                         " AND note = 'settled'")
    assert [(rid, micro / 1e6) for rid, micro in rows] == [(probe, codex) for probe in probes]
    assert core.budget().reserved == 0


async def test_a_cli_killed_at_its_timeout_is_charged_at_its_estimate(settings, clock, client):
    # The CLI had sent its turn to the model; the provider answers and bills it after we stop waiting.
    s = with_execution(settings, cli_timeout_seconds=0.3, max_retries=0)
    core, ex = cli_executor(s, clock, client, FAKE_GEMINI_LATENCY="600")
    o = (await dispatch(core, ex, EXPLAIN_TASK, provider="gemini")).outcome
    gemini = [a for a in o.attempts if a.provider == "gemini"]
    assert gemini and "timed out" in gemini[0].error and gemini[0].cost_usd > 0
    spent = next(p for p in core.budget().providers if p.provider == "gemini").spent
    assert spent == pytest.approx(gemini[0].cost_usd, abs=1e-6)


# A Responses body with status "failed" whose usage reports tokens: the model ran, then failed, and OpenAI bills them.
FAILED_USAGE = {"input_tokens": 2000, "input_tokens_details": {"cached_tokens": 300}, "output_tokens": 120,
                "output_tokens_details": {"reasoning_tokens": 120}, "total_tokens": 2120}
# At gpt-5.1-codex's prices (config/default.toml): $1.25 input, $0.125 cached input, $10 output a Mtok, $0.00001 a call.
FAILED_COST = round((1700 * 1.25 + 300 * 0.125 + 120 * 10.0) / 1_000_000 + 0.00001, 6)
FAILED = "The model failed to generate a response."


async def test_a_failed_response_with_usage_is_charged_what_it_billed_and_then_retried(settings, build_executor, fake):
    # Its usage was dropped: the retry's answer was all the budget, the audit line and the pace window saw, though
    # OpenAI billed both calls ("budgets faked").
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.failed("server_error", FAILED, usage=FAILED_USAGE)])
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [(a.outcome, a.cost_usd) for a in o.attempts][:1] == [("unavailable", FAILED_COST)]
    assert o.cost_usd == pytest.approx(FAILED_COST + o.attempts[1].cost_usd, abs=1e-6)
    codex = {p.provider: p.spent for p in core.budget().providers}["codex"]
    assert codex == pytest.approx(o.cost_usd, abs=1e-6) and core.budget().reserved == 0
    metrics = r.audit["execution_metrics"]
    assert metrics["attempts"][0]["cost_usd"] == FAILED_COST
    assert metrics["cost_actual_usd"] == pytest.approx(o.cost_usd, abs=1e-6)
    paced = [row[0] for row in core.db.query("SELECT tokens FROM usage_events WHERE provider = 'codex' ORDER BY rowid")]
    assert paced[0] == 2120 and len(paced) == 2


async def test_a_failed_response_with_usage_that_falls_back_stays_charged(settings, build_executor, fake):
    # A quota refusal with usage: the task goes to gemini, and codex's bill stays in codex's budget.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.failed("insufficient_quota", "You exceeded your current quota.", usage=FAILED_USAGE)])
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert [(a.provider, a.outcome, a.cost_usd) for a in o.attempts][:1] == [("codex", "quota_exhausted", FAILED_COST)]
    spent = {p.provider: p.spent for p in core.budget().providers}
    assert spent["codex"] == pytest.approx(FAILED_COST, abs=1e-6)
    assert core.budget().spent == pytest.approx(o.cost_usd, abs=1e-6) and core.budget().reserved == 0
    assert r.audit["execution_metrics"]["attempts"][0]["cost_usd"] == FAILED_COST


async def test_a_failed_response_without_usage_is_not_charged(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.failed("server_error", FAILED)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert [(a.outcome, a.cost_usd) for a in o.attempts] == [("unavailable", 0.0), ("success", o.cost_usd)]


async def test_token_counts_a_cli_did_not_report_are_marked_estimated_in_the_result(settings, clock, client):
    # They were given as "tokens" and "cost_actual" like reported ones (seen by hand over MCP: dispatch_agent on a
    # gemini CLI that printed no stats returned tokens 61/26 and nothing saying they were guesses from the text).
    from tools.batch_schemas import dispatch_record

    core, ex = cli_executor(settings, clock, client, FAKE_GEMINI_MODE="no_stats")
    guessed = await dispatch(core, ex, EXPLAIN_TASK, provider="gemini")
    assert guessed.outcome.tokens_estimated
    assert dispatch_record(guessed.decision, guessed.outcome)["tokens_estimated"] is True
    reported = await dispatch(core, ex, EXPLAIN_TASK, provider="claude")  # claude -p reports its usage
    assert reported.outcome.status == "success" and not reported.outcome.tokens_estimated
    assert "tokens_estimated" not in dispatch_record(reported.decision, reported.outcome)  # left out at its default
