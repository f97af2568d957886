"""The amounts of USD the budget ledger (budget.py) takes: finite, not negative, and a recorded spend bounded."""

from __future__ import annotations

import math

from router_core.errors import InvalidRequest
from router_core.store.ledger import to_micro

# The most one recorded spend may add: far above any real day, far below what the ledger's integer
# micro-dollars can sum (about 9.2e12 USD).
MAX_RECORDED_USD = 1_000_000.0


def check_recorded_spend(usd: float, what: str = "cost_usd") -> None:
    """Refuse a spend to record that is not a finite amount of USD from 0 to MAX_RECORDED_USD."""
    check_amount(usd, what)
    if usd > MAX_RECORDED_USD:
        raise InvalidRequest(
            f"{what} must be at most {MAX_RECORDED_USD:,.0f} USD per record, got {usd!r}; "
            f"enter the amount actually spent, in USD (e.g. 12.5)"
        )


def check_amount(usd: float, what: str) -> None:
    """Refuse an amount that is not a finite amount of USD >= 0 (an estimate, a cost to settle)."""
    if not isinstance(usd, (int, float)) or not math.isfinite(usd) or usd < 0:  # noqa: UP038 - a tuple checks faster
        raise InvalidRequest(f"{what} must be a finite amount of USD >= 0, got {usd!r}")


def fits(usd: float, left: float) -> bool:
    """Whether a reservation of ``usd`` fits in ``left`` (:meth:`budget.BudgetLedger.left_for`), in exact micro-dollars as
    :meth:`budget.BudgetLedger.reserve` counts."""
    if -_DECIDED < usd < _DECIDED and -_DECIDED < left < _DECIDED:  # (NaN falls through, and to_micro refuses it)
        # Where a float holds micro-dollars to far better than one, and to_micro is monotonic: decided without it
        # (two calls cost ~1 µs, 10 a dispatch on the routing path).
        if usd <= left:
            return True
        if usd - left > 1e-5:  # ten micro-dollars apart: rounding cannot bring them together
            return False
    return to_micro(usd) <= to_micro(left)


_DECIDED = 1e6  # USD: below it x * 1e6 is exact to ~1e-4 micro-dollars
