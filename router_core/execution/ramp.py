"""After a hold ends, the requests that waited for it go one after another, not all in the same instant.

Every task and process waiting out a hold (a 429's retry-after, a 503's, an exhausted quota) wakes when it
ends, and the sliding window lets them all through if it has room: a burst at the provider that has just
told us to slow down. Providers enforce a per-minute limit over shorter intervals too (OpenAI: 60,000
requests a minute may be enforced as 1,000 a second), so that burst is a fresh round of 429s, in lock-step
again at the next hold's end. For one window after a hold ends, each request that fits the window takes a
slot instead: the first at the hold's end, each next one ``window / requests limit`` later (the provider's
own rate, evenly spread). A request whose slot is ahead waits for it and comes back with it. Slots are
handed out in the order requests ask, in the pacer's write transaction, so the spread is one sequence
across processes, the same whatever the timing of the wake-ups.
"""

from __future__ import annotations

from sqlite3 import Connection


def slot_ahead(conn: Connection, provider: str, hold_until: float, spacing: float, window: float, now: float,
               slot: float | None, tolerance: float) -> float | None:
    """The slot a request that fits the window must wait for, or None when it may go now. ``slot`` is the
    one it was given before, if any: at its time it goes, before it the request waits for it again, keeping
    its place (a slot from before a later hold is no slot). Call inside a write transaction; taking a new
    slot, now or ahead, moves the next one on by ``spacing``. No slot lies past the window after the hold:
    slots given to requests that never came back (a process killed, a batch cancelled) delay the others by
    at most that much, and after it pacing alone spreads the requests."""
    if slot is not None and hold_until <= slot:
        return None if slot <= now + tolerance else slot
    row = conn.execute("SELECT hold_until, next_slot FROM execution_ramp WHERE provider = ?", (provider,)).fetchone()
    free = row["next_slot"] if row is not None and row["hold_until"] == hold_until else hold_until
    mine = min(max(free, now), hold_until + window)
    conn.execute("INSERT OR REPLACE INTO execution_ramp (provider, hold_until, next_slot) VALUES (?, ?, ?)",
                 (provider, hold_until, mine + spacing))
    return mine if mine > now + tolerance else None
