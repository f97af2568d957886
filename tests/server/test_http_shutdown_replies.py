"""A tool call cancelled when the HTTP server stops is answered with an error for its request (in process)."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp.types import JSONRPCError, jsonrpc_message_adapter

from server.http_shutdown import StreamsEndOnShutdown


def call(request_id: int | str, *, pad: int = 0, id_last: bool = False) -> bytes:
    params = {"name": "dispatch_agent", "arguments": {"task": "Explain the OAuth2 flow " + "x" * pad}}
    if id_last:  # the TypeScript SDK writes {...request, jsonrpc, id}
        return json.dumps({"method": "tools/call", "params": params, "jsonrpc": "2.0", "id": request_id}).encode()
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}).encode()


async def stopped_while_running(body: bytes, *, streaming: bool) -> list[dict]:
    """What the client is sent when the server stops, and the grace passes, while a call runs on ``body``."""
    running, sent = asyncio.Event(), []
    chunks = [body[i:i + 8192] for i in range(0, len(body), 8192)]
    pending = [{"type": "http.request", "body": c, "more_body": n < len(chunks) - 1} for n, c in enumerate(chunks)]

    async def receive() -> dict:
        return pending.pop(0) if pending else await asyncio.Event().wait()

    async def send(message: dict) -> None:
        sent.append(message)

    async def app(scope, receive, send) -> None:  # a tool call whose provider never answers
        while (await receive()).get("more_body"):
            pass
        if streaming:  # a 2025-era call's answer streams, a progress notification already on it
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "more_body": True,
                        "body": b'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\r\n\r\n'})
        running.set()
        await asyncio.Event().wait()

    wrapped = StreamsEndOnShutdown(app)
    task = asyncio.create_task(wrapped({"type": "http", "method": "POST", "path": "/mcp", "headers": []}, receive, send))
    await running.wait()
    wrapped.stop()
    task.cancel()  # uvicorn's, once the grace has passed
    await task
    return sent


@pytest.mark.parametrize("body", [call(7), call("a-7", pad=100_000), call(7, pad=100_000, id_last=True)])
async def test_a_json_answer_never_sent_is_a_503_json_rpc_error_for_the_request(body):
    # Before, a 503 with no body: a Python-SDK client said 'Server returned an error response'.
    start, end = await stopped_while_running(body, streaming=False)
    assert start["status"] == 503 and (b"content-type", b"application/json") in start["headers"]
    reply = jsonrpc_message_adapter.validate_json(end["body"], by_name=False)
    assert isinstance(reply, JSONRPCError) and reply.id == json.loads(body)["id"]
    assert "Switchboard stopped" in reply.error.message and "audited as cancelled" in reply.error.message
    assert not end["more_body"]


@pytest.mark.parametrize("body", [call(7), call(8, pad=100_000, id_last=True)])
async def test_a_streamed_answer_gets_the_error_as_its_last_event(body):
    # Before, the stream just ended: the TypeScript SDK's client (Claude Code's) kept waiting for the answer.
    sent = await stopped_while_running(body, streaming=True)
    event, end = sent[-2]["body"].decode(), sent[-1]
    assert event.startswith("event: message\r\ndata: ") and event.endswith("\r\n\r\n")
    reply = jsonrpc_message_adapter.validate_json(event.split("data: ", 1)[1], by_name=False)
    assert isinstance(reply, JSONRPCError) and reply.id == json.loads(body)["id"]
    assert end == {"type": "http.response.body", "body": b"", "more_body": False}
