"""The fake provider enforces its own limits, so tests elsewhere can prove Switchboard never exceeds one."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fakes.fake_limits import SlidingWindow, TokenBucket
from tests.fakes.fake_provider import FakeProviders, Fault, Limits

ROOT = Path(__file__).resolve().parents[2]


def openai_post(client: httpx.Client | httpx.AsyncClient, fake: FakeProviders, prompt: str = "x"):
    return client.post(f"{fake.base_url('codex')}/responses", headers={"Authorization": "Bearer k"},
                       json={"model": "m", "input": prompt})


def test_window_admits_up_to_the_request_limit_then_says_when():
    window = SlidingWindow(Limits(requests_per_minute=3))
    assert [window.admit(t, 1).admitted for t in (0.0, 10.0, 20.0)] == [True, True, True]
    refused = window.admit(30.0, 1)
    assert (refused.admitted, refused.dimension, refused.retry_after) == (False, "requests", 30.0)
    assert window.admit(60.0, 1).admitted  # the event at t=0 has left the window


def test_window_token_limit_and_oversized_request():
    window = SlidingWindow(Limits(tokens_per_minute=100))
    assert window.admit(0.0, 60).admitted
    assert window.admit(5.0, 30).admitted
    refused = window.admit(10.0, 20)
    assert (refused.dimension, refused.retry_after) == ("tokens", 50.0)  # once the 60 at t=0 leave
    too_big = window.admit(10.0, 101)
    assert (too_big.admitted, too_big.retry_after) == (False, None)
    state = window.state(10.0)
    assert (state.requests_used, state.tokens_used, state.tokens_reset) == (2, 90, 55.0)


def test_n_plus_first_request_in_a_minute_gets_429_and_is_counted():
    with FakeProviders(limits={"codex": Limits(requests_per_minute=5)}) as fake, httpx.Client() as client:
        statuses = [openai_post(client, fake).status_code for _ in range(6)]
        refused = openai_post(client, fake)
        stats = fake.stats("codex")
    assert statuses == [200] * 5 + [429]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert (stats.requests, stats.ok, stats.sent_429, stats.limit_429) == (7, 5, 2, 2)


def test_token_limit_counts_input_and_output():
    limits = {"claude": Limits(tokens_per_minute=100)}
    with FakeProviders(limits=limits, output_tokens={"claude": 40}) as fake, httpx.Client() as client:
        def ask():
            return client.post(f"{fake.base_url('claude')}/v1/messages",
                               headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
                               json={"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "abcd"}]})
        first, second, third = ask(), ask(), ask()
        assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
        assert first.json()["usage"] == {**first.json()["usage"], "input_tokens": 1, "output_tokens": 40}
        assert second.headers["anthropic-ratelimit-tokens-remaining"] == "18"
        assert third.json()["error"]["type"] == "rate_limit_error"
        assert fake.stats("claude").tokens == 82


def test_window_slides_with_the_injected_clock():
    now = [1000.0]
    with FakeProviders(limits={"codex": Limits(requests_per_minute=1)}, clock=lambda: now[0]) as fake, \
            httpx.Client() as client:
        assert openai_post(client, fake).status_code == 200
        assert openai_post(client, fake).status_code == 429
        now[0] += 60.0
        assert openai_post(client, fake).status_code == 200


def test_a_bucket_refills_continuously_and_says_when_it_is_full():
    bucket = TokenBucket(Limits(60, 600, 60.0, bucket=True))
    bucket.take(0.0, 60, 600)  # another tool on the key spent it all
    refused = bucket.admit(0.5, 10)
    assert (refused.admitted, refused.dimension, refused.retry_after) == (False, "requests", 0.5)
    assert bucket.admit(1.0, 10).admitted  # one request and 10 tokens are back after a second
    state = bucket.state(1.0)
    assert (state.requests_used, state.tokens_used) == (60, 600)
    assert (state.requests_reset, state.tokens_reset) == (pytest.approx(60.0), pytest.approx(60.0))
    assert bucket.admit(30.0, 500).dimension == "tokens"  # 290 back by then, not 500
    assert bucket.state(500.0).requests_used == 0  # full again, and no fuller


def test_bucket_headers_are_the_providers_own():
    now = [1000.0]
    limits = {name: Limits(60, None, 60.0, bucket=True) for name in ("codex", "claude")}
    with FakeProviders(limits=limits, clock=lambda: now[0], wall=lambda: now[0]) as fake, httpx.Client() as client:
        fake.spend("codex", requests=58)
        fake.spend("claude", requests=58)
        answer = openai_post(client, fake)
        assert (answer.headers["x-ratelimit-remaining-requests"], answer.headers["x-ratelimit-reset-requests"]) == (
            "1", "59s")
        assert openai_post(client, fake).status_code == 200
        refused = openai_post(client, fake)
        assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")
        assert "Please try again in 1s" in refused.json()["error"]["message"]
        claude = client.post(f"{fake.base_url('claude')}/v1/messages",
                             headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
                             json={"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})
        assert claude.headers["anthropic-ratelimit-requests-remaining"] == "1"
        assert claude.headers["anthropic-ratelimit-requests-reset"] == "1970-01-01T00:17:39Z"  # 1000 + 59 s


def test_gemini_limit_429_is_a_per_minute_quota_failure():
    with FakeProviders(limits={"gemini": Limits(requests_per_minute=1)}) as fake, httpx.Client() as client:
        url = f"{fake.base_url('gemini')}/v1beta/models/gemini-2.5-flash:generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
        assert client.post(url, params={"key": "k"}, json=body).status_code == 200
        refused = client.post(url, headers={"x-goog-api-key": "k"}, json=body)
    error = refused.json()["error"]
    assert (refused.status_code, error["status"]) == (429, "RESOURCE_EXHAUSTED")
    types = {d["@type"].rsplit(".", 1)[-1]: d for d in error["details"]}
    assert types["QuotaFailure"]["violations"][0]["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel"
    assert types["RetryInfo"]["retryDelay"].endswith("s")


def test_scripted_faults_come_in_order_then_ok(fake):
    fake.script("codex", [Fault.status(500), Fault.rate_limited(3)])
    with httpx.Client() as client:
        statuses = [openai_post(client, fake).status_code for _ in range(3)]
    assert statuses == [500, 429, 200]
    stats = fake.stats("codex")
    assert (stats.faults, stats.sent_429, stats.limit_429, stats.ok) == (2, 1, 0, 1)


async def test_concurrent_requests_are_served_together_and_peak_is_recorded(fake):
    fake.set_latency("codex", 0.2)
    async with httpx.AsyncClient() as client:
        responses = await asyncio.gather(*(openai_post(client, fake, f"task {i}") for i in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert fake.stats("codex").max_in_flight == 8


def test_records_requests_and_reports_request_ids(fake):
    with httpx.Client() as client:
        response = openai_post(client, fake, "hello")
    assert response.headers["x-request-id"].startswith("req_")
    sent = fake.last_request("codex")
    assert (sent.method, sent.path, sent.json["input"]) == ("POST", "/codex/v1/responses", "hello")


def test_reset_forgets_stats_and_settings(fake):
    fake.set_limits("codex", Limits(requests_per_minute=1))
    with httpx.Client() as client:
        openai_post(client, fake)
        fake.reset(settings=True)
        assert fake.stats("codex").requests == 0
        assert [openai_post(client, fake).status_code for _ in range(2)] == [200, 200]


@pytest.mark.slow
def test_standalone_server_for_other_processes():
    command = [sys.executable, "-m", "tests.fakes.fake_provider", "--port", "0", "--rpm", "codex=2",
               "--latency", "codex=0.01"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            info = json.loads(process.stdout.readline())
            base = info["base_urls"]["codex"]
            with httpx.Client() as client:
                statuses = [client.post(f"{base}/responses", headers={"Authorization": "Bearer k"},
                                        json={"model": "m", "input": "x"}).status_code for _ in range(3)]
                stats = client.get(f"{info['root']}/_fake/stats").json()
                script = {"claude": [{"kind": "status", "code": 529}]}
                client.post(f"{info['root']}/_fake/configure", json={"script": script})
                overloaded = client.post(f"{info['base_urls']['claude']}/v1/messages",
                                         headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
                                         json={"model": "m", "max_tokens": 5, "messages": []})
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert statuses == [200, 200, 429]
    assert (stats["codex"]["requests"], stats["codex"]["limit_429"]) == (3, 1)
    assert overloaded.status_code == 529
    assert process.returncode == 0
