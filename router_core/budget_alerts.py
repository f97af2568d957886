"""Budget alerts (design 8.3): each threshold fires once a day per daily total, in one process of all on the state dir.

A decision announces a threshold when its process claims it: an insert-or-ignore of (day, threshold, micro_total)
into ``budget_alerts`` (schema 15) in the ledger's write transaction, which exactly one process wins. Keyed on the
total too: a total raised during the day announces a threshold again once spend crosses it under the new total
(80% of $10 fired, the total raised to $20: $16 is 80% again), and processes with different totals (a project file
may lower it) each announce each threshold once under their own, never the same alert twice. A total edited back
to one already used that day announces nothing again.

Thresholds passed together (spend from 70% to 92% in one settlement) are claimed each on its own, so that no process
announces the lower one later, and worded as one announcement at the highest one's level that names them
(BudgetLimits.passed_alerts): a decision says it once, not an INFO and a CRITICAL that each said 92%.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router_core.models import BudgetAlert, BudgetSnapshot
from router_core.store import ledger
from router_core.store.ledger import to_micro

if TYPE_CHECKING:
    from router_core.budget import BudgetLedger
    from router_core.budget_limits import BudgetLimits
    from router_core.store.db import Database


def claim_alerts(db: Database, limits: BudgetLimits, day: str, now: float, holder: str) -> list[BudgetAlert]:
    """The thresholds ``day``'s spend has passed under ``limits``' total that no process has claimed yet under it,
    claimed now for ``holder`` (BudgetLedger.claim_alerts)."""
    claimed = []
    with db.transaction() as conn:
        # The ones already claimed under this total read as they fired, so that the others are worded as one
        # announcement of only these (BudgetLimits.passed_alerts): after 80% fired in another process, spend at
        # 92% announces 90%, not "past the 80% and 90% thresholds at once".
        fired = ledger.fired_alerts(conn, day, limits.total_micro)
        done = {row["threshold"] for row in fired}
        for alert in limits.passed_alerts(ledger.day_totals(conn, day), fired):
            if alert.threshold in done:
                continue
            spent, total = to_micro(alert.spent), to_micro(alert.total)
            if ledger.claim_alert(conn, day, alert.threshold, alert.level, spent, total, alert.message, now, holder):
                claimed.append(alert)
    return claimed


class AlertClaims:
    """The alerts a process's decisions announce: claimed only when a threshold has passed that this process has not
    seen claimed under the day's total, so the common case (nothing new) costs no write transaction."""

    def __init__(self, budget_ledger: BudgetLedger) -> None:
        self._ledger = budget_ledger
        self._seen: dict[tuple[str, int], set[int]] = {}  # (day, micro total) -> thresholds seen claimed

    def due(self, budget: BudgetSnapshot) -> bool:
        """Whether :meth:`new` claims (a write): a threshold has passed that this process has not seen claimed."""
        if not budget.alerts:
            return False
        seen = self._seen.get((budget.day, to_micro(budget.total)), set())
        return not {a.threshold for a in budget.alerts} <= seen

    def new(self, budget: BudgetSnapshot) -> tuple[BudgetAlert, ...]:
        # The thresholds the ledger found passed, in exact micro-dollars: a percentage of the float sums
        # missed a threshold met exactly ($1.91 + $32.33 + $15.76 is 49.99999999999999).
        passed = {a.threshold for a in budget.alerts}
        key = (budget.day, to_micro(budget.total))
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) > 16:  # other days' and totals' (a long-running server): claimed again if ever seen
                self._seen.clear()
            seen = self._seen[key] = set()
        if passed <= seen:
            return ()
        alerts = tuple(self._ledger.claim_alerts())
        seen |= passed | {a.threshold for a in alerts}
        return alerts
