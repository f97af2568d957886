"""run_batch executing (design 6.2): partial failures, pacing with zero 429s, parking and resuming, the cap."""

from __future__ import annotations

import re

from router_core.execution.batch import run_batch
from tests.execution.fakes import fake_environ, fake_limits, fake_server, with_execution, with_limits
from tests.fakes.fake_provider import Fault

CODE = ["Implement a JWT login endpoint in Flask", "Fix the bug in the data loader", "Refactor the payment module"]
EXPLAIN = ["Explain how the OAuth2 flow works", "Analyze the logs and document findings"]
DESIGN = ["Design the architecture for a distributed ingest pipeline"]
PROVIDERS = ("codex", "gemini", "claude")


def mixed(n: int) -> list[tuple[str | None, str]]:
    texts = CODE + EXPLAIN + DESIGN
    return [(f"t{i}", f"{texts[i % len(texts)]} (part {i})") for i in range(n)]


async def test_partial_failures_come_back_in_input_order(settings, build_executor, fake):
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(400)])
    seen: list[tuple[int, int, str]] = []

    async def progress(done: int, total: int, message: str) -> None:
        seen.append((done, total, message))

    tasks = [("a", CODE[0]), ("b", EXPLAIN[0]), ("c", DESIGN[0]), ("d", CODE[1])]
    statements: list[str] = []  # the reservations' rows go once settled or released (schema 16): their inserts say
    core.db.connection().set_trace_callback(statements.append)
    try:
        run = await run_batch(core, ex, tasks, parallel=2, progress=progress)
    finally:
        core.db.connection().set_trace_callback(None)
    outcomes = run.outcome.outcomes
    assert [o.task_id for o in outcomes] == ["a", "b", "c", "d"]
    statuses = [o.status for o in outcomes]
    assert statuses.count("rejected") == 1 and statuses.count("success") == 3
    rejected = next(o for o in outcomes if o.status == "rejected")
    assert "400" in rejected.error and rejected.provider == "codex"
    assert run.outcome.failed == 1 and run.outcome.succeeded == 3
    assert [d for d, _, _ in seen] == [1, 2, 3, 4] and all(t == 4 for _, t, _ in seen)
    lines = [r for r in core.audit.tail(20) if r.get("event") == "batch_task"]
    assert sorted(r["task_id"] for r in lines) == ["a", "b", "c", "d"]
    assert all(r["execution_metrics"]["status"] in ("success", "rejected") for r in lines)
    assert core.leases.in_use() == {} and core.budget().reserved == 0
    # each reservation names its batch too (a made id, task-0, is in every batch): a dead call's line says which
    reserved = {re.search(r"'(batch-[^']*)'", s)[1] for s in statements if s.startswith("INSERT INTO budget_reservations")}
    assert reserved == {f"{run.outcome.batch_id}/{t}" for t in "abcd"}


async def test_tight_limits_are_paced_without_a_single_429(settings, build_executor, clock):
    # Requests bind on codex and gemini, tokens on claude (each task ~1,700 tokens of 3,600 a window).
    s = with_limits(settings, codex=(3, 100_000), gemini=(2, 100_000), claude=(100, 3_600))
    answer = dict.fromkeys(PROVIDERS, s.expected_output_tokens("architecture"))
    with fake_server(clock, limits=fake_limits(s, s.execution.rate_window_seconds), output_tokens=answer) as fake:
        core, ex = build_executor(s, environ=fake_environ(fake))
        start = clock.now()
        run = await run_batch(core, ex, mixed(24), parallel=8)
        stats = {p: fake.stats(p) for p in PROVIDERS}
    assert all(o.status == "success" for o in run.outcome.outcomes), [o.error for o in run.outcome.outcomes]
    assert {p: s.limit_429 for p, s in stats.items()} == dict.fromkeys(PROVIDERS, 0)
    assert sum(s.requests for s in stats.values()) == 24
    assert max(s.tokens for s in stats.values()) > 3_600  # more than a window's tokens went through
    assert clock.now() - start >= s.execution.rate_window_seconds  # the windows were really waited for


async def test_a_batch_parks_while_every_provider_is_blocked_and_resumes(settings, build_executor, fake, clock):
    core, ex = build_executor(settings)
    for p in PROVIDERS:  # each provider asks for 45 s: more than the longest backoff, so no one waits in place
        fake.script(p, [Fault.rate_limited(retry_after=45.0)])
    notices = []
    run = await run_batch(core, ex, [("only", CODE[0])], on_park=lambda *notice: notices.append(notice))
    o = run.outcome.outcomes[0]
    assert o.status == "success"
    assert o.parked_seconds >= 45.0
    [(task_id, seconds, why)] = notices  # told while it waits: no task finishes meanwhile
    assert task_id == "only" and 45.0 <= seconds <= o.parked_seconds and "every provider is blocked" in why
    assert [a.outcome for a in o.attempts][:3] == ["rate_limited"] * 3
    assert sum(fake.stats(p).sent_429 for p in PROVIDERS) == 3
    assert sum(fake.stats(p).limit_429 for p in PROVIDERS) == 0


