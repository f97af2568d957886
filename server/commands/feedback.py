"""`switchboard feedback`: record whether a routed task went to the right provider."""

from __future__ import annotations

from router_core.errors import InvalidRequest
from router_core.settings import PROVIDER_NAMES, TASK_TYPES
from server.commands._common import core, emit_json, router_errors


def register(sub) -> None:
    f = sub.add_parser("feedback", help="record the right provider for a routed task; the classifier learns it")
    f.add_argument("task", help="the task description as it was routed")
    f.add_argument("--routed", required=True, choices=PROVIDER_NAMES, help="where it was routed")
    f.add_argument("--correct", required=True, choices=PROVIDER_NAMES, help="where it should have gone")
    f.add_argument("--task-type", choices=TASK_TYPES, help="the right task type, if known")
    f.set_defaults(func=feedback)


@router_errors
def feedback(args) -> int:
    try:
        learned, reason = core().record_feedback(
            args.task, routed_provider=args.routed, correct_provider=args.correct, task_type=args.task_type
        )
    except InvalidRequest as exc:  # "task_type for claude must be one of ...": the tool's name, not the flag's
        message = str(exc)
        if not message.startswith("task_type "):
            raise
        raise InvalidRequest("--task-type " + message.removeprefix("task_type ")) from None
    emit_json({"learned": learned, "reason": reason})
    return 0
