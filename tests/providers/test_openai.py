"""OpenAI Responses and Chat Completions adapters against the fake server."""

from __future__ import annotations

import httpx
import pytest

from router_core.errors import (
    AuthFailed,
    EndpointNotFound,
    NotConfigured,
    ProviderRejected,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from router_core.providers import CompletionRequest, OpenAIChatAdapter, OpenAIResponsesAdapter
from tests.fakes.fake_provider import FakeProviders, Fault, Limits

pytestmark = pytest.mark.slow


def responses(fake, client, clock, **kw) -> OpenAIResponsesAdapter:
    args = dict(client=client, base_url=fake.base_url("codex"), api_key="sk-test", provider="codex", clock=clock,
                default_model="gpt-5.1-codex")
    return OpenAIResponsesAdapter(**{**args, **kw})


async def test_responses_success_parses_text_tokens_and_rate_limits(fake, client, clock):
    fake.set_limits("codex", Limits(requests_per_minute=50, tokens_per_minute=10_000))
    fake.script("codex", [Fault.ok(text="def add(a, b): return a + b", output_tokens=42)])
    request = CompletionRequest(prompt="write add", system_prompt="You write Python.", context="file: math.py",
                                max_output_tokens=500)
    result = await responses(fake, client, clock).complete(request)
    assert result.text == "def add(a, b): return a + b"
    assert (result.provider, result.model, result.backend) == ("codex", "gpt-5.1-codex", "api")
    sent_chars = len("You write Python.") + len("<context>\nfile: math.py\n</context>\n\nwrite add")
    assert result.input_tokens == -(-sent_chars // 4)
    assert result.output_tokens == 42
    assert result.cost_usd is None
    observed = result.rate_limit
    assert (observed.requests_limit, observed.requests_remaining) == (50, 49)
    assert observed.tokens_limit == 10_000
    assert observed.tokens_remaining == 10_000 - result.input_tokens - 42
    assert 0 < observed.requests_reset_at - clock.now() <= 60


async def test_responses_request_body_and_headers(fake, client, clock):
    request = CompletionRequest(prompt="task", system_prompt="rules", context="ctx", model="gpt-5.4",
                                max_output_tokens=300)
    await responses(fake, client, clock).complete(request)
    sent = fake.last_request("codex")
    assert sent.path == "/codex/v1/responses"
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.json == {"model": "gpt-5.4", "input": "<context>\nctx\n</context>\n\ntask", "store": False,
                         "instructions": "rules", "max_output_tokens": 300}


async def test_responses_without_system_prompt_or_limit_sends_neither(fake, client, clock):
    await responses(fake, client, clock).complete(CompletionRequest(prompt="hi"))
    assert fake.last_request("codex").json == {"model": "gpt-5.1-codex", "input": "hi", "store": False}


async def test_no_model_anywhere_is_not_configured(fake, client, clock):
    with pytest.raises(NotConfigured, match="no default model"):
        await responses(fake, client, clock, default_model="").complete(CompletionRequest(prompt="hi"))
    assert fake.stats("codex").requests == 0


async def test_chat_completions_body_and_parse(fake, client, clock):
    fake.set_limits("codex", Limits(requests_per_minute=9))
    fake.script("codex", [Fault.ok(text="hello", output_tokens=3)])
    adapter = OpenAIChatAdapter(client=client, base_url=fake.base_url("codex"), api_key="sk-test",
                                provider="codex", clock=clock, default_model="local-model")
    result = await adapter.complete(CompletionRequest(prompt="hi", system_prompt="sys", max_output_tokens=64))
    sent = fake.last_request("codex")
    assert sent.path == "/codex/v1/chat/completions"
    assert sent.json == {"model": "local-model", "max_tokens": 64, "messages": [
        {"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]}
    assert (result.text, result.input_tokens, result.output_tokens) == ("hello", 2, 3)
    assert result.rate_limit.requests_remaining == 8


@pytest.mark.parametrize(
    ("fault", "error", "attrs"),
    [
        (Fault.rate_limited(retry_after=7), RateLimited, {"retry_after": 7.0, "status_code": 429}),
        (Fault.quota(), QuotaExhausted, {"resets_at": None, "status_code": 429}),
        (Fault.status(500), ProviderUnavailable, {"status_code": 500}),
        (Fault.status(503), ProviderUnavailable, {"status_code": 503}),
        (Fault.auth(), AuthFailed, {"status_code": 401}),
        (Fault.status(400), ProviderRejected, {"status_code": 400}),
        (Fault.status(404), EndpointNotFound, {"status_code": 404}),  # falls back: the base URL is wrong
        (Fault.malformed(), ProviderUnavailable, {"status_code": 200}),
    ],
)
async def test_responses_faults_map_to_errors(fake, client, clock, fault, error, attrs):
    fake.script("codex", [fault])
    with pytest.raises(error) as caught:
        await responses(fake, client, clock).complete(CompletionRequest(prompt="x"))
    assert type(caught.value) is error
    assert caught.value.provider == "codex"
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value
    assert str(caught.value).startswith("codex ")


async def test_rate_limit_message_reads_well(fake, client, clock):
    fake.script("codex", [Fault.rate_limited(retry_after=12)])
    with pytest.raises(RateLimited, match=r"^codex rate limited \(429\): retry after 12s: Rate limit reached"):
        await responses(fake, client, clock).complete(CompletionRequest(prompt="x"))


async def test_fakes_own_limit_gives_rate_limited_with_its_wait(fake, client, clock):
    fake.set_limits("codex", Limits(requests_per_minute=1))
    adapter = responses(fake, client, clock)
    await adapter.complete(CompletionRequest(prompt="x"))
    with pytest.raises(RateLimited) as caught:
        await adapter.complete(CompletionRequest(prompt="x"))
    assert 0 < caught.value.retry_after <= 60
    assert fake.stats("codex").limit_429 == 1


async def test_hang_past_timeout_is_unavailable(fake, client, clock):
    fake.script("codex", [Fault.hang(30)])
    with pytest.raises(ProviderUnavailable, match="codex timed out after 300ms"):
        await responses(fake, client, clock).complete(CompletionRequest(prompt="x", timeout=0.3))


async def test_adapter_default_timeout_applies(fake, client, clock):
    fake.script("codex", [Fault.hang(30)])
    with pytest.raises(ProviderUnavailable, match="timed out after 200ms"):
        await responses(fake, client, clock, timeout=0.2).complete(CompletionRequest(prompt="x"))


async def test_connection_refused_is_unavailable(client, clock):
    with FakeProviders() as fake:
        base = fake.base_url("codex")
    adapter = OpenAIResponsesAdapter(client=client, base_url=base, api_key="k", provider="codex", clock=clock,
                                     default_model="m")
    with pytest.raises(ProviderUnavailable, match="codex unreachable: ConnectError"):
        await adapter.complete(CompletionRequest(prompt="x"))


async def test_failed_status_in_a_200_is_unavailable(clock):
    body = {"id": "resp_1", "status": "failed", "output": [], "usage": None,
            "error": {"code": "server_error", "message": "The model failed to generate a response."}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://api.openai.com/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="m")
        with pytest.raises(ProviderUnavailable, match="The model failed to generate a response"):
            await adapter.complete(CompletionRequest(prompt="x"))


async def test_reasoning_items_are_skipped_and_cached_tokens_read(clock):
    body = {
        "model": "gpt-5.4-2026-03-05", "status": "completed",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "Part one. ", "annotations": []},
                {"type": "refusal", "refusal": "no"},
                {"type": "output_text", "text": "Part two.", "annotations": []}]},
        ],
        "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 20}, "output_tokens": 87,
                  "output_tokens_details": {"reasoning_tokens": 50}, "total_tokens": 123},
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://api.openai.com/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="gpt-5.4")
        result = await adapter.complete(CompletionRequest(prompt="x"))
    assert result.text == "Part one. Part two."
    assert (result.model, result.input_tokens, result.cached_input_tokens, result.output_tokens) == (
        "gpt-5.4-2026-03-05", 36, 20, 87)
    assert result.rate_limit is None


async def test_rate_limit_headers_are_read_whatever_their_case(clock):
    body = {"model": "gpt-5.4", "output": [], "usage": {"input_tokens": 3, "output_tokens": 4}}
    headers = [("X-RateLimit-Limit-Requests", "500"), ("x-ratelimit-remaining-requests", "499"),
               ("X-Ratelimit-Limit-Tokens", "30000"), ("X-RATELIMIT-REMAINING-TOKENS", "29000"),
               ("x-ratelimit-reset-tokens", "2s")]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body, headers=headers))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://api.openai.com/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="gpt-5.4")
        observed = (await adapter.complete(CompletionRequest(prompt="x"))).rate_limit
    assert (observed.requests_limit, observed.requests_remaining) == (500, 499)
    assert (observed.tokens_limit, observed.tokens_remaining) == (30000, 29000)
    assert observed.tokens_reset_at == clock.now() + 2 and observed.requests_reset_at is None


