from __future__ import annotations

import copy

import pytest

# A literal state in the shape the server produces (server/dashboard docstring).
STATE = {
    "generated_at": "2025-01-11T10:30:00Z",
    "providers": [
        {
            "provider": "codex",
            "display_name": "OpenAI Codex",
            "backend": "api",
            "requests_used": 51,
            "requests_limit": 60,
            "requests_percent": 85.0,
            "tokens_used": 138000,
            "tokens_limit": 150000,
            "tokens_percent": 92.0,
            "available": False,
            "blocks": [{"reason": "tokens_percent >= 90%", "lifts_at": "2025-01-11T10:30:42Z", "outage": False},
                       {"reason": "budget: codex has no allocation (budget.allocation.codex = 0)", "lifts_at": None,
                        "outage": False}],
            "outage": False,
            "outage_detail": None,
        },
        {
            "provider": "gemini",
            "display_name": "Google Gemini",
            "backend": "cli",
            "requests_used": 47,
            "requests_limit": 60,
            "requests_percent": 78.3,
            "tokens_used": 850000,
            "tokens_limit": 1000000,
            "tokens_percent": 85.0,
            "available": True,
            "blocks": [],
            "outage": False,
            "outage_detail": None,
        },
        {
            "provider": "claude",
            "display_name": "Anthropic Claude",
            "backend": "api",
            "requests_used": 36,
            "requests_limit": 50,
            "requests_percent": 72.0,
            "tokens_used": 32000,
            "tokens_limit": 40000,
            "tokens_percent": 80.0,
            "available": True,
            "blocks": [],
            "outage": False,
            "outage_detail": None,
        },
    ],
    "budget": {
        "day": "2025-01-11",
        "timezone": "UTC",
        "total": 170.0,
        "spent": 22.1,
        "reserved": 0.45,
        "remaining": 147.45,
        "next_reset_at": "2025-01-12T00:00:00Z",
        "providers": {
            "codex": {"allocation": 30.0, "spent": 12.5, "reserved": 0.0, "remaining": 17.5},
            "gemini": {"allocation": 40.0, "spent": 1.2, "reserved": 0.0, "remaining": 38.8},
            "claude": {"allocation": 100.0, "spent": 8.4, "reserved": 0.45, "remaining": 91.15},
        },
        "alerts": [{"level": "info", "thresholds": [10], "message": "Spent $22.10 of $170.00 today (13%)"}],
    },
    "spend_by_day": {
        "2025-01-10": {"codex": 9.75, "gemini": 2.5, "claude": 14.0},
        "2025-01-11": {"codex": 12.5, "gemini": 1.2, "claude": 8.4},
    },
    "recent": [
        {
            "timestamp": "2025-01-11T10:29:00Z",
            "task_id": "task-12344",
            "task_description": "Write unit tests for the <script>alert(1)</script> parser",
            "recommendation": {
                "provider": "gemini",
                "provider_reason": "primary blocked, using fallback 1",
                "cost_estimate": "$0.02",
                "agent_assigned": "tester",
            },
        },
        {
            "timestamp": "2025-01-11T10:30:00Z",
            "task_id": "task-12345",
            "task_description": "Design distributed system architecture for data pipeline",
            "recommendation": {
                "provider": "claude",
                "provider_reason": "primary available",
                "cost_estimate": "$0.45",
                "agent_assigned": "claude-architect",
            },
            "execution_metrics": {"status": "success", "execution_time_seconds": 50, "cost_actual": "$0.51"},
        },
    ],
    "agents_in_use": {"claude-architect": 1, "tester": 2, "idle-agent": 0},
}


@pytest.fixture
def state() -> dict:
    return copy.deepcopy(STATE)
