"""The recovery policy (design 9): retry, fall back or stop, with honoured retry-after and jittered backoff."""

from __future__ import annotations

import pytest

from router_core.errors import (
    AuthFailed,
    ModelNotFound,
    NotConfigured,
    ProviderRefused,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
)
from router_core.execution.recovery import FALL_BACK, RETRY, STOP, backoff, next_step, outcome_name
from router_core.settings import ExecutionSettings

S = ExecutionSettings(max_retries=3, backoff_base_seconds=0.5, backoff_max_seconds=30.0)
NOW = 1000.0


def half(): return 0.5


def test_backoff_doubles_with_jitter_and_is_capped():
    assert backoff(0, S, lambda: 0.0) == 0.25
    assert backoff(0, S, lambda: 0.999999) == pytest.approx(0.5, abs=1e-6)
    assert [backoff(r, S, half) for r in range(4)] == [0.375, 0.75, 1.5, 3.0]
    assert backoff(10, S, half) == 30.0 * 0.75


def test_rate_limited_waits_for_retry_after_when_longer_than_backoff():
    step = next_step(RateLimited("429", provider="codex", retry_after=2.0), 0, S, NOW, half)
    assert (step.action, step.delay) == (RETRY, 2.0)
    step = next_step(RateLimited("429", provider="codex", retry_after=None), 1, S, NOW, half)
    assert (step.action, step.delay) == (RETRY, 0.75)


def test_rate_limited_falls_back_after_the_last_retry_with_when_it_lifts():
    step = next_step(RateLimited("429", provider="codex", retry_after=2.0), 3, S, NOW, half)
    assert step.action == FALL_BACK
    assert step.lifts_at == NOW + 3.0  # max(retry-after 2, backoff 3)


def test_a_retry_after_longer_than_the_longest_backoff_falls_back_at_once():
    step = next_step(RateLimited("429", provider="gemini", retry_after=45.0), 0, S, NOW, half)
    assert (step.action, step.lifts_at) == (FALL_BACK, NOW + 45.0)


def test_unavailable_retries_then_falls_back():
    err = ProviderUnavailable("503", provider="claude", status_code=503)
    assert next_step(err, 0, S, NOW, half).action == RETRY
    assert next_step(err, 2, S, NOW, half).delay == 1.5
    assert next_step(err, 3, S, NOW, half).action == FALL_BACK


def test_unavailable_waits_for_the_retry_after_it_gave_and_falls_back_past_the_longest_backoff():
    overloaded = ProviderUnavailable("529", provider="claude", status_code=529, retry_after=8.0)
    assert (next_step(overloaded, 0, S, NOW, half).action, next_step(overloaded, 0, S, NOW, half).delay) == (RETRY, 8.0)
    down = ProviderUnavailable("503", provider="claude", status_code=503, retry_after=120.0)
    assert next_step(down, 0, S, NOW, half).action == FALL_BACK


@pytest.mark.parametrize("error", [
    QuotaExhausted("quota", provider="codex", resets_at=NOW + 3600),
    AuthFailed("401", provider="codex", status_code=401),
    NotConfigured("no key"),
])
def test_quota_auth_and_configuration_fall_back_at_once(error):
    step = next_step(error, 0, S, NOW, half)
    assert step.action == FALL_BACK
    assert step.delay == 0.0


def test_quota_reports_its_reset_for_parking():
    assert next_step(QuotaExhausted("q", provider="codex", resets_at=NOW + 60), 0, S, NOW, half).lifts_at == NOW + 60


def test_other_4xx_stops():
    step = next_step(ProviderRejected("400 bad", provider="codex", status_code=400), 0, S, NOW, half)
    assert step.action == STOP


def test_outcome_names():
    assert outcome_name(RateLimited("x", provider="a")) == "rate_limited"
    assert outcome_name(ProviderRejected("x", provider="a")) == "rejected"
    assert outcome_name(NotConfigured("x")) == "not_configured"


@pytest.mark.parametrize(("error", "name"), [(ProviderRefused, "refused"), (ModelNotFound, "model_not_found"),
                                             (RequestTooLarge, "too_large")])
def test_rejections_that_fall_back_are_named_for_what_they_are(error, name):
    # All three were audited as "rejected", the name of a request that is wrong everywhere and stops the task,
    # though each falls back to another provider.
    e = error("x", provider="a")
    assert outcome_name(e) == name
    assert next_step(e, 0, S, NOW, half).action == FALL_BACK
