"""Every recovery path of design 9 against the fake provider server (faults scripted per provider)."""

from __future__ import annotations

import pytest

from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from router_core.execution.holds import RATE_LIMITED, UNAVAILABLE
from router_core.execution.pacing import PaceWait
from tests.execution.conftest import make_core
from tests.execution.fakes import clock_sleep, fake_environ, with_execution
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"  # codex, then gemini, then claude
DESIGN_TASK = "Design the architecture for a distributed ingest pipeline"  # claude first


def requests(fake, provider: str) -> int:
    return fake.stats(provider).requests


async def test_429_then_success_honours_retry_after(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=2.0)])
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [(a.provider, a.outcome, a.retry) for a in o.attempts] == [
        ("codex", "rate_limited", 0), ("codex", "success", 1)]
    assert o.attempts[1].waited_seconds >= 2.0  # the retry-after, not the 0.375 s backoff
    assert requests(fake, "codex") == 2
    assert fake.stats("codex").limit_429 == 0


async def test_a_failed_response_that_is_rate_limited_retries_after_the_wait_it_names(settings, build_executor, fake):
    # A 200 with status "failed" and error.code rate_limit_exceeded was read as an outage: retried at the backoff
    # (0.375 s), into the same limit, and counted towards the provider's outage circuit.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.failed("rate_limit_exceeded", "Rate limit reached for gpt-5.1-codex on tokens per "
                                                              "min (TPM). Please try again in 2.5s.")])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert [(a.outcome, a.status_code, a.retry) for a in o.attempts] == [("rate_limited", 200, 0), ("success", None, 1)]
    assert o.attempts[1].waited_seconds >= 2.5


async def test_a_failed_response_for_an_exhausted_quota_falls_back_at_once(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.failed("insufficient_quota", "You exceeded your current quota.")])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert [a.outcome for a in o.attempts] == ["quota_exhausted", "success"]
    assert requests(fake, "codex") == 1


async def test_429_on_every_retry_then_falls_back(settings, build_executor, fake):
    core, ex = build_executor(settings)
    retries = settings.execution.max_retries
    fake.script("codex", [Fault.rate_limited(retry_after=1.0)] * (retries + 1))
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "success"
    assert o.fallback_path == ["codex", "gemini"]
    assert [a.outcome for a in o.attempts] == ["rate_limited"] * (retries + 1) + ["success"]
    assert requests(fake, "codex") == retries + 1
    assert r.audit["execution_metrics"]["fallback_path"] == ["codex", "gemini"]
    assert r.audit["execution_metrics"]["attempts"][0]["status_code"] == 429


@pytest.mark.parametrize(("provider", "task", "fault"), [
    ("codex", CODE_TASK, Fault.status(503)),
    ("codex", CODE_TASK, Fault.status(500)),
    ("claude", DESIGN_TASK, Fault.status(529)),
    ("gemini", "Explain how the OAuth2 flow works", Fault.status(503)),
])
async def test_server_errors_retry_then_fall_back(settings, build_executor, fake, provider, task, fault):
    s = with_execution(settings, outage_failure_threshold=10)  # retries run out before the circuit opens
    core, ex = build_executor(s)
    tries = s.execution.max_retries + 1
    fake.script(provider, [fault] * tries)
    r = await dispatch(core, ex, task)
    o = r.outcome
    assert o.status == "success"
    assert o.fallback_path[0] == provider and o.provider != provider
    assert [a.outcome for a in o.attempts[:tries]] == ["unavailable"] * tries
    assert o.attempts[0].status_code == fault.code
    assert requests(fake, provider) == tries


