"""Words for a provider's failure: its name said once ("claude: rate limited (429)").

Shared by execution (attempts, outages, a task's summary) and the words that check a summary (budget_text.says),
so it imports nothing: routing, the tools' schemas and the budget's words use it without loading execution.
"""

from __future__ import annotations


def unnamed(provider: str, error: str | None) -> str:
    """``error`` without the provider's name it begins with ("claude rate limited (429)" -> "rate limited (429)"):
    a provider's errors name it, and so does every place that says them."""
    text = error or ""
    for named in (f"{provider}: ", f"{provider} "):
        if text.startswith(named):
            return text[len(named):]
    return text


def provider_said(provider: str, error: str | None) -> str:
    """A provider's failure, its name and its kind said once: "claude: rate limited (429)", "codex: outage (3
    consecutive failures); ...". The attempt's outcome is not said with it: its error says the same in words
    ("claude: rate_limited: claude rate limited (429)" before)."""
    return f"{provider}: {unnamed(provider, error)}"
