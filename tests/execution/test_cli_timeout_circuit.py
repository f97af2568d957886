"""A CLI run cut at cli_timeout_seconds is no outage's sign: it neither opens nor resets the outage circuit."""

from __future__ import annotations

from router_core.errors import CliTimedOut, ProviderUnavailable
from router_core.execution.dispatch import dispatch
from router_core.execution.executor import Executor
from tests.execution.conftest import make_core
from tests.execution.fakes import ScriptedAdapter, clock_sleep, with_execution

CODE_TASK = "Implement a JWT login endpoint in Flask"


def timed_out() -> CliTimedOut:
    return CliTimedOut("codex CLI timed out after 10m", provider="codex")


def executor(settings, clock, script):
    core = make_core(settings, clock)
    adapters = {p.name: ScriptedAdapter(p, script if p.name == "codex" else ()) for p in settings.providers}
    return core, Executor(core, adapters, sleep=clock_sleep(clock), random=lambda: 0.5)


async def test_three_cli_timeouts_do_not_open_the_providers_circuit(settings, clock):
    # Three long agent runs cut at the timeout opened codex's circuit for every process, as three 503s do: a
    # healthy provider was skipped until its probe.
    core, ex = executor(settings, clock, [timed_out()] * 3)
    for _ in range(3):
        o = (await dispatch(core, ex, CODE_TASK, provider="codex")).outcome
        assert [a.outcome for a in o.attempts][:1] == ["unavailable"]
    circuit = ex.state.circuits.state("codex")
    assert (circuit.is_open, circuit.failures) == (False, 0)
    assert not [r for r in core.audit.tail(20) if r.get("event") == "outage"]


async def test_a_cli_timeout_does_not_reset_the_count_of_failures_in_a_row(settings, clock):
    s = with_execution(settings, max_retries=0)
    overloaded = ProviderUnavailable("codex unavailable (503)", provider="codex", status_code=503)
    core, ex = executor(s, clock, [overloaded, timed_out(), overloaded])
    for _ in range(3):
        await dispatch(core, ex, CODE_TASK, provider="codex")
    assert ex.state.circuits.state("codex").failures == 2
