"""`switchboard audit report` as plain-text tables for people (the report itself: audit_report.py)."""

from __future__ import annotations

from router_core.audit_report import AuditReport
from router_core.budget_text import money


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to their widest cell; the first left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  " + "  ".join(cells)

    return [line(header), *(line(r) for r in rows)]


def format_report_table(report: AuditReport) -> str:
    """The report as plain-text tables for people."""
    since = f" since {report.since}" if report.since else ""
    lines = [f"Audit report{since}: {report.decisions} decisions in {report.records} records"]
    if report.unreadable:
        lines.append(f"({report.unreadable} records had an unreadable timestamp or amount)")
    total = report.decisions or 1
    lines += ["", "Provider distribution"]
    rows = [[p, str(n), f"{100 * n / total:.1f}%"] for p, n in sorted(report.provider_distribution.items())]
    lines += _table(["provider", "decisions", "share"], rows) if rows else ["  (no decisions)"]

    providers = report.providers
    lines += ["", f"Cost per day ({report.timezone}) and provider (USD; * = includes estimates where no actual cost "
              "was recorded)"]
    rows = []
    for day, costs in sorted(report.cost_by_day.items()):
        cells = [
            money(costs[p].total_usd) + ("*" if costs[p].estimated_usd else "") if p in costs else "-"
            for p in providers
        ]
        day_total = sum(c.total_usd for c in costs.values())
        rows.append(
            [day, *cells, money(day_total) + ("*" if any(c.estimated_usd for c in costs.values()) else "")]
        )
    lines += _table(["day", *providers, "total"], rows) if rows else ["  (no costs)"]

    share = (
        f" of {report.decisions} decisions ({100 * report.fallback_total / total:.1f}%)"
        if report.decisions
        else ""
    )
    lines += ["", f"Fallback activations: {report.fallback_total}{share}"]
    rows = [
        [reason, str(n)] for reason, n in sorted(report.fallbacks.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    lines += _table(["reason", "count"], rows) if rows else []

    if report.runs_fell_back:  # sent to a provider, then on to another (429s past their retries, an outage...)
        lines += ["", f"Fell back while running: {report.runs_fell_back} runs"]
        rows = [[left, str(n)] for left, n in sorted(report.left.items(), key=lambda kv: (-kv[1], kv[0]))]
        lines += _table(["provider left: its last try", "count"], rows)

    lines += ["", "Average execution time per provider"]
    rows = [[p, str(t.runs), f"{t.average_seconds:.1f} s"] for p, t in sorted(report.execution_times.items())]
    lines += _table(["provider", "runs", "average"], rows) if rows else ["  (no executions recorded)"]
    return "\n".join(lines) + "\n"
