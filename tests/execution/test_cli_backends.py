"""Execution on the coding CLIs (the fake ones in tests/fakes/bin): cost as reported, subscription limits as holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from router_core.execution.adapters import build_adapters
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.pacing import PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep, with_execution, with_limits

FAKE_BIN = Path(__file__).resolve().parents[1] / "fakes" / "bin"
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude, then codex


def cli_executor(settings, clock, client, **fake_env: str):
    core = make_core(settings, clock)
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "TZ": "UTC", **fake_env}
    adapters = build_adapters(settings, client=client, clock=clock, environ=environ,
                              which=lambda name: str(FAKE_BIN / name) if (FAKE_BIN / name).exists() else None)
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)


async def test_a_cli_run_has_the_cli_timeout_not_an_api_calls(settings, clock, client):
    # An agent's turn on a CLI takes minutes: at the API call's timeout it was killed, charged at its estimate,
    # retried (charged again) and counted towards an outage.
    s = with_execution(settings, request_timeout_seconds=0.3, cli_timeout_seconds=30.0, max_retries=0)
    core, ex = cli_executor(s, clock, client, FAKE_GEMINI_LATENCY="1")
    o = (await dispatch(core, ex, "Explain how the OAuth2 flow works", provider="gemini")).outcome
    assert (o.status, o.provider, o.backend) == ("success", "gemini", "cli"), o.error
    assert [a.provider for a in o.attempts] == ["gemini"]


async def test_a_cli_backend_runs_the_task_and_its_reported_cost_is_the_cost(settings, clock, client):
    core, ex = cli_executor(settings, clock, client)
    assert ex.backend("claude") == "cli"
    r = await dispatch(core, ex, DESIGN_TASK)
    o = r.outcome
    assert (o.status, o.provider, o.backend) == ("success", "claude", "cli")
    assert o.text.startswith("claude fake answer to:")
    assert o.cost_usd > 0 and core.budget().spent == o.cost_usd  # claude -p reports total_cost_usd
    assert r.audit["execution_metrics"]["backend"] == "cli"


async def test_an_exhausted_subscription_window_is_held_until_its_reset(settings, clock, client):
    reset = clock.now() + 2 * 3600
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="usage_limit",
                            FAKE_CLAUDE_LIMIT_STYLE="epoch", FAKE_CLI_RESET_EPOCH=str(reset))
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "quota_exhausted"), ("codex", "success")]
    claude = core.capacity().availability["claude"]
    assert not claude.available and claude.blocks[0].lifts_at == reset
    assert claude.blocks[0].reason.startswith("quota exhausted")


async def test_a_claude_run_that_gave_up_after_paid_turns_counts_its_cost(settings, clock, client):
    # Its total_cost_usd was dropped with the error: the money was spent but never reached the budget.
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="max_turns")
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    first = o.attempts[0]
    assert (first.provider, first.outcome) == ("claude", "rejected")
    assert first.cost_usd > 0
    claude = next(p for p in core.budget().providers if p.provider == "claude")
    assert (claude.spent, claude.reserved) == (first.cost_usd, 0.0)


async def test_a_task_with_more_context_than_a_command_line_holds_runs_on_its_cli(settings, clock, client,
                                                                                   tmp_path):
    # The prompt was one argument, at most 128 KiB on Linux: with a host's files as context the task was
    # rejected by every CLI, and a user with only CLI subscriptions could not run it at all.
    record = tmp_path / "runs.jsonl"
    core, ex = cli_executor(settings, clock, client, FAKE_CLI_RECORD=str(record))
    context = "def handler(event):\n    return event\n" * 8000  # 304 KiB of source
    o = (await dispatch(core, ex, DESIGN_TASK, context=context)).outcome
    assert (o.status, o.provider) == ("success", "claude")
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "success")]
    (run,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert run["prompt"].endswith(f"<context>\n{context}\n</context>\n\n{DESIGN_TASK}")


async def test_a_cli_that_prints_no_json_is_run_once_and_the_next_provider_takes_the_task(settings, clock, client):
    # A cli_command without --json / --output-format json: each retry ran the subscription CLI again for the
    # same unreadable output, and the error did not say what to change.
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="garbage")
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "rejected"), ("codex", "success")]
    assert "providers.claude.cli_command must ask for JSON output" in o.attempts[0].error
    assert "this is not JSON" in o.attempts[0].error


async def test_a_claude_weekly_limit_in_its_2_0_phrasing_is_held_until_its_reset(settings, clock, client):
    # "Weekly limit reached · resets 3pm (UTC) · …" with a 429: before, a rate limit retried three times with
    # backoff (four claude runs) and held for seconds.
    reset = (int(clock.now()) // 60 + 150) * 60  # a whole minute, as the CLI prints it
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="usage_limit",
                            FAKE_CLAUDE_LIMIT_STYLE="reached", FAKE_CLI_RESET_EPOCH=str(reset))
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "quota_exhausted"), ("codex", "success")]
    assert core.capacity().availability["claude"].blocks[0].lifts_at == reset


async def test_a_gemini_allowance_that_says_when_it_resets_is_held_until_then(settings, clock, client):
    core, ex = cli_executor(settings, clock, client, FAKE_GEMINI_MODE="capacity_reset",
                            FAKE_GEMINI_RESET_AFTER=str(3 * 3600))
    o = (await dispatch(core, ex, "Explain how the ingest pipeline handles retries", provider="gemini")).outcome
    assert o.attempts[0].provider == "gemini" and o.attempts[0].outcome == "quota_exhausted"
    gemini = core.capacity().availability["gemini"]
    assert not gemini.available and gemini.blocks[0].lifts_at == clock.now() + 3 * 3600


async def test_a_cli_run_longer_than_an_api_call_stays_in_every_process_window_until_it_answers(settings, clock):
    """A pace ticket is stamped ahead by how long the call may run, so an unanswered request counts everywhere.
    It was stamped by the API call's timeout (120 s + 5) even for a CLI run, which may run 450 s: from 185 s on,
    a CLI turn still running had left every window, and other processes sent past the limit."""
    s = with_execution(with_limits(settings, claude=(1, 1_000_000)), request_timeout_seconds=120.0,
                       cli_timeout_seconds=450.0, max_retries=0)
    core = make_core(s, clock)
    other = Executor(make_core(s, clock), {}, sleep=clock_sleep(clock))  # another process on the database
    seen = []

    class LongTurn(ScriptedAdapter):
        backend = "cli"

        async def complete(self, request):
            clock.advance(300.0)  # an agent's turn: within the CLI timeout, past the API call's and a window
            seen.append(other.pacer.try_acquire("claude", 10))
            return await super().complete(request)

    ex = Executor(core, {"claude": LongTurn(s.provider("claude"))}, sleep=clock_sleep(clock), random=lambda: 0.5)
    o = (await dispatch(core, ex, DESIGN_TASK, provider="claude")).outcome
    assert (o.status, o.provider) == ("success", "claude"), o.error
    assert isinstance(seen[0], PaceWait)  # the one request a minute is still on the wire


async def test_gemini_in_a_folder_it_does_not_trust_is_run_once_and_counts_towards_no_outage(settings, clock, client,
                                                                                              tmp_path):
    # gemini 0.61.0 headless in a folder never trusted exits 55 before any model call: that was an outage,
    # retried (max_retries more runs) and counted towards gemini's circuit; it is a setting of the user's.
    record = tmp_path / "runs.jsonl"
    core, ex = cli_executor(settings, clock, client, FAKE_GEMINI_MODE="untrusted", FAKE_CLI_RECORD=str(record))
    o = (await dispatch(core, ex, "Explain how the ingest pipeline handles retries", provider="gemini")).outcome
    assert (o.attempts[0].provider, o.attempts[0].outcome) == ("gemini", "not_configured")
    assert "GEMINI_CLI_TRUST_WORKSPACE=true" in o.attempts[0].error
    assert [json.loads(line)["cli"] for line in record.read_text().splitlines()].count("gemini") == 1
    assert ex.state.circuits.state("gemini").failures == 0


async def test_codex_offline_falls_back_at_once_uncharged_and_counts_towards_its_outage(settings, clock, client,
                                                                                       tmp_path):
    # codex 0.169.0 with no network says "waiting for network" and retries until killed: the task waited the whole
    # CLI timeout (450 s by default), was charged at its estimate as maybe billed, and then fell back.
    record = tmp_path / "runs.jsonl"
    s = with_execution(settings, cli_timeout_seconds=600.0, max_retries=0)
    core, ex = cli_executor(s, clock, client, FAKE_CLAUDE_MODE="usage_limit", FAKE_CODEX_MODE="offline",
                            FAKE_CODEX_OFFLINE_SECONDS="20", FAKE_CLI_RECORD=str(record))
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert o.status == "success" and o.provider not in ("claude", "codex"), o.error
    codex = next(a for a in o.attempts if a.provider == "codex")
    assert codex.outcome == "unavailable" and "cannot reach its service" in codex.error
    assert codex.cost_usd == 0
    spent = next(p for p in core.budget().providers if p.provider == "codex")
    assert (spent.spent, spent.reserved) == (0.0, 0.0)
    assert ex.state.circuits.state("codex").failures == 1
    assert "codex" not in [json.loads(line)["cli"] for line in record.read_text().splitlines()]  # stopped early


async def test_a_cli_run_that_timed_out_is_not_run_again_on_that_cli_the_next_provider_takes_it(settings, clock,
                                                                                               client):
    # A CLI run is an agent's whole turn, killed at cli_timeout_seconds (450 s): it was started again from the
    # beginning up to max_retries times (3 tries, 22.5 minutes by default, each charged at its estimate, the agent's
    # half-done edits left in the repository for the next try) before the task fell back. Seen by hand with
    # cli_timeout_seconds = 4 and a codex that never answers: codex tried 3 times, then gemini.
    s = with_execution(settings, cli_timeout_seconds=1.0, max_retries=3)
    core, ex = cli_executor(s, clock, client, FAKE_CODEX_LATENCY="60")
    o = (await dispatch(core, ex, "Fix the bug in the data loader")).outcome
    assert o.status == "success" and o.provider != "codex", o.error
    tries = [(a.provider, a.outcome) for a in o.attempts]
    assert tries[0] == ("codex", "unavailable") and "timed out after 1s" in o.attempts[0].error
    assert [p for p, _ in tries].count("codex") == 1, tries


async def test_a_cli_that_refuses_its_command_line_is_tried_once_and_counts_towards_no_outage(settings, clock,
                                                                                           client):
    # Seen by hand with a claude that did not know --output-format: 3 tries, then claude held for every process as
    # an outage, the task "parked ... capacity returns in 5m00s", where updating the CLI was what to do.
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_REFUSES="--output-format")
    o = (await dispatch(core, ex, DESIGN_TASK)).outcome
    assert o.status == "success" and o.provider == "codex", o.error
    assert [(a.provider, a.outcome) for a in o.attempts] == [("claude", "not_configured"), ("codex", "success")]
    assert "update the CLI" in o.attempts[0].error
    assert ex.state.circuits.state("claude").failures == 0
    assert core.capacity().availability["claude"].available
