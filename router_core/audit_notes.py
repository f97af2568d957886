"""What an audit line that is no decision (an outage, a recovery, a budget edit) says: one text for `switchboard
audit` and the dashboard's recent decisions."""

from __future__ import annotations

from router_core.budget_text import money


def event_note(row: dict) -> str:
    """What an outage, recovery or budget edit line says, in a line (`switchboard audit` printed its time and event
    alone, and the dashboard an empty task); "" for another line."""
    event, provider = row.get("event"), row.get("provider")
    if event == "outage":  # its reason, "outage: 3 consecutive failures", after the event said "outage" too
        reason = str(row.get("reason"))
        return (f"{provider}: {reason.removeprefix('outage: ')}; last error: {row.get('last_error')}; "
                f"next probe {row.get('next_probe_at')}")
    if event == "recovered":
        seconds = row.get("outage_seconds")
        down = f" after {seconds:.0f} s down" if isinstance(seconds, int | float) else ""
        answer = f"; probe answer: {row['probe_answer']}" if row.get("probe_answer") else ""
        return f"{provider}{down}{answer}"
    if event == "budget_changed":
        before, after = row.get("previous_allocations"), row.get("allocations")
        changes = [("daily total", row.get("previous_daily_total"), row.get("daily_total"))]
        if isinstance(before, dict) and isinstance(after, dict):
            changes += [(name, before.get(name), after.get(name)) for name in {**before, **after}]
        return "; ".join(f"{what} {_usd(old)} -> {_usd(new)}" for what, old, new in changes if old != new)
    if event == "charged_dead_call":
        return (f"{provider}: {_usd(row.get('cost_charged_usd'))} charged to {row.get('budget_day')} for task "
                f"{row.get('task_id')}, whose process ended (or went silent) while the provider was answering")
    if event == "usage_recorded":
        entered = [f"{row.get(name)} {name}" for name in ("requests", "tokens") if row.get(name) is not None]
        if row.get("cost_usd"):
            entered.append(f"{_usd(row.get('cost_usd'))} spent")
        return f"{provider}: {', '.join(entered) or 'nothing'} entered by hand (record_usage or usage set)"
    return ""


def _usd(value) -> str:
    return money(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
