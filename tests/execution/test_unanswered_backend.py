"""The audit line of a task that got no answer names the backend it was tried on, as an answered task's does: the
backend of its last try, null only when nothing was tried."""

from __future__ import annotations

from router_core.execution.dispatch import dispatch
from tests.execution.fakes import with_execution
from tests.execution.test_cli_backends import cli_executor
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude, then codex


def said(result) -> tuple:
    m = result.audit["execution_metrics"]
    return m["status"], m["provider"], m["backend"]


async def test_a_task_every_try_failed_names_the_backend_of_its_last_try(settings, build_executor, fake):
    # "backend" was null for every task that got no answer, though the line named the provider it failed on.
    core, ex = build_executor(with_execution(settings, max_retries=0))
    for provider in ("codex", "gemini", "claude"):
        fake.script(provider, [Fault.status(500)])
    r = await dispatch(core, ex, CODE_TASK)
    assert said(r) == ("failed", r.outcome.attempts[-1].provider, "api")
    assert r.outcome.backend == "api"


async def test_a_rejected_task_names_its_backend(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(400)])
    assert said(await dispatch(core, ex, CODE_TASK)) == ("rejected", "codex", "api")


async def test_a_task_parked_on_a_cli_provider_names_the_cli(settings, clock, client):
    core, ex = cli_executor(settings, clock, client, FAKE_CLAUDE_MODE="usage_limit", FAKE_CLAUDE_LIMIT_STYLE="epoch",
                            FAKE_CLI_RESET_EPOCH=str(clock.now() + 2 * 3600))
    r = await dispatch(core, ex, DESIGN_TASK, provider="claude")
    assert said(r) == ("parked", "claude", "cli")


async def test_only_a_task_that_was_tried_nowhere_has_no_backend(settings, build_executor, fake):
    core, ex = build_executor(settings, providers=("codex",))
    fake.script("codex", [Fault.status(400)])
    assert said(await dispatch(core, ex, CODE_TASK, provider="codex")) == ("rejected", "codex", "api")
    # gemini has no key nor CLI here: nothing was sent to it, and the line names no provider (the outcome, the last
    # one tried)
    r = await dispatch(core, ex, CODE_TASK, provider="gemini")
    assert said(r) == ("not_configured", None, None) and (r.outcome.provider, r.outcome.backend) == ("gemini", None)


async def test_a_task_parked_after_tries_names_the_provider_it_last_reached_not_one_it_skipped(
        settings, build_executor, fake):
    # The line (and dispatch_agent's provider_used) named the chain's last provider, which was only skipped
    # (here: no backend; by hand: codex in an outage), so `switchboard audit --provider` and the report's
    # execution times counted the seconds spent on the others' 429s as a run of a provider nothing was sent to.
    core, ex = build_executor(settings, providers=("codex", "gemini"))
    fake.script("codex", [Fault.rate_limited(retry_after=600)])
    fake.script("gemini", [Fault.quota()])
    r = await dispatch(core, ex, CODE_TASK)
    assert [(a.provider, a.called) for a in r.outcome.attempts][-1] == ("claude", False)
    assert said(r) == ("parked", "gemini", "api")
    assert r.outcome.model == r.outcome.attempts[-2].model == "gemini-2.5-flash"