async def test_a_block_longer_than_the_park_limit_returns_the_eta(settings, build_executor, fake, clock):
    core, ex = build_executor(with_execution(settings, max_park_seconds=60.0))
    for p in PROVIDERS:  # quotas: codex held for a probe interval (300 s), the others until their resets
        fake.script(p, [Fault.quota()] * 2)
    run = await run_batch(core, ex, [("x", CODE[0]), ("y", EXPLAIN[0])], parallel=1)
    assert [(o.task_id, o.status) for o in run.outcome.outcomes] == [("x", "parked"), ("y", "parked")]
    for o in run.outcome.outcomes:
        assert "every provider is blocked" in o.error
        assert o.resumes_at == clock.now() + 300.0  # the earliest: codex's hold
        assert {a.provider for a in o.attempts} == set(PROVIDERS)  # each one tried, or seen on hold
        assert {a.outcome for a in o.attempts} <= {"quota_exhausted", "on_hold"}


async def test_the_cap_limits_requests_in_flight(settings, build_executor, fake):
    fake.set_latency("codex", 0.02)
    core, ex = build_executor(settings)
    run = await run_batch(core, ex, [(None, f"{CODE[0]} number {i}") for i in range(6)], parallel=2)
    assert run.outcome.succeeded == 6
    assert fake.stats("codex").max_in_flight == 2
    assert [o.task_id for o in run.outcome.outcomes] == [f"task-{i}" for i in range(6)]


async def test_progress_names_a_provider_only_for_a_task_that_ran_there(settings, clock):
    # With no backend anywhere, progress said "a: not_configured on claude", as if claude had been tried.
    from router_core.execution.executor import Executor
    from router_core.providers.registry import NoBackend
    from tests.execution.conftest import make_core

    core = make_core(settings, clock)
    ex = Executor(core, {p.name: NoBackend(p.name, "set a key") for p in settings.providers})
    seen: list[str] = []

    async def progress(done: int, total: int, message: str) -> None:
        seen.append(message)

    await run_batch(core, ex, [("a", CODE[0]), ("b", EXPLAIN[0])], parallel=2, progress=progress)
    assert sorted(seen) == ["a: not_configured", "b: not_configured"]


async def test_an_error_while_leasing_one_tasks_agent_costs_that_task_not_the_batch(settings, build_executor,
                                                                                     monkeypatch):
    # lease_agent ran outside the try that turns a bug into one failed task: a database error there ended the
    # whole batch, its other tasks' results lost.
    from router_core.execution import batch

    core, ex = build_executor(settings)
    real = batch.choose_agent

    async def flaky(core_, wait, item, text, tries):
        if item.task_id == "b":
            raise RuntimeError("leases table locked")
        return await real(core_, wait, item, text, tries)

    monkeypatch.setattr(batch, "choose_agent", flaky)
    run = await run_batch(core, ex, [("a", CODE[0]), ("b", EXPLAIN[0]), ("c", DESIGN[0])], parallel=2)
    outcomes = {o.task_id: o for o in run.outcome.outcomes}
    assert outcomes["a"].status == outcomes["c"].status == "success"
    assert outcomes["b"].status == "failed" and "leases table locked" in outcomes["b"].error
    lines = [r for r in core.audit.tail(20) if r.get("event") == "batch_task"]
    assert sorted(r["task_id"] for r in lines) == ["a", "b", "c"]
    assert core.leases.in_use() == {} and core.budget().reserved == 0


async def test_a_lease_that_cannot_be_released_costs_nothing_but_its_slot(settings, build_executor, fake, monkeypatch):
    # The release of a failed task's lease ran in run_one's finally, outside the try that turns an error into that
    # task's failure: a database error there (locked past its timeout, a full disk) ended the whole batch in an
    # ExceptionGroup, the other tasks' results lost, answers already paid for among them.
    from router_core.errors import StateUnusable

    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(400)])

    def locked(lease_id: str) -> None:
        raise StateUnusable("database is locked")

    monkeypatch.setattr(core, "release_agent", locked)
    run = await run_batch(core, ex, [("a", CODE[0]), ("b", EXPLAIN[0]), ("c", DESIGN[0])], parallel=2)
    assert [(o.task_id, o.status) for o in run.outcome.outcomes] == [("a", "rejected"), ("b", "success"),
                                                                      ("c", "success")]
    lines = [r for r in core.audit.tail(20) if r.get("event") == "batch_task"]
    assert sorted(r["task_id"] for r in lines) == ["a", "b", "c"]


async def test_a_wait_notice_that_cannot_be_written_does_not_fail_the_task(settings, build_executor, fake):
    # `switchboard batch` says a wait on stderr; on a stderr gone (a pipe closed, a full disk) the write raised
    # through the executor and the task, which would have run once capacity returned, ended "failed" with
    # "internal error: BrokenPipeError" (the MCP tool's notice already let such a failure pass).
    import io

    from server.commands._notices import ProgressBar

    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    core, ex = build_executor(settings)
    for p in PROVIDERS:
        fake.script(p, [Fault.rate_limited(retry_after=45.0)])
    run = await run_batch(core, ex, [("only", CODE[0])], on_park=ProgressBar(Gone()).parked)
    assert run.outcome.outcomes[0].status == "success"


async def test_progress_says_why_a_task_ran_elsewhere(settings, build_executor, fake):
    # A 429 on codex sent the task to gemini: progress (stderr of `switchboard batch`, run_batch's notifications)
    # said only "a: success on gemini", where `switchboard run` says "fell back from codex: rate limited (429)".
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.rate_limited(retry_after=300)])
    seen: list[str] = []

    async def progress(done: int, total: int, message: str) -> None:
        seen.append(message)

    run = await run_batch(core, ex, [("a", CODE[0])], parallel=1, progress=progress)
    assert run.outcome.outcomes[0].provider == "gemini"
    assert seen == ["a: success on gemini (fell back from codex: rate limited)"]
