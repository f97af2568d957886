"""Record the SQL a core runs on this thread's connection during one action."""

from __future__ import annotations


def traced(core, action):
    """``action()``'s result and the statements it ran, whitespace collapsed."""
    statements: list[str] = []
    conn = core.db.connection()
    conn.set_trace_callback(statements.append)
    try:
        result = action()
    finally:
        conn.set_trace_callback(None)
    return result, [" ".join(s.split()) for s in statements]
