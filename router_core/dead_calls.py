"""The audit line of a call charged for a process that died in it (kill -9 while the provider answered).

The killed process wrote no line, so its charge was spend `switchboard budget` counted and the audit log, its report
and the dashboard's recent decisions did not. Whichever process finds the dead reservation (budget.py ``_expire``)
writes one line per charged call: the provider, the task's id (and a batch task's batch: batch_ids.reserved_as), the
budget day it counts against, the estimate charged and when the reservation was made. The report counts it as an
estimate, replaced by the actual cost a later line of the same run brings (a holder that was only silent, and settles
after all: its run began before that reservation was made; a retry under the same task id began after)."""

from __future__ import annotations

import logging
from typing import Any

from router_core.audit import JsonlAuditLog
from router_core.batch_ids import reserved_task
from router_core.errors import StateUnusable
from router_core.records import iso_ms
from router_core.store.ledger import DeadCallCharge, reservation_made_at, to_usd

logger = logging.getLogger(__name__)

EVENT = "charged_dead_call"


def dead_call_record(charge: DeadCallCharge, session_id: str) -> dict[str, Any]:
    """The line; a batch's task names its batch as a batch_task line does (the report matches a task by both)."""
    batch_id, task_id = reserved_task(charge.task_id)
    record = {
        "event": EVENT, "session_id": session_id, "provider": charge.provider, "task_id": task_id,
        "budget_day": charge.day, "cost_charged_usd": to_usd(charge.micro_usd), "holder": charge.holder,
        "reserved_at": iso_ms(reservation_made_at(charge.reservation_id)),  # which run of the task it was
        "reason": "its process ended (or went silent) while the provider was answering: charged at the call's estimate",
    }
    if batch_id is not None:
        record["batch"] = {"batch_id": batch_id}
    return record


def audit_dead_calls(audit: JsonlAuditLog, session_id: str, charges: list[DeadCallCharge]) -> None:
    """Write each charge's line; a log that cannot be written (a full disk) is logged, not raised: this runs after
    the charge's commit, inside whatever read or reservation found it."""
    for charge in charges:
        try:
            audit.append(dead_call_record(charge, session_id))
        except (OSError, StateUnusable) as exc:
            logger.error("%s: charged_dead_call line for task %s not written (%s)", charge.provider,
                         charge.task_id, exc)
