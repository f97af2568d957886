"""Words for budget alerts and refusals, in the design's style (section 8.3).

Amounts arrive as integer micro-dollars (see router_core/store/ledger.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from router_core.failure_text import provider_said
from router_core.store.ledger import to_usd


def money(amount: float) -> str:
    """An amount in dollars as every message says it: $1,234.50 and $0.50; under a dollar, four decimals unless
    they are whole cents ($0.0153, $0.02), six under $0.0001 ($0.000040), so that an amount never reads as a
    smaller one ("$0.00 spent" was $0.004) and estimates side by side read alike ("$0.0038" and "$0.02" were
    $0.0038 and $0.0153). JSON keeps the number beside it (a ``*_usd`` field).

    A routing decision says a dozen amounts (its audit line): the common ones take the fewest steps, in float
    comparisons (a float compared with an int costs more)."""
    if amount >= 1.0:
        return f"${amount:.2f}" if amount < 1000.0 else f"${amount:,.2f}"  # grouped from $1,000 (grouping costs more)
    if amount >= 0.00005:
        four = f"${amount:.4f}"
        return four[:-2] if four[-2:] == "00" else four  # whole cents: $0.02, not $0.0200
    if amount > 0.0:
        return f"${amount:.6f}"
    if amount == 0.0:
        return "$0.00"
    if amount < 0.0:
        return f"-{money(-amount)}"
    return f"${amount}"  # not a number


def exact_money(amount: float) -> str:
    """An amount to 6 significant digits, never in exponent notation ($0.0000001, $0.000281): a max_cost and the
    least a try costs beside it, which :func:`money` would round to "$0.000000" (read as no limit), and which
    read "$1e-07" and "$8.5e-05" before."""
    text = f"{float(f'{amount:.6g}'):.12f}".rstrip("0").rstrip(".")
    return f"${text or '0'}"


def usd(micro: int) -> str:
    """:func:`money` of an amount in integer micro-dollars (the ledger's)."""
    return money(to_usd(micro))


def alert_level(threshold: int) -> str:
    if threshold >= 90:
        return "critical"
    if threshold >= 75:
        return "warning"
    return "info"


def alert_message(
    *, level: str, spent: int, total: int, remaining: int, left_by_provider: dict[str, int], timezone: str,
    thresholds: tuple[int, ...] = (),
) -> str:
    """The announcement of the ``thresholds`` (percent) spend has passed since the last one: one message, at
    ``level`` (the highest one's), naming them when there are several. Spend that jumps past two in one settlement
    (70% to 92%) is announced once, "CRITICAL: Daily budget at 92% ($92.00 / $100.00), past the 80% and 90%
    thresholds at once", not as an INFO and a CRITICAL that each said 92%."""
    percent = spent * 100 // total
    left = ", ".join(
        f"{name} {usd(micro)}" for name, micro in sorted(left_by_provider.items(), key=lambda kv: -kv[1]) if micro > 0
    ) or "none"
    at_once = ""
    if len(thresholds) > 1:
        named = [f"{t}%" for t in thresholds]
        at_once = f", past the {', '.join(named[:-1])} and {named[-1]} thresholds at once"
    lines = [
        f"{level.upper()}: Daily budget at {percent}% ({usd(spent)} / {usd(total)}){at_once}",
        f"    Remaining budget: {usd(remaining)}",
    ]
    if level == "critical":
        lines.append("    Recommended action: Defer non-critical tasks to next day")
        lines.append(f"    Next reset: Tomorrow 00:00 {timezone}")
    elif level == "warning":
        lines.append(f"    Recommended action: Switch to budget-tier providers with allocation left ({left})")
    else:
        lines.append(f"    Recommended action: Prefer budget-tier providers for routine tasks (allocation left: {left})")
    return "\n".join(lines)


def budget_exceeded_message(
    *, scope: str, provider: str, left: int, limit: int, need: int, reserved: int, timezone: str,
    seconds_to_reset: float, held: bool = False,
) -> str:
    """Why a reservation was refused, what remains, and what to do about it (``held``: refused only for what running
    tasks hold, BudgetLimits.refusal's flag)."""
    reset = f"the reset at 00:00 {timezone} ({_in(seconds_to_reset)})"
    wait = f"Wait for {reset}"
    holding = f" (running tasks hold {usd(reserved)} more until they settle)" if reserved > 0 else ""
    if held:  # room may come back in seconds: a task holds its most, pays its use
        wait = f"Try again when they finish (each pays what it used, often less than it holds), wait for {reset}"
    if scope == "total" and limit <= 0:
        return (
            "The daily budget is $0 (budget.daily_total = 0), so no provider can run a task. "
            "Raise budget.daily_total and give each provider you want to use a share of it in "
            "budget.allocation.<provider>."  # the same words for every provider: said once for a task (said_once)
        )
    if scope == "provider" and limit <= 0:
        return (
            f"{provider} has no daily budget allocation. Set budget.allocation.{provider} "
            f"or choose another provider."
        )
    if need > limit:  # more than a whole day's limit: the reset gives back no more than that
        whole, what_to_do = (
            (f"{provider}'s whole daily allocation",
             f"Raise budget.allocation.{provider}, shorten the task or its context, or choose another provider.")
            if scope == "provider" else
            ("the whole daily budget", "Raise budget.daily_total, or shorten the task or its context.")
        )
        return (
            f"This task is estimated at {usd(need)}, more than {whole} ({usd(limit)}), so the reset at 00:00 "
            f"{timezone} will not make room for it. {what_to_do}"
        )
    if scope == "provider":
        return (
            f"{provider} has {usd(left)} of its {usd(limit)} daily allocation left{holding}; "
            f"this task is estimated at {usd(need)}. {wait}, raise budget.allocation.{provider}, "
            f"or choose another provider."
        )
    return (
        f"The daily budget has {usd(left)} of {usd(limit)} left across all providers{holding}; "
        f"this task is estimated at {usd(need)}. {wait}, raise budget.daily_total, or defer the task."
    )


def _in(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes >= 60:
        return f"in {minutes // 60}h {minutes % 60:02d}m"
    if minutes >= 1:
        return f"in {minutes}m"
    return "in under a minute"


def percent_used(spent: float, total: float) -> float:
    """The share of ``total`` spent, in percent to one decimal, rounded down: 89.96% reads 89.9, not 90.0 while the
    90% alert has not fired (float noise aside: exactly half reads 50.0)."""
    if not total:
        return 0.0
    return math.floor(round(100 * spent / total, 6) * 10) / 10


_ESTIMATE = re.compile(r"estimated at (\$\d[\d,]*(?:\.\d+)?)")


def said_once(refusals: Iterable[tuple[str, str]]) -> str:
    """The budget refusals of a task's providers, ``(provider, message)``, each cause said once: messages that differ
    only by the task's estimate (the daily total refusing every provider) as one, naming each provider's estimate
    ("this task is estimated at $0.0038 on gemini, $0.0153 on codex and $0.0153 on claude"); a message said
    twice, once."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}  # the words around the estimate -> (estimate, provider)
    for provider, message in refusals:
        m = _ESTIMATE.search(message)
        head, tail = (message, "") if m is None else (message[:m.start(1)], message[m.end(1):])
        estimates = groups.setdefault((head, tail), [])
        if m is not None and (m.group(1), provider) not in estimates:
            estimates.append((m.group(1), provider))
    said = []
    for (head, tail), estimates in groups.items():
        if len(estimates) <= 1:  # one provider's (or none named): as it was said
            said.append(f"{head}{estimates[0][0] if estimates else ''}{tail}")
            continue
        each = [f"{amount} on {provider}" for amount, provider in estimates]
        said.append(f"{head}{', '.join(each[:-1])} and {each[-1]}{tail}")
    return " ".join(said)


def says(said: str, provider: str, message: str) -> bool:
    """Whether ``said`` (:func:`said_once`'s words, or an executor's summary, failure_text.provider_said) says
    ``provider``'s refusal ``message`` in full."""
    if message in said or provider_said(provider, message) in said:
        return True
    m = _ESTIMATE.search(message)
    if m is None:
        return False
    head, tail = message[:m.start(1)], message[m.end(1):]
    return head in said and tail in said and f"{m.group(1)} on {provider}" in said
