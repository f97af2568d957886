"""The ids of a batch's tasks: results and audit lines name tasks by id, so no two may share one."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

from router_core.errors import InvalidRequest


def task_named(index: int) -> str:
    """A batch's task as a message names it: counted from 1 for people, with its index (0-based, the position
    in the tasks array and the ``index`` of its item and result) for programs, "task 3 (index 2)"."""
    return f"task {index + 1} (index {index})"


def batch_task_ids(given: Sequence[str | None]) -> list[str]:
    """``given`` (an id per task, None for none) with made ids (``task-N``) filled in; two tasks given the
    same id are an InvalidRequest naming both, and a made id never takes an id a task was given."""
    first_with: dict[str, int] = {}
    for n, task_id in enumerate(given):
        if task_id and task_id in first_with:
            first = first_with[task_id]
            raise InvalidRequest(f"tasks {first + 1} and {n + 1} (index {first} and {n}) have the same id "
                                 f"{task_id!r}: give each task its own id, or none (one is made)")
        if task_id:
            first_with[task_id] = n
    return [task_id or _free_id(f"task-{n}", first_with) for n, task_id in enumerate(given)]


def _free_id(wanted: str, taken: Container[str]) -> str:
    """``wanted``, or ``wanted`` with the first suffix -2, -3... that no task of the batch was given."""
    found, k = wanted, 1
    while found in taken:
        k += 1
        found = f"{wanted}-{k}"
    return found


_RESERVED_IN_BATCH = re.compile(r"(batch-[0-9a-f]{12})/(.+)", re.DOTALL)  # a batch id is "batch-" and 12 hex digits


def reserved_as(task_id: str, batch_id: str | None) -> str:
    """The task a budget reservation names: a batch's task with its batch ("batch-0123456789ab/task-0"), as made
    ids are in every batch, so that a charged_dead_call line found by another process names the batch too."""
    return f"{batch_id}/{task_id}" if batch_id else task_id


def reserved_task(reserved: str | None) -> tuple[str | None, str | None]:
    """(batch id, task id) of a reservation's task as ``reserved_as`` wrote it; (None, it) for one of no batch."""
    found = _RESERVED_IN_BATCH.fullmatch(reserved) if reserved else None
    return (found[1], found[2]) if found else (None, reserved)
