"""`switchboard budget`, `switchboard usage` (show; set) and `switchboard audit` (tail)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from resources.views import AUDIT_OFF, usage_summary
from router_core.audit_notes import event_note
from router_core.budget_text import money
from router_core.budget_view import budget_view
from router_core.providers.timeparse import window_name
from router_core.settings import PROVIDER_NAMES
from router_core.usage import check_usage_record
from server.commands._common import CommandError, core, emit_json, json_text, router_errors, settings


def register(sub) -> None:
    b = sub.add_parser("budget", help="today's budget per provider, with alerts")
    b.add_argument("--json", action="store_true", help="print the budget view as JSON")
    b.set_defaults(func=budget)
    bsub = b.add_subparsers(dest="budget_cmd")
    ad = bsub.add_parser("adopt", help="record this configuration's budget.timezone and reservation_ttl_seconds as "
                                       "the state dir's, which every process on it must share (to change them)")
    ad.set_defaults(func=budget_adopt)

    u = sub.add_parser("usage", help="live usage per provider; `usage set` records observed usage")
    u.add_argument("--json", action="store_true", help="print the usage view as JSON")
    u.set_defaults(func=usage_show)
    usub = u.add_subparsers(dest="usage_cmd")
    s = usub.add_parser("set", help="enter usage observed elsewhere, such as in a provider's console")
    s.add_argument("provider", choices=PROVIDER_NAMES, help="the provider the usage was observed on")
    s.add_argument("--requests", type=int, help="requests used in the current rate window (execution.rate_window_seconds, a minute by default; not given: as last entered)")
    s.add_argument("--tokens", type=int, help="tokens used in the current rate window (not given: as last entered)")
    s.add_argument("--cost", type=float, help="USD to add to today's spend (not given: none)")
    s.set_defaults(func=usage_set)

    a = sub.add_parser("audit", help="tail the audit log (JSONL); `audit report` summarises it")
    a.add_argument("-n", "--lines", type=int, default=20, help="how many of the latest matching entries (default 20)")
    a.add_argument("--provider", choices=PROVIDER_NAMES, help="entries routed to this provider, or sent to it after a fallback")
    a.add_argument("--status", help="execution status (success, failed, ...) or event name (dispatch, ...) to match")
    a.add_argument("--since", help="ISO date or time (UTC unless it has an offset); entries at or after it")
    a.add_argument("--session", help="entries of this session_id, or of the ids it begins (a teammate's, on a team's "
                   "server; --json shows each entry's, the dashboard its digits)")
    a.add_argument("--json", action="store_true", help="print raw JSONL")
    a.set_defaults(func=audit_tail)
    asub = a.add_subparsers(dest="audit_cmd")
    r = asub.add_parser("report", help="provider distribution, cost per day, fallbacks, execution times")
    r.add_argument("--since", help="ISO date or time (UTC unless it has an offset); entries at or after it")
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    r.set_defaults(func=audit_report)


@router_errors
def budget(args) -> int:
    view = budget_view(core().budget())
    if args.json:
        emit_json(view)
        return 0
    # money(), as every message says an amount ("$0.00 ... (4.9%)" was seen; the columns' 0.0000 was $0.00004)
    print(f"Daily budget {view['day']} ({view['timezone']}): {money(view['spent'])} / {money(view['total'])} "
          f"({view['percent_used']}%), reserved {money(view['reserved'])}, remaining {money(view['remaining'])}")
    print(f"{'provider':<8} {'allocation':>10} {'spent':>10} {'reserved':>10} {'remaining':>10} {'used':>6}")
    for name, p in view["providers"].items():  # used: the share of the allocation spent (design 8.1)
        print(f"{name:<8} {money(p['allocation']):>10} {money(p['spent']):>10} {money(p['reserved']):>10} "
              f"{money(p['remaining']):>10} {p['percent_used']:>5}%")
    if view["total"] <= 0:  # not "Alerts at: 50% $0.00, ...": there is no budget to take a share of
        print("No daily budget (budget.daily_total = 0): no provider can run a task, and there are no alerts; "
              "raise budget.daily_total and give providers a budget.allocation to route tasks")
    elif view["thresholds"]:  # design 8.1: every threshold's amount, and whether spend has passed it
        print("Alerts at: " + ", ".join(f"{t['percent']}% {money(t['amount'])}{' (passed)' if t['passed'] else ''}"
                                        for t in view["thresholds"]))
    for alert in view["alerts"]:  # each message once (thresholds passed together share one)
        print(alert["message"])
    print(f"Next reset: {reset_text(view['next_reset_at'], view['timezone'])}")
    return 0


@router_errors
def budget_adopt(args) -> int:
    """A deliberate change of the budget settings every process on the state dir shares (router_core/shared_budget.py)."""
    from router_core.core import DB_FILENAME
    from router_core.shared_budget import CHECK_EVERY, adopt
    from router_core.store.db import Database

    s = settings()
    db = Database(s.state_dir / DB_FILENAME)
    try:
        changed = adopt(db, s)
    finally:
        db.close()
    if not changed:
        print(f"The state dir {s.state_dir} already records budget.timezone = {s.budget.timezone!r} and "
              f"budget.reservation_ttl_seconds = {s.budget.reservation_ttl_seconds:g}; nothing changed")
        return 0
    for key, old, new in changed:
        print(f"budget.{key}: {old!r} -> {new!r}, recorded for the state dir {s.state_dir}")
    print(f"Processes on it configured otherwise now refuse every decision (running servers within "
          f"{CHECK_EVERY:g} seconds) until their configuration says the same; spend from now on counts under "
          "the day the new settings give")
    return 0


def reset_text(at: str, zone: str) -> str:
    """When the budget's day ends, as its timezone's clock says it (alerts say "Tomorrow 00:00 <zone>"), with
    the UTC instant after it: '2026-11-29 00:00 America/New_York (2026-11-29T05:00:00Z)'."""
    if zone == "UTC":
        return at
    return f"{datetime.fromisoformat(at).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone} ({at})"


@router_errors
def usage_show(args) -> int:
    c = core()
    view = usage_summary(c)
    if args.json:
        emit_json(view)
        return 0
    per = window_name(c.settings.execution.rate_window_seconds)
    print(f"{'provider':<8} {'requests/' + per:>16} {'tokens/' + per:>22} {'spent':>9}  state")
    for name, p in view["providers"].items():
        state = "available" if p["available"] else "BLOCKED: " + "; ".join(
            b["reason"] + _lifts(b["lifts_at"], view["generated_at"]) for b in p["blocks"])
        if "note" in p.get("outage", {}):  # an outage nobody has probed: no longer blocking, not known to be over
            state += f"; outage since {p['outage']['since']} {p['outage']['note']}"
        req = f"{p['requests_used']}/{p['requests_limit']} ({p['requests_percent']}%)"
        tok = f"{p['tokens_used']}/{p['tokens_limit']} ({p['tokens_percent']}%)"
        print(f"{name:<8} {req:>16} {tok:>22} {money(p['cost_today']):>9}  {state}  [{p['source']}]")
    return 0


def _lifts(at: str | None, now: str) -> str:
    """When a block lifts: none for a budget's (no known time); an outage's time is its next probe's, and once
    past (the probe not sent: no backend here, a hold, no budget for it) the outage lasts until one is answered."""
    if not at:
        return ""
    return f" until {at}" if at >= now else f" until a probe is answered (one due since {at})"


@router_errors
def usage_set(args) -> int:
    args.cost = args.cost or 0.0
    check_usage_record(args.requests, args.tokens, args.cost, names=("--requests", "--tokens", "--cost"),
                       provider=args.provider, hint=f"switchboard usage set {args.provider} --requests 2500 --tokens 450000")
    c = core()
    c.record_usage(args.provider, requests=args.requests, tokens=args.tokens, cost_usd=args.cost, manual=True)
    emit_json(usage_summary(c)["providers"][args.provider])
    return 0


@router_errors
def audit_tail(args) -> int:
    if args.lines < 1:
        raise CommandError("--lines must be 1 or more")
    if args.status is not None:
        _check_status(args.status)
    if args.since:
        from router_core.audit import parse_since

        parse_since(args.since, name="--since")  # refused with the flag's name, not the tool argument's
    c = core()
    log = c.audit
    log.warn_skipped = False  # said below, once, in this command's words
    if args.session is not None and not args.session.strip():
        raise CommandError("--session is empty: give a session_id (or its beginning), as `audit --json` shows them")
    rows = log.tail(args.lines, provider=args.provider, status=args.status, since=args.since, session=args.session)
    for row in rows:
        if args.json:
            sys.stdout.write(json_text(row) + "\n")
        else:
            print(_one_line(row))
    if not rows:  # said on stderr: stdout holds only entries (none, as JSONL with --json)
        filters = [f"--{name} {value}" for name, value in
                   (("provider", args.provider), ("status", args.status), ("since", args.since),
                    ("session", args.session)) if value]
        if filters and log.days():
            print(f"switchboard: no audit entries match {' '.join(filters)}", file=sys.stderr)
        elif c.settings.audit.enabled:  # off: _say_if_off says why
            print(f"switchboard: no audit entries yet (in {log.directory})", file=sys.stderr)
    _say_skipped(log)
    _say_if_off(c)
    return 0


def _say_skipped(log) -> None:
    """The lines read that held no record, said once (the log's own warning is off), with where and what to do."""
    if not log.skipped_lines:
        return
    files = sorted(log.skipped_in.items())
    where = ", ".join(f"{path} ({n})" for path, n in files[:3]) + (f" and {len(files) - 3} more files"
                                                                   if len(files) > 3 else "")
    lines = "1 line" if log.skipped_lines == 1 else f"{log.skipped_lines} lines"
    print(f"switchboard: {lines} of the audit log left out: not a record (torn by a crash, or written by "
          f"another program), in {where}. The other entries are all read; to stop this note, delete those "
          "lines (nothing in them can be read).", file=sys.stderr)


def _say_if_off(c) -> None:
    """With the log off, no entry is missing by mistake: said, with how to turn it on."""
    if not c.settings.audit.enabled:
        print(f"switchboard: {AUDIT_OFF}", file=sys.stderr)


def _check_status(status: str) -> None:
    """An unknown --status would match nothing, silently: refused with the names that can match."""
    from router_core.audit import EVENTS
    from router_core.execution.results import STATUSES

    if status not in STATUSES and status not in EVENTS:
        raise CommandError(f"--status {status!r} is neither an execution status ({', '.join(STATUSES)}) "
                           f"nor an event ({', '.join(EVENTS)})")


def _one_line(row: dict) -> str:
    from router_core.audit_report import sent_anything

    # A line another tool wrote may hold anything in these fields: one that is not an object is left out.
    rec = row.get("recommendation") if isinstance(row.get("recommendation"), dict) else {}
    metrics = row.get("execution_metrics") if isinstance(row.get("execution_metrics"), dict) else {}
    parts = [row.get("timestamp", "?"), row.get("event", "recommendation")]
    if rec:
        parts.append(f"{rec.get('provider')} ({rec.get('provider_reason')}) est {rec.get('cost_estimate')}")
    if metrics:
        # After a fallback, the provider that ran it is said: the line read as if the one routed to had. Not of a
        # parked task: it is waiting for all of them, not on the last one it reached.
        ran, status = metrics.get("provider"), metrics.get("status")
        elsewhere = (f" on {ran}" if isinstance(ran, str) and rec and ran != rec.get("provider")
                     and status != "parked" and sent_anything(metrics) else "")
        parts.append(f"{metrics.get('status')}{elsewhere} {metrics.get('cost_actual', '')}")
    if not rec and not metrics and (note := event_note(row)):
        parts.append(note)
    task = row.get("task_description")
    if task:
        parts.append(repr(task[:60]) if isinstance(task, str) else repr(task)[:60])
    return "  ".join(str(p) for p in parts)


@router_errors
def audit_report(args) -> int:
    try:
        from router_core.audit_report import build_report
        from router_core.audit_report_table import format_report_table
    except ImportError as exc:  # pragma: no cover - shipped together
        raise CommandError(f"audit report is unavailable: {exc}") from exc
    from router_core.audit import parse_since

    day = parse_since(args.since, name="--since").astimezone(UTC).date().isoformat() if args.since else None
    c = core()
    c.audit.warn_skipped = False  # said by _say_skipped, once
    # the budget's days, so a day's cost lines up with `switchboard budget`
    report = build_report(c.audit.records(day), since=args.since, timezone=c.settings.budget.timezone)
    report.skipped_lines = c.audit.skipped_lines
    if args.json:
        emit_json(report.to_dict())
    else:
        print(format_report_table(report))
    _say_skipped(c.audit)
    _say_if_off(c)
    return 0
