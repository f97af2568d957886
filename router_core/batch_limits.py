"""The most tasks one batch takes, and the most of them in flight at once: the run_batch tool's bounds,
which `switchboard batch` applies as well. A module of its own: the tools import it at start-up, and
router_core.batch_plan would bring the batch records with it (tests/router_core/test_decision_exports.py)."""

MAX_BATCH_TASKS = 500
MAX_BATCH_PARALLEL = 64
