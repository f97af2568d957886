"""A key a provider, a proxy or a CLI quotes in its error never reaches the host: a tool's result goes into the
host model's context, read by that model's provider, and into the host's own logs."""

from __future__ import annotations

import json

from router_core.errors import AuthFailed, NotConfigured, ProviderUnavailable
from router_core.execution.dispatch import dispatch
from tests.execution.test_dispatch import CODE_TASK
from tests.fakes.fake_provider import Fault
from tools.dispatch import dispatch_record

KEY = "sk-proj-Q7abcdefghijklmnopqrstuvWXyz0123456789"


async def test_a_key_echoed_in_a_providers_error_is_not_in_the_dispatch_result(settings, build_executor, fake):
    # Before, the dispatch result's error quoted the body as it came: "Incorrect API key provided: sk-proj-...".
    core, ex = build_executor(settings, providers=("codex",))
    said = f"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}"
    fake.script("codex", [Fault.failed("invalid_api_key", said)] * 5)
    r = await dispatch(core, ex, CODE_TASK, provider="codex")
    shown = json.dumps(dispatch_record(r.decision, r.outcome))
    assert "Incorrect API key provided: [redacted]" in shown
    assert KEY not in shown and KEY not in repr(r.outcome)


def test_every_router_error_message_is_scrubbed():
    proxy_page = "<h1>401</h1><pre>Authorization: Bearer abcdefgh12345678ZZ</pre>"
    assert "abcdefgh12345678ZZ" not in str(AuthFailed(f"claude rejected the key (401): {proxy_page}", provider="claude"))
    moved = NotConfigured("codex base URL redirects (302) to https://sso.example/cb?token=Zx9qWvT3nLpR7sYb2mKc")
    assert "Zx9qWvT3nLpR7sYb2mKc" not in str(moved) and "https://sso.example/cb?token=" in str(moved)
    unavailable = ProviderUnavailable(f"gemini CLI said: GEMINI_API_KEY=AIza{'x1' * 18} is invalid", provider="gemini")
    assert "AIza" not in str(unavailable) and unavailable.provider == "gemini"
