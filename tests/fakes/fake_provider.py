"""A fake OpenAI + Anthropic + Gemini server on 127.0.0.1, with scripted faults and its own rate limits.

    with FakeProviders(latency={"codex": 0.2}, limits={"codex": Limits(requests_per_minute=60)}) as fake:
        fake.base_url("codex")                      # http://127.0.0.1:PORT/codex/v1  (OpenAI base includes /v1)
        fake.script("claude", [Fault.status(529), Fault.ok()])
        fake.stats("codex").limit_429               # 429s the fake's own limiter sent

Routes under ``/{name}``: ``/v1/responses``, ``/v1/chat/completions`` (OpenAI), ``/v1/messages`` (Anthropic),
``/v1beta/models/{model}:generateContent`` (Gemini). Tokens are counted as ceil(chars / 4). Scripted faults are
consumed one per request, before the limiter, and do not use up the limits; an empty script answers normally.
Control routes for other processes: ``GET /_fake/stats``, ``POST /_fake/reset``, ``POST /_fake/configure``.
Standalone: ``python -m tests.fakes.fake_provider --port N [--latency codex=0.2] [--rpm codex=60] ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.fake_limits import Limits, SlidingWindow, TokenBucket
from tests.fakes.fake_script import Fault, ProviderStats, RecordedRequest

__all__ = ["FakeProviders", "Fault", "Limits", "ProviderStats", "RecordedRequest", "WIRE_OF", "main"]
from tests.fakes.fake_wire import WIRES, retry_after_header

WIRE_OF = {"codex": "openai", "claude": "anthropic", "gemini": "gemini"}


@dataclass
class _Provider:
    stats: ProviderStats = field(default_factory=ProviderStats)
    script: deque[Fault] = field(default_factory=deque)
    requests: deque[RecordedRequest] = field(default_factory=lambda: deque(maxlen=10_000))
    window: SlidingWindow | TokenBucket | None = None


class FakeProviders:
    def __init__(
        self,
        *,
        latency: Mapping[str, float] | None = None,
        limits: Mapping[str, Limits] | None = None,
        output_tokens: Mapping[str, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._latency = dict(latency or {})
        self._limits = dict(limits or {})
        self._output_tokens = dict(output_tokens or {})
        self._clock = clock
        self._wall = wall  # the epoch of absolute reset times (Anthropic's); the limits run on ``clock``
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # notified as each request arrives
        self._providers: dict[str, _Provider] = {}
        # proto=IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (it checks the proto);
        # without it, Nagle holds each response body ~40 ms on keep-alive connections.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self._loop = asyncio.new_event_loop()
        self._closing: asyncio.Event | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> FakeProviders:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        config = uvicorn.Config(self._app(), log_config=None, log_level="warning", access_log=False,
                                lifespan="off", http="h11", loop="asyncio", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="fake-providers", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake provider server did not start")
            time.sleep(0.002)

    def close(self) -> None:
        if self._server is None or self._thread is None:
            return
        if self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self._server = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._closing = asyncio.Event()
            assert self._server is not None
            await self._server.serve(sockets=[self._sock])

        try:
            self._loop.run_until_complete(serve())
        finally:
            self._loop.close()

    # -- the test's controls -----------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, provider: str) -> str:
        """The base URL an adapter for ``provider`` takes (OpenAI's includes /v1, as OPENAI_BASE_URL does)."""
        suffix = "/v1" if WIRE_OF.get(provider, "openai") == "openai" else ""
        return f"{self.root_url}/{provider}{suffix}"

    def script(self, provider: str, faults: Iterable[Fault]) -> None:
        with self._lock:
            self._state(provider).script.extend(faults)

    def set_latency(self, provider: str, seconds: float) -> None:
        with self._lock:
            self._latency[provider] = seconds

    def set_limits(self, provider: str, limits: Limits | None) -> None:
        with self._lock:
            if limits is None:
                self._limits.pop(provider, None)
            else:
                self._limits[provider] = limits
            self._state(provider).window = None

    def spend(self, provider: str, requests: int = 0, tokens: int = 0) -> None:
        """Another tool on the same key: use up ``requests`` and ``tokens`` of the provider's limits now."""
        with self._lock:
            window = self._state(provider).window
            assert window is not None, f"no limits set for {provider}"
            window.take(self._clock(), requests, tokens)

    def stats(self, provider: str) -> ProviderStats:
        with self._lock:
            return replace(self._state(provider).stats)

    def requests(self, provider: str) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state(provider).requests)

    def wait_for_requests(self, provider: str, count: int = 1, timeout: float = 60.0) -> bool:
        """Whether ``provider`` has had ``count`` requests, waiting up to ``timeout`` seconds for them."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self._state(provider).stats.requests >= count, timeout)

    def end_hangs(self) -> None:
        """Answer every request hanging on Fault.hang now, and any later one at once (as closing does)."""
        if self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)

    def last_request(self, provider: str) -> RecordedRequest:
        return self.requests(provider)[-1]

    def reset(self, *, settings: bool = False) -> None:
        """Forget scripts, stats, recorded requests and limit windows; with ``settings``, latency and limits too."""
        with self._lock:
            self._providers.clear()
            if settings:
                self._latency.clear()
                self._limits.clear()
                self._output_tokens.clear()

    # -- serving -----------------------------------------------------------------------------------------
    def _state(self, provider: str) -> _Provider:
        state = self._providers.get(provider)
        if state is None:
            state = self._providers[provider] = _Provider()
        if state.window is None and provider in self._limits:
            limits = self._limits[provider]
            state.window = (TokenBucket if limits.bucket else SlidingWindow)(limits)
        return state

    def _app(self) -> Starlette:
        def endpoint(wire: str):
            async def handle(request: Request) -> Response:
                return await self._handle(request, wire)
            return handle

        return Starlette(routes=[
            Route("/_fake/stats", self._stats_route, methods=["GET"]),
            Route("/_fake/reset", self._reset_route, methods=["POST"]),
            Route("/_fake/configure", self._configure_route, methods=["POST"]),
            Route("/{provider}/v1/responses", endpoint("openai"), methods=["POST"]),
            Route("/{provider}/v1/chat/completions", endpoint("openai"), methods=["POST"]),
            Route("/{provider}/v1/messages", endpoint("anthropic"), methods=["POST"]),
            Route("/{provider}/v1beta/models/{model_action}", endpoint("gemini"), methods=["POST"]),
        ])

    async def _handle(self, request: Request, wire_name: str) -> Response:
        name, wire = request.path_params["provider"], WIRES[wire_name]
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = RecordedRequest(request.method, request.url.path, headers, dict(request.query_params), body,
                                 time.time())
        with self._lock:
            state = self._state(name)
            state.requests.append(record)
            state.stats.requests += 1
            state.stats.in_flight += 1
            state.stats.max_in_flight = max(state.stats.max_in_flight, state.stats.in_flight)
            self._arrived.notify_all()
            fault = state.script.popleft() if state.script else Fault.ok()
            latency = self._latency.get(name, 0.0)
        status = 0  # no answer: the client went away (cancelled) before it was sent
        try:
            status, payload, extra = await self._answer(name, wire, request, body, headers, fault, latency)
        finally:
            with self._lock:
                state.stats.in_flight -= 1
                state.stats.ok += status == 200 and fault.kind == "ok"
                state.stats.sent_429 += status == 429
                state.stats.faults += fault.kind != "ok"
        extra = {**wire.request_id_header(), **extra}
        if isinstance(payload, str):
            return Response(payload, status, extra, media_type="application/json")
        return JSONResponse(payload, status, extra)

    async def _answer(self, name, wire, request, body, headers, fault, latency):
        if not isinstance(body, dict):
            return 400, {"error": {"message": "We could not parse the JSON body of your request."}}, {}
        refused = wire.auth_error(headers, dict(request.query_params))
        if refused is not None:
            return refused
        texts, max_tokens, model = wire.request_parts(request.url.path, body)
        if fault.kind == "hang":
            assert self._closing is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=fault.seconds)
        elif latency:
            await asyncio.sleep(latency)
        if fault.kind == "malformed":
            return 200, '{"id": "resp_broken", "output": [', {}
        if fault.kind == "failed":
            return 200, wire.failed(model, fault.error_code, fault.text or "", fault.usage), retry_after_header(fault.retry_after)
        if fault.kind in ("refused", "blocked"):  # read and billed, as an answer: the prompt's tokens and any output
            tokens_in, tokens_out = math.ceil(sum(len(t or "") for t in texts) / 4), fault.output_tokens or 0
            kw = {"blocked": True} if fault.kind == "blocked" else {}
            return 200, wire.refused(request.url.path, model, tokens_in, tokens_out, fault.reason, fault.with_usage,
                                     **kw), {}
        if fault.kind not in ("ok", "hang"):
            status, payload, extra = wire.fault(fault.kind, fault.code, model, fault.retry_after)
            if fault.kind == "status" and status >= 500 and fault.retry_after is not None:  # a 503/529 naming a wait
                extra = {**extra, **retry_after_header(fault.retry_after)}
            if not fault.retry_after_header:
                extra = {k: v for k, v in extra.items() if k != "retry-after"}
            return status, payload, {**extra, **(fault.headers or {})}
        text = fault.text if fault.text is not None else f"{name} fake answer to: {texts[-1][:80] if texts else ''}"
        tokens_in = math.ceil(sum(len(t or "") for t in texts) / 4)
        tokens_out = fault.output_tokens or self._output_tokens.get(name) or math.ceil(len(text) / 4)
        truncated = max_tokens is not None and tokens_out > max_tokens
        tokens_out = min(tokens_out, max_tokens) if max_tokens is not None else tokens_out
        limit_headers: dict[str, str] = {}
        with self._lock:
            state = self._state(name)
            if state.window is not None:
                admission = state.window.admit(self._clock(), tokens_in + tokens_out)
                if not admission.admitted:
                    state.stats.limit_429 += 1
                    limits = state.window.limits
                    limit = limits.requests_per_minute if admission.dimension == "requests" else limits.tokens_per_minute
                    status, payload, extra = wire.throttled(model, admission.dimension, limit, admission.retry_after)
                    window_state = state.window.state(self._clock())
                    return status, payload, {**wire.limit_headers(limits, window_state, self._wall()), **extra}
                limit_headers = wire.limit_headers(state.window.limits, state.window.state(self._clock()), self._wall())
            state.stats.tokens += tokens_in + tokens_out
        return 200, wire.ok(request.url.path, model, text, tokens_in, tokens_out, truncated), limit_headers

    async def _stats_route(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse({name: asdict(p.stats) for name, p in self._providers.items()})

    async def _reset_route(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"reset": True})

    async def _configure_route(self, request: Request) -> Response:
        """Body: {"latency": {name: s}, "limits": {name: {requests_per_minute, ...}}, "script": {name: [fault]}}."""
        data = await request.json()
        for name, seconds in (data.get("latency") or {}).items():
            self.set_latency(name, float(seconds))
        for name, limits in (data.get("limits") or {}).items():
            self.set_limits(name, Limits(**limits) if limits else None)
        for name, faults in (data.get("script") or {}).items():
            self.script(name, [Fault(**f) for f in faults])
        return JSONResponse({"configured": True})


def _pairs(values: list[str], cast: Callable[[str], Any]) -> dict[str, Any]:
    return {name: cast(value) for name, value in (v.split("=", 1) for v in values)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", action="append", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--rpm", action="append", default=[], metavar="NAME=N")
    parser.add_argument("--tpm", action="append", default=[], metavar="NAME=N")
    parser.add_argument("--window", type=float, default=60.0, help="limit window in seconds")
    parser.add_argument("--bucket", action="store_true", help="limits refill continuously (token buckets)")
    parser.add_argument("--output-tokens", action="append", default=[], metavar="NAME=N")
    args = parser.parse_args(argv)
    rpm, tpm = _pairs(args.rpm, int), _pairs(args.tpm, int)
    limits = {n: Limits(rpm.get(n), tpm.get(n), args.window, args.bucket) for n in {*rpm, *tpm}}
    fake = FakeProviders(latency=_pairs(args.latency, float), limits=limits,
                         output_tokens=_pairs(args.output_tokens, int), host=args.host, port=args.port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with fake:
        urls = {name: fake.base_url(name) for name in WIRE_OF}
        print(json.dumps({"root": fake.root_url, "base_urls": urls}), flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