async def test_a_timeout_is_retried_then_falls_back(settings, build_executor, fake):
    s = with_execution(settings, request_timeout_seconds=0.6, max_retries=1)  # the fallback answers within it on a loaded machine
    core, ex = build_executor(s)
    fake.script("codex", [Fault.hang(5.0), Fault.hang(5.0)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.provider == "gemini"
    assert [a.outcome for a in o.attempts] == ["unavailable", "unavailable", "success"]
    assert "timed out" in o.attempts[0].error


async def test_a_call_that_timed_out_is_charged_at_its_estimate_and_counts_in_the_window(settings, build_executor,
                                                                                         fake):
    """The provider got the request and goes on answering it after we stop waiting: it bills it, and a retry pays
    again. Released as if free, two timeouts and a retry spent three calls' worth while the budget saw one, and
    the window saw no tokens, so the next requests were paced as if the provider had counted none."""
    s = with_execution(settings, request_timeout_seconds=0.6, max_retries=1)  # the fallback answers within it on a loaded machine
    core, ex = build_executor(s)
    fake.script("codex", [Fault.hang(5.0), Fault.hang(5.0)])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert [a.outcome for a in o.attempts] == ["unavailable", "unavailable", "success"]
    timed_out = o.attempts[:2]
    assert all(a.cost_usd and a.cost_usd > 0 for a in timed_out)
    assert core.budget().spent == pytest.approx(sum(a.cost_usd for a in o.attempts))
    assert core.budget().reserved == 0
    tokens = core.db.query("SELECT SUM(tokens) FROM usage_events WHERE provider = 'codex'")[0][0]
    assert tokens and tokens > 0


async def test_a_connection_refused_is_not_charged(settings, build_executor, fake):
    s = with_execution(settings, max_retries=0)
    core, ex = build_executor(s, environ={**fake_environ(fake, ("codex", "claude", "gemini")),
                                          "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert [a.outcome for a in o.attempts][:1] == ["unavailable"] and o.status == "success"
    assert not o.attempts[0].cost_usd
    assert core.budget().spent == pytest.approx(o.attempts[-1].cost_usd)


async def test_malformed_json_is_retried(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "codex")
    assert o.attempts[0].outcome == "unavailable"
    assert "malformed" in o.attempts[0].error


async def test_an_answer_that_cannot_be_read_is_charged_at_its_estimate(settings, build_executor, fake):
    """The provider answered (a 200) and billed it; we cannot read its counts. Released at $0, as before, a
    proxy that mangles answers spent the budget unseen, once per retry."""
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.malformed()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert [a.outcome for a in o.attempts] == ["unavailable", "success"]
    assert o.attempts[0].cost_usd and o.attempts[0].cost_usd > 0
    assert core.budget().spent == pytest.approx(sum(a.cost_usd for a in o.attempts), abs=1e-9)
    assert core.budget().reserved == 0


async def test_auth_failure_falls_back_at_once(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.auth()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.provider == "gemini"
    assert [(a.provider, a.outcome) for a in o.attempts] == [("codex", "auth_failed"), ("gemini", "success")]
    assert requests(fake, "codex") == 1


async def test_a_400_is_a_clear_error_with_no_retry_and_no_fallback(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(400)])
    r = await dispatch(core, ex, CODE_TASK)
    o = r.outcome
    assert o.status == "rejected"
    assert "400" in o.error and "Invalid request" in o.error
    assert requests(fake, "codex") == 1
    assert requests(fake, "gemini") == requests(fake, "claude") == 0
    assert core.budget().reserved == 0 and core.budget().spent == 0  # the reservation was released
    assert r.audit["execution_metrics"]["status"] == "rejected"


async def test_exhausted_quota_falls_back_and_holds_the_provider(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.quota()])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.provider == "gemini"
    assert [a.outcome for a in o.attempts] == ["quota_exhausted", "success"]
    blocks = core.capacity().availability["codex"].blocks
    assert blocks and blocks[0].reason.startswith("quota exhausted")
    # The next codex task does not knock on the door again.
    again = (await dispatch(core, ex, CODE_TASK, provider=None)).outcome
    assert again.status == "success" and requests(fake, "codex") == 1


async def test_the_answer_settles_usage_budget_and_releases_the_agent(settings, build_executor, fake):
    core, ex = build_executor(settings)
    r = await dispatch(core, ex, CODE_TASK, context="The app lives in app/auth.py.")
    o = r.outcome
    sent = fake.last_request("codex").json
    assert "app/auth.py" in sent["input"] and CODE_TASK in sent["input"]
    assert sent["instructions"] == r.decision.agent.agent.system_prompt
    budget = core.budget()
    assert budget.spent == pytest.approx(o.cost_usd) and budget.reserved == 0
    assert core.usage_tracker.window("codex").tokens == o.tokens_used
    assert core.leases.in_use() == {}
    metrics = r.audit["execution_metrics"]
    assert metrics["status"] == "success"
    assert metrics["tokens_used"] == o.input_tokens + o.output_tokens > 0
    assert metrics["cost_actual"].startswith("$") and metrics["cost_actual_usd"] == o.cost_usd
    assert metrics["cost_estimate_vs_actual"].endswith("estimate")
    assert core.audit.tail(1)[0]["execution_metrics"]["status"] == "success"  # one line, written


async def test_a_429_with_no_retry_time_holds_every_process_for_the_backoff(settings, build_executor, fake, clock):
    """A 429 that names no wait (a Gemini 429 with only a Help detail, an Anthropic 429 without retry-after,
    an OpenAI 429 without the header) still says the provider is over its limit: the other tasks and processes wait out the
    backoff too, instead of each collecting a 429 of its own."""
    core, ex = build_executor(settings)
    retries = settings.execution.max_retries
    fake.script("codex", [Fault.rate_limited(retry_after=None)] * (retries + 1))
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "success" and o.fallback_path == ["codex", "gemini"]
    assert requests(fake, "codex") == retries + 1
    hold = core.execution_state.holds.active("codex")["codex"]
    assert hold.kind == RATE_LIMITED and hold.until == pytest.approx(o.attempts[retries].lifts_at, abs=0.01)
    other = make_core(settings, clock)  # another process on the same state database
    other_ex = Executor(other, {}, sleep=clock_sleep(clock), random=lambda: 0.5)
    wait = other_ex.pacer.try_acquire("codex", 10)
    assert isinstance(wait, PaceWait) and wait.hold == RATE_LIMITED


# A 503 or 529 that says when to come back (Retry-After), each wire as it speaks it: longer than the longest
# backoff, the task falls back at once (b75a123); the provider is held until then, in every process.
UNAVAILABLE_FOR = {"codex": (503, 120.0), "gemini": (503, 90.0), "claude": (529, 60.0)}


def script_unavailable(fake) -> None:
    for provider, (code, seconds) in UNAVAILABLE_FOR.items():
        fake.script(provider, [Fault.status(code, retry_after=seconds)])


async def test_a_503_or_529_asking_for_longer_than_the_backoff_holds_the_provider_and_the_task_gets_the_eta(
        settings, build_executor, fake, clock):
    """It fell back with no resume time and no hold: with every provider answering so, the task failed
    ("every provider failed") instead of returning when capacity is back, and the next task knocked again."""
    core, ex = build_executor(settings)
    script_unavailable(fake)
    now = clock.now()
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.status == "parked" and o.resumes_at == pytest.approx(now + 60.0, abs=0.01)
    assert [(a.provider, a.outcome, a.status_code) for a in o.attempts] == [
        ("codex", "unavailable", 503), ("gemini", "unavailable", 503), ("claude", "unavailable", 529)]
    other = make_core(settings, clock)  # another process on the same state database
    for a in o.attempts:
        seconds = UNAVAILABLE_FOR[a.provider][1]
        assert a.lifts_at == pytest.approx(now + seconds, abs=0.01)
        assert other.execution_state.holds.active(a.provider)[a.provider].until == pytest.approx(now + seconds, abs=0.01)
        assert other.capacity().availability[a.provider].lifts_at == pytest.approx(now + seconds, abs=0.01)
        assert core.execution_state.circuits.state(a.provider).failures == 1  # still a failure towards the circuit
    again = (await dispatch(core, ex, CODE_TASK)).outcome  # routed on the holds: the ETA, nothing sent
    assert again.status == "parked" and again.resumes_at == pytest.approx(now + 60.0, abs=0.01)
    assert [requests(fake, p) for p in UNAVAILABLE_FOR] == [1, 1, 1]


async def test_a_batch_parks_while_every_provider_is_unavailable_for_a_stated_time_and_resumes(
        settings, build_executor, fake, clock):
    from router_core.execution.batch import run_batch

    core, ex = build_executor(settings)
    script_unavailable(fake)
    start = clock.now()
    o = (await run_batch(core, ex, [("t", CODE_TASK)])).outcome.outcomes[0]
    assert (o.status, o.provider) == ("success", "claude")  # the first back: codex and gemini still held
    assert o.parked_seconds >= 60.0 and clock.now() - start >= 60.0
    assert [a.outcome for a in o.attempts] == ["unavailable"] * 3 + ["on_hold", "on_hold", "success"]
    assert [requests(fake, p) for p in UNAVAILABLE_FOR] == [1, 1, 2]


async def test_a_short_retry_after_on_a_503_holds_the_other_processes_too(settings, build_executor, fake, clock):
    s = with_execution(settings, max_retries=0)  # the last try: falls back with when codex is back
    core, ex = build_executor(s)
    fake.script("codex", [Fault.status(503, retry_after=8.0)])
    now = clock.now()
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert (o.status, o.provider) == ("success", "gemini")
    assert o.attempts[0].lifts_at == pytest.approx(now + 8.0, abs=0.01)
    other = make_core(s, clock)
    other_ex = Executor(other, {}, sleep=clock_sleep(clock), random=lambda: 0.5)
    wait = other_ex.pacer.try_acquire("codex", 10)
    assert isinstance(wait, PaceWait) and wait.hold == UNAVAILABLE and wait.seconds == pytest.approx(8.0, abs=0.01)
