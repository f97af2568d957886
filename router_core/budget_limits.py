"""What a budget ledger reads from its settings (budget.py): the limits a reservation must fit, and the alerts
its spend has passed, derived once per configuration."""

from __future__ import annotations

from dataclasses import dataclass
from sqlite3 import Row
from zoneinfo import ZoneInfo

from router_core.budget_text import alert_level, alert_message
from router_core.models import BudgetAlert
from router_core.settings import BudgetSettings
from router_core.store import ledger
from router_core.store.ledger import to_micro, to_usd


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """What the ledger reads from its settings, derived once per configuration: (provider, allocation) in the
    configured order, the daily total in micro-dollars, the alert thresholds (lowest first), the time zone, and each
    provider's allocation in micro-dollars (a provider not configured has none: 0), and the budget-tier providers
    (``cost_tier = "budget"``) an alert advises switching to (None: not known, every provider is named)."""

    settings: BudgetSettings
    allocations: tuple[tuple[str, float], ...]
    allocated: frozenset[str]
    total_micro: int
    thresholds: tuple[int, ...]
    tz: ZoneInfo
    allocation_micro: dict[str, int]
    budget_tier: frozenset[str] | None = None

    @classmethod
    def of(cls, settings: BudgetSettings, budget_tier: frozenset[str] | None = None) -> BudgetLimits:
        return cls(
            settings,
            allocations=tuple((name, settings.allocation(name)) for name, _ in settings.allocations),
            allocated=frozenset(name for name, _ in settings.allocations),
            total_micro=to_micro(settings.daily_total),
            thresholds=tuple(sorted(set(settings.alert_thresholds))),
            tz=ZoneInfo(settings.timezone),
            allocation_micro={name: to_micro(settings.allocation(name)) for name, _ in settings.allocations},
            budget_tier=budget_tier,
        )

    def refusal(self, totals: ledger.DayTotals, provider: str, need: int) -> tuple[str, int, int, int, bool] | None:
        """(scope, limit, committed, reserved, held) of the first limit ``need`` would break, else None. ``held``:
        ``need`` fits both limits but for the live reservations (running tasks hold the money, and will give back
        what they do not use)."""
        total, reserved_total = self.total_micro, totals.reserved_total
        committed = totals.spent_total + reserved_total
        allocation = self.allocation_micro.get(provider, 0)
        held = (reserved_total > 0 and totals.spent_total + need <= total
                and totals.spent.get(provider, 0) + need <= allocation)
        if total <= 0 and need > 0:  # no budget at all: the allocation (0 too) is not what to change first
            return "total", total, committed, reserved_total, False
        if committed + need > total:  # first: no provider can take it, whatever its allocation says
            return "total", total, committed, reserved_total, held
        mine = totals.committed(provider)
        if mine + need > allocation:
            return "provider", allocation, mine, totals.reserved.get(provider, 0), held
        return None

    def any_alert_passed(self, totals: ledger.DayTotals) -> bool:
        total, thresholds = self.total_micro, self.thresholds
        return total > 0 and bool(thresholds) and totals.spent_total * 100 >= total * thresholds[0]

    def passed_alerts(self, totals: ledger.DayTotals, fired: list[Row]) -> tuple[BudgetAlert, ...]:
        """Every threshold ``totals``' spend has passed, lowest first: one ``fired`` under this total as worded when
        it fired, the others (not announced yet) with one message between them, at the highest one's level
        (budget_text.alert_message): each keeps its own threshold and level, so that each is claimed on its own
        (budget_alerts.py) and another process never announces a lower one later."""
        if not self.any_alert_passed(totals):
            return ()
        total, spent = self.total_micro, totals.spent_total
        passed = [threshold for threshold in self.thresholds if spent * 100 >= total * threshold]
        # One fired under this total reads as worded when it fired; not one fired under another (the total edited
        # since, or another process's): its figures would not be today's ("76% ($0.38 / $0.50), remaining $0.07"
        # read at $0.77 of a total raised to $1.00). ledger.fired_alerts reads only this total's.
        stored = {row["threshold"]: row for row in fired if row["micro_total"] == total}
        new = tuple(threshold for threshold in passed if threshold not in stored)
        message = ""
        if new:
            tier = self.budget_tier  # design 8.3: the advice is to switch to the budget tier, so name only it
            left = {
                name: max(0, to_micro(alloc) - totals.committed(name)) for name, alloc in self.allocations
                if tier is None or name in tier
            }
            message = alert_message(
                level=alert_level(new[-1]), spent=spent, total=total,
                remaining=max(0, total - spent - totals.reserved_total), left_by_provider=left,
                timezone=self.settings.timezone, thresholds=new,
            )
        alerts = []
        for threshold in passed:
            row = stored.get(threshold)
            if row is None:
                alerts.append(BudgetAlert(threshold, alert_level(threshold), to_usd(spent), to_usd(total), message))
            else:
                alerts.append(BudgetAlert(
                    threshold, row["level"], to_usd(row["micro_spent"]), to_usd(row["micro_total"]), row["message"]
                ))
        return tuple(alerts)
