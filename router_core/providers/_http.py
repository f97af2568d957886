"""The shared shape of the HTTP adapters: build a request, POST it, map failures, parse the JSON.

The request is built here rather than through ``client.post``: the URL is parsed once per adapter and the
body encoded once, which takes a sixth off the client's CPU per call. Its default headers and cookies do not
apply (API calls need neither), and the timeout is set on the request.

It is sent through the transport the client picks for its URL (``_transport_for``: the shared connection
pool and its limits, or the proxy its mounts give, from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY or given)
by the public transport API, and a 2xx body read from the response's stream (see ``_send``). ``client.send``
did nothing else these calls need, for 13% of the instructions of a call (valgrind, against a local server):
an auth generator, a redirect loop, a timer, httpx's INFO log line, and the response's cookies put in the
client's jar (a ``urllib.request.Request`` built for every response, Set-Cookie or not; 9 of the 13%), which
no call reads. A client whose jar does not extract (a subclass) would have saved only the cookies, and only
for clients built so. The one private name used is ``AsyncClient._transport_for_url`` (in httpx 0.27 and
0.28; mounts have picked transports through it since 0.18), so the pick is httpx's own. A client without
it, or one whose ``send`` does more (auth, or credentials in the URL that it sends as Basic auth; event
hooks; redirects followed), is sent through ``send`` as before. The choice is made on a URL's first call
(nothing changes a client's settings after it is made).

The timeout (``CompletionRequest.timeout``, else the adapter's) bounds the whole call: httpx's timeouts
bound each connect, write and read, so a body trickled a byte at a time would never end; one cancel scope
around the send and the body's read puts a deadline on all of it. Within it, httpx gets only its connect and
pool timeouts (``_timeouts``). The two are read apart so a failure can tell a call the provider may bill (its
answer lost while it was being read) from one it never got (see ``_send``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import anyio
import httpx
import pydantic_core

from router_core.clock import Clock
from router_core.errors import NotConfigured, ProviderError, ProviderRejected
from router_core.inputs import surrogates_replaced
from router_core.providers.base import PROBE_PROMPT, Completion, CompletionRequest, RateLimitObservation
from router_core.providers.errors import (
    error_from_response,
    error_in_answer,
    malformed_response,
    timed_out,
    transport_error,
    without_body,
)

logger = logging.getLogger(__name__)

USER_AGENT = "switchboard-mcp"
_JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "User-Agent": USER_AGENT}
CONNECT_SECONDS = 10.0  # at most, for a connection (and for a free one from the pool)
_HEADER_SAFE = re.compile(r"[ -~]*\Z")  # printable ASCII: what a header value can carry as it is
_PICK_TRANSPORT = "_transport_for_url"  # AsyncClient's private method: see the module docstring
_MAX_URLS = 64  # parsed URLs kept per adapter: one per endpoint (and per model, for Gemini)


def json_body(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as httpx's ``json=`` sends it; a lone surrogate (text cut inside an emoji)
    becomes U+FFFD instead of failing the call."""
    try:
        return pydantic_core.to_json(body)
    except pydantic_core.PydanticSerializationError:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return surrogates_replaced(text).encode("utf-8")


def json_answer(content: bytes) -> Any:
    """``json.loads(content)``, parsed by pydantic_core in under half the time. A body it refuses (not JSON, and a
    few that json.loads takes: a lone surrogate's escape, a UTF-8 BOM, nesting past 200 levels) goes to json.loads,
    so the value or the error is always json.loads's; what both parse they parse alike (big integers, 1e400 as
    inf, NaN, the last of duplicate keys)."""
    try:
        return pydantic_core.from_json(content)
    except ValueError:
        return json.loads(content)


