"""record_feedback: tell the router whether a routed task went to the right provider (design Phase 4)."""

# No `from __future__ import annotations`: see tools/registry.py.

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field, WithJsonSchema

from router_core.settings import TASK_TYPES
from tools._context import core_from
from tools.errors import tool_errors
from tools.routing import Task
from tools.schemas import OutputModel

Provider = Literal["codex", "gemini", "claude"]
# The 14 task types, listed in the input schema so hosts see the choices, and validated by the core as before: its
# error for another value ("task_type '...' is unknown; use one of ...") is the one the CLI and the library give.
TaskType = Annotated[str, WithJsonSchema({"type": "string", "enum": list(TASK_TYPES)})]


class FeedbackOut(OutputModel):
    learned: bool
    reason: str


def record_feedback(
    task: Task,
    routed_provider: Annotated[Provider, Field(description=(
        "The provider Switchboard routes the task to now (classify_task's primary_provider); another is refused."))],
    correct_provider: Annotated[Provider, Field(description=(
        "Where it should go: routed_provider's confirms the routing, another provider corrects it."))],
    ctx: Context,
    task_type: Annotated[TaskType | None, Field(description="The right task type, if known.")] = None,
) -> FeedbackOut:
    """Record which provider a routed task should have gone to; the classifier learns it if that is safe.

    routed_provider must be where Switchboard routes the task now (corrections learned included): feedback naming
    another provider is refused, nothing recorded, and the error says where it routes and how to correct that."""
    with tool_errors():
        learned, reason = core_from(ctx).record_feedback(
            task, routed_provider=routed_provider, correct_provider=correct_provider, task_type=task_type
        )
    return FeedbackOut(learned=learned, reason=reason)
