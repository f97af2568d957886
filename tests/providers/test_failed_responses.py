"""A Responses API 200 with ``status: "failed"`` is mapped by its ``error.code`` (openai-python's ResponseError codes,
and the HTTP error codes a compatible server relays there), as an error response's code is, over the fake server."""

from __future__ import annotations

import pytest

from router_core.errors import (
    ProviderError,
    ProviderRefused,
    ProviderRejected,
    QuotaExhausted,
    RateLimited,
    RequestTooLarge,
)
from router_core.execution.recovery import FALL_BACK, RETRY, STOP, next_step
from router_core.providers import CompletionRequest, OpenAIResponsesAdapter
from router_core.settings import ExecutionSettings
from tests.fakes.fake_provider import Fault

pytestmark = pytest.mark.slow

RATE_LIMITED = ("Rate limit reached for gpt-5.1-codex in organization org-fake on tokens per min (TPM): Limit 30000, "
                "Used 29000, Requested 4000. Please try again in 2.5s.")


async def failed(fake, client, clock, code: str | None, message: str, retry_after: float | None = None,
                 usage: dict | None = None):
    fake.script("codex", [Fault.failed(code, message, retry_after=retry_after, usage=usage)])
    adapter = OpenAIResponsesAdapter(client=client, base_url=fake.base_url("codex"), api_key="sk-test",
                                     provider="codex", clock=clock, default_model="gpt-5.1-codex")
    with pytest.raises(ProviderError) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert fake.stats("codex").requests == 1
    return caught.value


def step(error) -> str:
    return next_step(error, 0, ExecutionSettings(), 0.0, lambda: 0.5).action


async def test_rate_limit_exceeded_is_rate_limited_after_the_wait_its_message_names(fake, client, clock):
    # Read as an outage (ProviderUnavailable): retried at the backoff, counted towards the outage circuit.
    error = await failed(fake, client, clock, "rate_limit_exceeded", RATE_LIMITED)
    assert type(error) is RateLimited and error.retry_after == 2.5 and error.status_code == 200
    assert str(error) == f"codex rate limited (response status failed, rate_limit_exceeded): retry after 3s: " \
                         f"{RATE_LIMITED}"
    assert step(error) == RETRY


async def test_rate_limit_exceeded_takes_a_retry_after_header(fake, client, clock):
    error = await failed(fake, client, clock, "rate_limit_exceeded", "Rate limit reached.", retry_after=7)
    assert type(error) is RateLimited and error.retry_after == 7


async def test_rate_limit_exceeded_without_a_wait_is_rate_limited_still(fake, client, clock):
    error = await failed(fake, client, clock, "rate_limit_exceeded", "Rate limit reached.")
    assert type(error) is RateLimited and error.retry_after is None and "no retry time given" in str(error)


@pytest.mark.parametrize("code", ["insufficient_quota", "billing_hard_limit_reached", "project_spend_limit_exceeded"])
async def test_quota_and_billing_codes_are_quota_exhausted(fake, client, clock, code):
    error = await failed(fake, client, clock, code, "You exceeded your current quota, please check your plan.")
    assert type(error) is QuotaExhausted and error.status_code == 200
    assert "quota exhausted (response status failed, " + code in str(error) and "retrying will not help" in str(error)
    assert step(error) == FALL_BACK and not error.retryable


@pytest.mark.parametrize(("code", "message"), [
    ("context_length_exceeded", "Your input exceeds the context window of this model."),
    (None, "Your input exceeds the context window of this model."),  # said only in the message
    ("image_too_large", "The image is too large."),
])
async def test_oversized_input_is_request_too_large(fake, client, clock, code, message):
    error = await failed(fake, client, clock, code, message)
    said = f"response status failed, {code}" if code else "response status failed"
    assert type(error) is RequestTooLarge and f"({said}: {message})" in str(error)
    assert step(error) == FALL_BACK


@pytest.mark.parametrize("code", ["invalid_prompt", "image_content_policy_violation", "content_filter"])
async def test_policy_codes_are_a_refusal(fake, client, clock, code):
    error = await failed(fake, client, clock, code, "Invalid prompt: your prompt was flagged as potentially "
                                                    "violating our usage policy.")
    assert type(error) is ProviderRefused and "a content filter blocked it" in str(error)
    assert step(error) == FALL_BACK


@pytest.mark.parametrize("code", ["invalid_image", "invalid_base64_image", "empty_image_file"])
async def test_a_bad_input_image_is_rejected(fake, client, clock, code):
    error = await failed(fake, client, clock, code, "The image could not be read.")
    assert type(error) is ProviderRejected and str(error).startswith(f"codex rejected the request (response status "
                                                                     f"failed, {code})")
    assert step(error) == STOP



USAGE = {"input_tokens": 2000, "input_tokens_details": {"cached_tokens": 300}, "output_tokens": 120,
         "output_tokens_details": {"reasoning_tokens": 120}, "total_tokens": 2120}


@pytest.mark.parametrize(("code", "kind"), [
    ("server_error", ProviderError), ("rate_limit_exceeded", RateLimited), ("insufficient_quota", QuotaExhausted),
    ("context_length_exceeded", RequestTooLarge), ("invalid_prompt", ProviderRefused),
])
async def test_a_failed_response_with_usage_carries_what_it_was_billed(fake, client, clock, code, kind):
    # The usage was dropped with the body: the provider billed its tokens, the budget and the pace window saw none.
    error = await failed(fake, client, clock, code, "The model failed to generate a response.", usage=USAGE)
    assert isinstance(error, kind)
    billed = error.billed
    assert billed is not None
    assert (billed.input_tokens, billed.cached_input_tokens, billed.output_tokens) == (2000, 300, 120)
    assert (billed.provider, billed.model, billed.text, billed.usage_estimated) == ("codex", "gpt-5.1-codex", "",
                                                                                    False)


@pytest.mark.parametrize("usage", [None, {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}])
async def test_a_failed_response_without_usage_or_tokens_carries_no_charge(fake, client, clock, usage):
    # A failure before the model ran (usage null, or all 0): nothing was spent.
    error = await failed(fake, client, clock, "server_error", "The model failed to generate a response.", usage=usage)
    assert error.billed is None
