"""Shared state for every Switchboard process on one machine: one SQLite file in WAL mode."""

from router_core.store.db import Database
from router_core.store.holders import current_holder, holder_alive

__all__ = ["Database", "current_holder", "holder_alive"]