async def test_unexpected_json_shape_is_unavailable(clock):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"object": "response"}))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://x/v1", api_key="k", provider="codex",
                                         clock=clock, default_model="m")
        with pytest.raises(ProviderUnavailable, match="malformed response"):
            await adapter.complete(CompletionRequest(prompt="x"))


async def test_probe_sends_a_minimal_request_and_raises_on_failure(fake, client, clock):
    adapter = responses(fake, client, clock)
    await adapter.probe()
    assert fake.last_request("codex").json["max_output_tokens"] == 16
    fake.script("codex", [Fault.status(503)])
    with pytest.raises(ProviderUnavailable):
        await adapter.probe()


async def test_keyless_endpoint_sends_no_authorization(fake, client, clock):
    adapter = responses(fake, client, clock, api_key=None)
    with pytest.raises(AuthFailed):  # the fake, like OpenAI, wants a key
        await adapter.complete(CompletionRequest(prompt="x"))
    assert "authorization" not in fake.last_request("codex").headers


OK_BODY = {"model": "m", "output": [], "usage": {"input_tokens": 1, "output_tokens": 1}}


async def test_request_is_json_with_our_agent_and_the_clients_timeout_when_none_is_set(clock):
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(7.0, connect=2.0)) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://api.openai.com/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="m")
        await adapter.complete(CompletionRequest(prompt="héllo 👋"))
        await adapter.complete(CompletionRequest(prompt="again", timeout=3.0))
    first, second = seen
    assert str(first.url) == "https://api.openai.com/v1/responses"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"] == "switchboard-mcp" and first.headers["authorization"] == "Bearer k"
    assert first.headers["content-length"] == str(len(first.content))
    assert first.content.decode("utf-8") == '{"model":"m","input":"héllo 👋","store":false}'
    assert first.extensions["timeout"] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    # connecting (and a free pooled connection) time out first: a host that never accepts is not the whole deadline;
    # reads and writes are bounded by that deadline alone (a timeout of their own could not end first)
    assert second.extensions["timeout"] == {"connect": 1.5, "read": None, "write": None, "pool": 1.5}


async def test_half_an_emoji_in_the_context_is_sent_as_a_replacement_character(clock):
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=transport) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://api.openai.com/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="m")
        await adapter.complete(CompletionRequest(prompt="x", context="cut here \ud83d"))
    assert "cut here \ufffd" in seen[0].read().decode("utf-8")


async def test_the_clients_mounts_and_proxies_still_choose_the_transport(clock):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("not this way", request=request)

    mounted = httpx.MockTransport(lambda request: httpx.Response(200, json=OK_BODY))
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse),
                                 mounts={"https://proxy.example": mounted}) as c:
        adapter = OpenAIResponsesAdapter(client=c, base_url="https://proxy.example/v1", api_key="k",
                                         provider="codex", clock=clock, default_model="m")
        assert (await adapter.complete(CompletionRequest(prompt="x"))).output_tokens == 1
