"""The process's HTTP client (adapters.http_client) takes its proxies from the environment, as curl does:
HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, and NO_PROXY for the hosts to reach directly."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from router_core.execution.adapters import build_adapters, http_client
from router_core.providers.base import CompletionRequest

ANSWER = {"model": "m", "output": [{"type": "message", "content": [{"type": "output_text", "text": "hi"}]}],
          "usage": {"input_tokens": 1, "output_tokens": 1}}
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every POST (a proxy, or the provider itself), and the targets it was sent."""
    targets: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            targets.append(self.path)
            body = json.dumps(ANSWER).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", targets
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def no_proxies(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def answer(settings, clock, base_url: str) -> str:
    async with http_client(settings) as client:
        adapters = build_adapters(settings, client=client, clock=clock, which=lambda _: None,
                                  environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": base_url})
        return (await adapters["codex"].complete(CompletionRequest(prompt="x", timeout=30.0))).text


async def test_the_proxy_in_the_environment_carries_the_call(settings, clock, server, no_proxies, monkeypatch):
    proxy, targets = server
    monkeypatch.setenv("HTTP_PROXY", proxy)
    # Nothing listens at the provider's address: only the proxy can answer.
    assert await answer(settings, clock, "http://127.0.0.1:9/v1") == "hi"
    assert targets == ["http://127.0.0.1:9/v1/responses"]  # the absolute URL: the request went to the proxy


async def test_a_host_in_no_proxy_is_reached_directly(settings, clock, server, no_proxies, monkeypatch):
    provider, targets = server
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens: the call fails if it goes there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert await answer(settings, clock, f"{provider}/v1") == "hi"
    assert targets == ["/v1/responses"]
