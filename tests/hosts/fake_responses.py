"""A fake OpenAI Responses API (streaming SSE) on 127.0.0.1 that makes Codex call one MCP tool.

First request: if the offered tools hold the `mcp__switchboard` namespace with the tool, answer with a
function call to it (Codex's namespaced shape); else say which namespaces it saw. Once the request
carries the tool's output, answer "FINAL: <output>". Every request body is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NAMESPACE = "mcp__switchboard"
USAGE = {
    "input_tokens": 10,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 5,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 15,
}


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def answer(body: dict[str, Any], tool: str, arguments: dict[str, Any], n: int) -> bytes:
    outputs = [
        i for i in body.get("input", []) if isinstance(i, dict) and i.get("type") == "function_call_output"
    ]
    offered = {t.get("name"): [s.get("name") for s in t.get("tools", [])] for t in body.get("tools", [])}
    if outputs:
        item = _message("FINAL: " + str(outputs[-1].get("output")))
    elif tool in offered.get(NAMESPACE, []):
        item = {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "namespace": NAMESPACE,
            "name": tool,
            "arguments": json.dumps(arguments),
            "status": "completed",
        }
    else:
        item = _message(f"NO TOOL: offered namespaces {sorted(k for k in offered if k)}")
    events = [
        {"type": "response.created", "response": {"id": f"resp_{n}"}},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": f"resp_{n}", "usage": USAGE}},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


@contextmanager
def fake_responses_api(tool: str, arguments: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yields (base_url ending in /v1, the request bodies received)."""
    requests: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            requests.append(body)
            data = answer(body, tool, arguments, len(requests))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # WebSocket upgrade attempts and discovery probes
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
