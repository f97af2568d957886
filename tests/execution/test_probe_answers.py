"""An outage probe answered by the provider refusing the request (an unknown model, no such endpoint, another 4xx)
ends the outage, as a 429 or a 401 does; a configuration error that reached nothing neither ends it nor counts."""

from __future__ import annotations

import logging

import pytest

from resources.views import usage_summary
from router_core.errors import (
    AuthFailed,
    CliOutputUnreadable,
    EndpointNotFound,
    ModelNotFound,
    NotConfigured,
    PromptTooLongForCli,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
)
from router_core.execution.dispatch import dispatch
from router_core.execution.recovery import answered
from tests.fakes.fake_provider import Fault

CODE_TASK = "Implement a JWT login endpoint in Flask"


@pytest.mark.parametrize(("fault", "kind", "answer", "fix"), [
    (Fault.model_not_found(), "model_not_found", "does not serve the model", "providers.codex.default_model"),
    (Fault.status(404), "endpoint_not_found", "has no such endpoint", "providers.codex.base_url"),
    (Fault.status(400), "rejected", "rejected the request (400)", "providers.codex"),
])
async def test_a_probe_answered_by_a_refusal_of_the_request_ends_the_outage_and_names_what_to_fix(
        settings, build_executor, fake, clock, caplog, fault, kind, answer, fix):
    # Before: the probe's 404 or 400 was one more failure ('outage: 4 consecutive failures', last error 'probe
    # failed: codex does not serve the model …'), so a default model the provider retired kept codex in outage for
    # good, in every process, though it answered every probe; a request's 404 counts for no outage.
    core, ex = build_executor(settings)
    fake.script("codex", [Fault.status(503)] * 3 + [fault])  # three open the circuit, then the probe
    await dispatch(core, ex, CODE_TASK)
    assert core.execution_state.circuits.state("codex").is_open
    clock.advance(settings.execution.outage_probe_interval_seconds)
    with caplog.at_level(logging.WARNING):
        assert await ex.probe_due() == ["codex"]
    assert not core.execution_state.circuits.state("codex").is_open
    view = usage_summary(core)["providers"]["codex"]
    assert view["available"] is True and "outage" not in view
    [recovered] = [r for r in core.audit.tail(10) if r.get("event") == "recovered"]
    assert recovered["probe_outcome"] == kind and recovered["probe_answer"].startswith(answer)  # each said once
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "outage probe" in r.getMessage()]
    assert "it is up, so the outage is over" in warning and fix in warning
    assert "switchboard providers" in warning
    assert core.budget().reserved == 0


async def test_a_probe_met_by_a_redirect_neither_ends_the_outage_nor_counts_as_a_failure(
        settings, build_executor, fake, clock, caplog):
    # A redirect (or an unusable URL, no CLI) is this process's configuration: nothing of codex was reached, so it
    # says nothing of the outage. Before, it was one more failure, its last error the redirect's message.
    core, ex = build_executor(settings)
    interval = settings.execution.outage_probe_interval_seconds
    redirect = Fault.status(307, headers={"location": "https://elsewhere.example/v1/responses"})
    fake.script("codex", [Fault.status(503)] * 3 + [redirect])
    await dispatch(core, ex, CODE_TASK)
    before, spent = core.execution_state.circuits.state("codex"), core.budget().spent
    clock.advance(interval)
    with caplog.at_level(logging.WARNING):
        assert await ex.probe_due() == []
    after = core.execution_state.circuits.state("codex")
    assert after.is_open and after.failures == before.failures and after.last_error == before.last_error
    assert after.next_probe_at == clock.now() + interval  # as claimed: not probed again at once
    assert [r for r in core.audit.tail(10) if r.get("event") == "recovered"] == []
    assert any("could not reach it with this process's configuration" in r.getMessage() and "redirects" in
               r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert core.budget().reserved == 0 and core.budget().spent == spent  # nothing reached codex: free


@pytest.mark.parametrize("fault", [Fault.model_not_found(), Fault.status(400)])
async def test_a_requests_refusal_of_the_request_resets_the_failure_count(settings, build_executor, fake, fault):
    # A request's 404 or 400 is the provider answering, as its 401 or 429: before, it left the count as it was,
    # so 503, 503, 404, 503 opened an outage of a provider that had just answered.
    core, ex = build_executor(settings)
    circuits = core.execution_state.circuits
    circuits.record_failure("codex", "503")
    circuits.record_failure("codex", "503")
    fake.script("codex", [fault])
    o = (await dispatch(core, ex, CODE_TASK)).outcome
    assert o.attempts[0].outcome in ("model_not_found", "rejected")
    assert circuits.state("codex").failures == 0
    assert circuits.record_failure("codex", "503") is None  # one failure, not the third in a row


def _error(kind, **kwargs):
    return kind(f"{kind.__name__}", provider="codex", **kwargs)


@pytest.mark.parametrize(("error", "is_answer"), [
    (_error(RateLimited), True),
    (_error(QuotaExhausted), True),
    (_error(AuthFailed), True),
    (_error(ProviderRejected, status_code=400), True),
    (_error(ModelNotFound), True),
    (_error(EndpointNotFound), True),
    (_error(ProviderRefused), True),
    (_error(RequestTooLarge), True),
    (_error(CliOutputUnreadable), True),  # the CLI exited 0: it answered, in text where JSON was asked for
    (_error(PromptTooLongForCli), False),  # refused here, before the CLI was started
    (_error(ProviderUnavailable, status_code=503), False),
    (_error(ProviderUnavailable, maybe_billed=True), False),  # a broken body, a read timeout
    (NotConfigured("codex base URL redirects (307)"), False),
    (TimeoutError(), False),
])
def test_which_errors_are_the_provider_answering(error, is_answer):
    assert answered(error) is is_answer