class HttpAdapter:
    """Base for the API adapters; subclasses define ``_build`` and ``_parse`` for one wire format."""

    backend = "api"
    probe_max_tokens = 1  # the smallest answer the API accepts

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str | None,
        provider: str,
        clock: Clock,
        default_model: str = "",
        timeout: float | None = None,
    ) -> None:
        self.name = provider
        self._client = client
        # A query in the base URL (Azure's ``?api-version=``, a gateway's parameter) goes after the endpoint
        # path each adapter appends to ``_base_url``, not before it (see ``_url``).
        base, _, query = base_url.partition("?")
        self._base_url = base.rstrip("/")
        self._base_query = query
        # Whitespace around a key (a CRLF .env file, a paste) is no part of it, and no header may end in it.
        self._api_key = (api_key or "").strip() or None
        self._key_unusable = self._api_key is not None and not _HEADER_SAFE.match(self._api_key)  # said per call
        self._clock = clock
        self._default_model = default_model
        self._timeout = timeout
        self._urls: dict[str, tuple[httpx.URL, httpx.AsyncBaseTransport, list[tuple[bytes, bytes]]]] = {}

    async def complete(self, request: CompletionRequest) -> Completion:
        model = request.model or self._default_model
        if not model:
            raise NotConfigured(f"{self.name}: no model in the request and no default model configured")
        if self._key_unusable:
            raise NotConfigured(self._unusable_key())
        url, headers, body = self._build(request, model)
        data, response_headers = await self._post(url, headers, body, request.timeout, model)
        try:
            return self._parse(data, response_headers, model, request)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            raise malformed_response(self.name, f"unexpected JSON shape ({type(exc).__name__}: {exc})") from exc

    async def probe(self) -> Completion:
        """The answer to a one-word prompt at the smallest cap. A 200 that is no usable answer (a reasoning or
        thinking model spends the cap on thinking and is cut before any text; a refusal) still shows the
        provider answering: it is the probe's answer, as billed, not a failure that keeps an outage open."""
        try:
            return await self.complete(CompletionRequest(prompt=PROBE_PROMPT, max_output_tokens=self.probe_max_tokens))
        except ProviderRejected as exc:
            if exc.billed is None:
                raise
            return exc.billed

    def _build(self, request: CompletionRequest, model: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        raise NotImplementedError

    def _parse(
        self, data: dict[str, Any], headers: Mapping[str, str], model: str, request: CompletionRequest
    ) -> Completion:
        raise NotImplementedError

    def _rate_limits(self, headers: Mapping[str, str]) -> RateLimitObservation | None:
        """What the response's rate-limit headers say, for an answer and an error alike; None: no such headers
        in this wire format."""
        return None

    async def _post(
        self, url: str, headers: dict[str, str], body: dict[str, Any], timeout: float | None, model: str = ""
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The JSON body and the headers (lower-case names; a plain dict: parsers look up a dozen absent
        rate-limit names, each a scan of every header in ``httpx.Headers``)."""
        seconds = timeout if timeout is not None else self._timeout
        limits = _timeouts(seconds, CONNECT_SECONDS) if seconds is not None else self._client.timeout.as_dict()
        try:
            parsed, transport, host = self._url(url)
            content = json_body(body)
            request = httpx.Request("POST", parsed, headers=_wire_headers(host, headers, content),
                                    stream=httpx.ByteStream(content), extensions={"timeout": dict(limits)})
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc, seconds) from exc
        with anyio.move_on_after(seconds) as deadline:  # seconds=None: no deadline
            response, content = await self._send(transport, request, seconds)
        if deadline.cancelled_caught:
            raise timed_out(self.name, seconds, "the whole call", maybe_billed=True)
        if response.status_code >= 300:
            setting, example = (self._base_url_setting() if response.status_code < 400 or response.status_code == 404
                                else ("", ""))
            error = error_from_response(self.name, response, self._clock.now(), base_url_setting=setting,
                                        model=model, base_url_example=example)
            logger.info("%s: HTTP %s -> %s", self.name, response.status_code, type(error).__name__)
            raise self._with_rate_limits(error, response)
        try:
            data = json_answer(content)  # as response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
            raise malformed_response(self.name, "body is not JSON", response.status_code) from exc
        if not isinstance(data, dict):
            raise malformed_response(self.name, "body is not a JSON object", response.status_code)
        embedded = error_in_answer(data, response)
        if embedded is not None:
            error = error_from_response(self.name, embedded, self._clock.now(), model=model)
            logger.info("%s: HTTP 200 with an error body (%s) -> %s", self.name, embedded.status_code,
                        type(error).__name__)
            raise self._with_rate_limits(error, response)
        # httpx's own "HTTP Request: POST ..." line (INFO, shown by --verbose) is not logged on the transport; this
        # one says the same without the query (a gateway's parameters may carry a key).
        logger.debug("%s: POST %s -> HTTP %s", self.name, url, response.status_code)
        return data, dict(response.headers.items())

    async def _send(self, transport: httpx.AsyncBaseTransport, request: httpx.Request,
                    seconds: float | None) -> tuple[httpx.Response, bytes]:
        """The response and its body, read. A failure says whether the provider may bill the call: not before a
        response began (a refused or dropped connection, a proxy that closed it, a stale pooled connection:
        the request never reached the model), save a read timeout (it is working on the answer); yes while
        reading a 2xx answer. An error response whose body cannot be read is returned without it: its status
        and headers still say what happened.

        A 2xx answer's body, not encoded (we send no Accept-Encoding), is read straight from the stream and
        left off the response: ``aread`` wraps it in two async generators, two chunkers and a decoder that do
        nothing for it. Another answer (an error, a gzip body from a proxy) is read by ``aread``, which decodes
        it and keeps it on the response for the error mapping."""
        if self._client.is_closed:  # as send says: the pool is closed, a call would open connections none closes
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        try:
            response = await transport.handle_async_request(request)
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc, seconds) from exc
        response.request = request  # a MockTransport's response may have none; error messages name its URL
        try:
            if response.is_success and "content-encoding" not in response.headers:
                content = b"".join([chunk async for chunk in response.stream])
                await response.aclose()  # the connection goes back to the pool
            else:
                content = await response.aread()  # closes the response once the body is read
        except BaseException as exc:
            with anyio.CancelScope(shield=True):  # the connection goes back to the pool even on a deadline
                await response.aclose()
            if isinstance(exc, httpx.HTTPError) and response.status_code >= 300:  # an error response, its body lost:
                logger.info("%s: HTTP %s, body unreadable (%s)", self.name, response.status_code, exc)
                return without_body(response), b""  # mapped by its status and headers (a 429's Retry-After)
            if isinstance(exc, httpx.HTTPError):
                raise transport_error(self.name, exc, seconds, answering=response.is_success) from exc
            raise
        return response, content

    def _with_rate_limits(self, error: Exception, response: httpx.Response) -> Exception:
        """A provider error carrying its response's rate-limit headers: a 429 says how much the organisation
        has left (other tools may be spending it), as an answer's headers do."""
        if isinstance(error, ProviderError):
            error.rate_limit = self._rate_limits(dict(response.headers.items()))
        return error

    def _unusable_key(self) -> str:
        """Why the key cannot be sent, naming its variable and never quoting it: httpx refuses a non-ASCII
        letter (a bare UnicodeEncodeError) and h11 a control character (an error quoting the header, key and
        all, that read as an outage and was retried)."""
        from router_core.providers.registry import API_STYLES  # here: the registry imports this module

        wire = next((w for w in API_STYLES.values() if type(self) is w.adapter), None)
        var = " or ".join(wire.key_vars) if wire else "the API key's variable"
        at = next(i for i, ch in enumerate(self._api_key or "") if not " " <= ch <= "~")
        return (f"{self.name}: the API key has a character an HTTP header cannot carry (a control character or "
                f"a non-ASCII letter, at position {at + 1} of {len(self._api_key or '')}); check {var}")

    def _base_url_setting(self) -> tuple[str, str]:
        """Where this adapter's base URL comes from, and a right one for its wire format (the provider's own:
        OpenAI's includes /v1, Anthropic's and Gemini's do not), for the message of a redirect or a 404."""
        from router_core.providers.registry import API_STYLES  # here: the registry imports this module

        wire = next((w for w in API_STYLES.values() if type(self) is w.adapter), None)
        config = f"providers.{self.name}.base_url in the config"
        if wire is None:
            return config, ""
        var = wire.base_url_var
        return f"{var} (or {config} when {var} is unset)", wire.default_base_url

    def _url(self, url: str) -> tuple[httpx.URL, httpx.AsyncBaseTransport, list[tuple[bytes, bytes]]]:
        """The URL parsed, the transport that sends to it (the client's mounts are fixed when it is made), and the
        Host header httpx would give a request to it (none for a URL without a host)."""
        known = self._urls.get(url)
        if known is None:
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            full = f"{url}{'&' if '?' in url else '?'}{self._base_query}" if self._base_query else url
            parsed = httpx.URL(full)
            host = [(b"Host", parsed.netloc)] if parsed.host else []
            known = self._urls[url] = (parsed, _transport_for(self._client, parsed), host)
        return known


@functools.lru_cache(maxsize=16)
def _timeouts(seconds: float, connect_seconds: float) -> dict[str, float | None]:
    """httpx's per-phase timeouts of a call of ``seconds`` (made once per value: calls share one or two). Connecting
    and waiting for a pooled connection time out before the whole-call deadline can: a host that never accepts the
    connection is then a connect timeout (nothing sent, nothing billed), not the deadline. (``connect_seconds`` is
    CONNECT_SECONDS, read per call, so a changed one is not hidden by the memo.)

    Reads and writes get none: each would last ``seconds`` from its own start, after the call's deadline (``_post``'s
    cancel scope) began, so none could end first, and each took a timer of its own per read and write (about 1.3%
    of a dispatch's instructions)."""
    first = min(connect_seconds, seconds / 2)
    return httpx.Timeout(None, connect=first, pool=first).as_dict()


def _wire_headers(host: list[tuple[bytes, bytes]], headers: dict[str, str], content: bytes) -> list[tuple[bytes, bytes]]:
    """The headers ``httpx.Request(headers={**_JSON_HEADERS, **headers}, content=content)`` sends, in its order (Host
    first, Content-Length last), built without it: a request given its body as a stream adds none of its own, and
    skips the content encoding and the header merging it does per request (three quarters of the request's
    build). Values are encoded as httpx encodes them (ASCII; ``complete`` refused a key that is not)."""
    merged = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
    return [*host, *[(k.encode("ascii"), v.encode("ascii")) for k, v in merged.items()],
            (b"Content-Length", str(len(content)).encode("ascii"))]


def _transport_for(client: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport:
    """What ``client.send`` would hand the request to: the pool, or the proxy the client's mounts pick (see the
    module docstring); the client itself when its ``send`` does more than that."""
    pick = getattr(client, _PICK_TRANSPORT, None)
    if (pick is None or client.auth is not None or url.userinfo or client.follow_redirects
            or any(client.event_hooks.values())):
        return _ClientSend(client)
    return pick(url)


class _ClientSend(httpx.AsyncBaseTransport):
    """A client as a transport: its ``send``, the response's body left to read."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True)
