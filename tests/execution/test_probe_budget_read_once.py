"""Whether an outage's due probe is refused for the budget, and the figures the refusal gives, come from one read of
the budget: two reads with a commit between them (another process releasing a reservation) refused the task for the
budget with "$N left, less than the probe" where N was more than the probe."""

from __future__ import annotations

from router_core.budget import BudgetLedger
from router_core.store.db import Database


def test_a_budget_freed_between_the_two_reads_does_not_refuse_with_room_left(settings, build_executor, clock):
    core, ex = build_executor(settings)
    circuits = core.execution_state.circuits
    for _ in range(circuits.threshold):
        circuits.record_failure("codex", "503")
    clock.advance(circuits.probe_interval)  # its probe is due
    other_db = Database(core.db.path)  # another process on the state dir
    other = BudgetLedger(other_db, clock, settings.budget, core.holder)
    left = min(core.ledger.snapshot().provider("codex").remaining, core.ledger.snapshot().remaining)
    held = other.reserve("codex", left)  # the budget has no room for the probe...
    reads = []
    snapshot = core.ledger.snapshot

    def read_then_free(*args, **kwargs):
        reads.append(snapshot(*args, **kwargs))
        if len(reads) == 1:
            other.release(held.id)  # ...until the other process gives its reservation back, after the first read
        return reads[-1]

    core.ledger.snapshot = read_then_free
    try:
        said = ex.outages.budget_refusal(circuits.state("codex"))
    finally:
        core.ledger.snapshot = snapshot
        other_db.close()
    # One read, which found no room: the refusal's figures are that read's. Before: a second read found the
    # reservation gone and said "its budget has $<all of it> left, less than the probe".
    assert said is not None and "its budget has $0.00 left" in said
    assert len(reads) == 1
