"""Run code that must not wait on a named pipe (FIFO), without hanging the suite when it does."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def without_waiting_on(fifo: Path, action: Callable[[], Any], what: str) -> Any:
    """``action()``'s result, or the exception it raised; fails the test with ``what`` if it waits for a writer
    on ``fifo`` (which is then given one, so the thread can end)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(action())
        except Exception as exc:  # handed to the test to check
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
        pytest.fail(f"{what} waited for a writer on a pipe")
    return outcome[0]
