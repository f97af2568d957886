"""The recommendation audit trail (design 10.1) as JSON lines, safe for many processes at once.

One file per UTC day, ``provider_recommendations-YYYY-MM-DD.jsonl``; when it would pass
``max_bytes`` the next line starts ``...-YYYY-MM-DD.1.jsonl``, then ``.2`` and so on, so part order is
time order and no file is ever renamed under a reader. A writer takes an exclusive ``flock`` on a lock
file in the directory, picks the target part under that lock and appends the whole line with one
``write`` on an ``O_APPEND`` descriptor: lines from concurrent processes never interleave or tear
(see router_core/audit_writer.py).
Secrets are redacted before anything is serialised (see router_core/redact.py).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from router_core.audit_lines import lines, lines_backwards, parse_line
from router_core.audit_writer import PREFIX, PartAppender, private_dir
from router_core.clock import Clock
from router_core.errors import InvalidRequest, StateUnusable
from router_core.inputs import surrogates_replaced
from router_core.records import iso_ms
from router_core.redact import any_may_hold_secret, clean, may_hold_secret
from router_core.settings import AuditSettings

logger = logging.getLogger(__name__)

_FILE = re.compile(rf"^{PREFIX}-(\d{{4}}-\d{{2}}-\d{{2}})(?:\.(\d+))?\.jsonl$")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # match(): anchored at the start; \Z: no newline after
# Every record's "event": a routing decision ("recommendation"), the user's answer to recommend's prompt,
# an executed task ("dispatch", "batch_task"), a planned batch task, a provider's outage and recovery, a
# budget configuration edited while the server ran, and a call charged for a process that died in it.
EVENTS = ("recommendation", "user_response", "dispatch", "batch_plan", "batch_task", "outage", "recovered",
          "budget_changed", "charged_dead_call", "usage_recorded")
SESSION_PREFIX = "session-"  # of every session_id (router_core/core.py, server/app.py); the dashboard shows the rest


def day_problem(day: str) -> str | None:
    """What is wrong with ``day`` as a log's day, for a message; None when it is a real YYYY-MM-DD date."""
    if is_day(day):
        return None
    if isinstance(day, str) and _DAY.match(day):  # the shape is right: 2026-02-30
        return f"{day} is not a date in the calendar; give a real day as YYYY-MM-DD"
    return f"day must be a date as YYYY-MM-DD (2025-01-11), got {day[:60]!r}{'...' * (len(day) > 60)}"


def _check_day(day: str) -> None:
    problem = day_problem(day)
    if problem is not None:
        raise InvalidRequest(problem)


class JsonlAuditLog:
    """Appends decision records and reads them back (most recent last)."""

    def __init__(self, directory: Path, settings: AuditSettings, clock: Clock, *, prune_daily: bool = False) -> None:
        """``prune_daily``: drop days past ``keep_days`` on this object's first append of each UTC day
        (a directory listing; the server's core does, a test of one log need not)."""
        self.directory = Path(directory)
        try:
            private_dir(self.directory)
        except OSError as exc:
            raise StateUnusable.directory("audit directory", self.directory, exc) from exc
        self._settings = settings
        self._clock = clock
        self.skipped_lines = 0  # unparsable lines met while reading, since this object was made
        self.skipped_in: dict[Path, int] = {}  # the most unparsable lines met in one read of each file
        self.warn_skipped = True  # False: the caller says them itself (the audit commands); logged at DEBUG
        self._appender = PartAppender(self.directory, settings.max_bytes)
        self._prune_daily = prune_daily
        self._pruned_on: str | None = None  # the UTC day this object last pruned on

    # -- writing -------------------------------------------------------------------------------

    def append(self, record: Mapping[str, Any], *, external: Iterable[str] | None = None) -> dict[str, Any]:
        """Write one record as one line and return it as written (redacted, with a timestamp).

        ``external``: the record's strings that came from outside (the host's task text, ids), when the
        caller knows them all and the rest are Switchboard's own words and numbers. The test for
        secrets then reads only those instead of the whole line (records.external_strings).
        """
        now = self._clock.now()
        entry = dict(record)
        if "timestamp" not in entry:
            entry = {"timestamp": iso_ms(now), **entry}
        try:  # fast path: a plain-JSON record with nothing secret-looking is written as it is
            line = to_json(entry, inf_nan_mode="null")  # as json.dumps(separators=(",", ":")), UTF-8
            dirty = any_may_hold_secret(external) if external is not None else may_hold_secret(line.decode())
        except (PydanticSerializationError, TypeError, ValueError):
            dirty = True
        if dirty:
            entry = clean(entry)
            line = surrogates_replaced(json.dumps(entry, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")
        if not self._settings.enabled:
            return entry
        day = utc_day(now)
        if self._prune_daily and self._pruned_on != day:
            self._prune_quietly(day)
        try:
            self._appender.append(day, line + b"\n")
        except OSError as exc:  # a full disk, a quota: said as such, not as "Error executing tool" or a traceback
            raise StateUnusable.unwritable("audit log", self.directory, exc) from exc
        return entry

    def part_path(self, day: str, part: int) -> Path:
        return self._appender.part_path(day, part)

    def close(self) -> None:
        self._appender.close()

    # -- reading -------------------------------------------------------------------------------

    def days(self) -> list[str]:
        """Days (UTC, ISO) that have a log file, oldest first."""
        return sorted({m.group(1) for m in map(_FILE.match, _names(self.directory)) if m})

    def parts(self, day: str) -> list[Path]:
        """The files of ``day`` in write order (part 0 first)."""
        found = [(int(m.group(2) or 0), m.group(0)) for m in map(_FILE.match, _names(self.directory)) if m]
        return [self.directory / name for _, name in sorted(found) if _FILE.match(name).group(1) == day]

    def read_day(self, day: str) -> list[dict[str, Any]]:
        """Every record of ``day`` (all rotated parts), oldest first."""
        _check_day(day)
        return [record for path in self.parts(day) for record in self._iter_parse(path, lines(path))]

    def newest_of_day(
        self, day: str, max_bytes: int, *, shorten: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """The newest records of ``day`` whose lines add up to at most ``max_bytes``, oldest first, and
        whether that is the whole day. A line longer than ``max_bytes`` alone (a task of 200,000 characters)
        is taken as ``shorten`` makes its record, and counts as that; without ``shorten`` it ends the read."""
        _check_day(day)
        found: list[dict[str, Any]] = []
        budget = max_bytes
        for path in reversed(self.parts(day)):
            # A line skipped (torn, or NULs a crash left) puts none of its bytes in the reply.
            for raw, record in self._parsed_lines(path, lines_backwards(path)):
                records = [record]
                size = len(raw) + 1
                if size > max_bytes and shorten is not None:
                    records = [shorten(records[0])]
                    size = len(json.dumps(records[0], ensure_ascii=False).encode("utf-8", "surrogatepass")) + 1
                budget -= size
                if budget < 0:
                    return found[::-1], False
                found.extend(records)
        return found[::-1], True

    def records(self, since_day: str | None = None) -> Iterator[dict[str, Any]]:
        """Every record of the days from ``since_day`` (YYYY-MM-DD, inclusive) on, oldest first, parsed
        as they are met: one line is held at a time, never a part's bytes nor the records of a month."""
        for day in self.days():
            if since_day is None or day >= since_day:
                for path in self.parts(day):
                    yield from self._iter_parse(path, lines(path))

    def tail(
        self, n: int = 20, *, provider: str | None = None, status: str | None = None, since: str | None = None,
        session: str | None = None,
    ) -> list[dict[str, Any]]:
        """The last ``n`` matching records, most recent last. ``provider``: the one recommended, one the execution
        sent something to (after a fallback; not one it only skipped: audit_report.sent_to) or the one an outage or
        recovery names; ``status``: record["execution_metrics"]["status"] or record["event"]; ``since``: an ISO date
        or time (UTC unless it carries an offset), keeping records stamped at or after it; ``session``: the records
        of that session_id (a teammate's, on a team's server), or of the ids it begins."""
        start = parse_since(since) if since else None
        found: list[dict[str, Any]] = []
        if n <= 0:
            return found
        for day in reversed(self.days()):
            if start is not None and day < start.astimezone(UTC).date().isoformat():
                break
            for path in reversed(self.parts(day)):
                # Parse from the end, one line at a time: a tail rarely needs a whole 20 MB part.
                for _, record in self._parsed_lines(path, lines_backwards(path)):
                    if _matches(record, provider, status, start) and _of_session(record, session):
                        found.append(record)
                        if len(found) == n:
                            return found[::-1]
        return found[::-1]

    def oldest_kept_day(self) -> str:
        """The first UTC day whose files :meth:`prune` keeps: days before it are deleted (``keep_days``)."""
        return utc_day(self._clock.now() - self._settings.keep_days * 86400)

    def prune(self) -> int:
        """Delete the files of days more than ``keep_days`` before today (UTC); returns files removed."""
        cutoff = self.oldest_kept_day()
        removed = 0
        with self._appender.exclusive():
            for day in self.days():
                if day < cutoff:
                    for path in self.parts(day):
                        path.unlink(missing_ok=True)
                        removed += 1
                    self._appender.forget(day)
        return removed

    def _prune_quietly(self, day: str) -> None:
        self._pruned_on = day
        try:
            removed = self.prune()
        except (OSError, StateUnusable) as exc:  # retention is housekeeping: it never costs a decision its line
            logger.warning("could not prune the audit log in %s: %s", self.directory, exc)
        else:
            if removed:
                logger.info("pruned %d audit file(s) older than %d days", removed, self._settings.keep_days)

    def _iter_parse(self, path: Path, lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
        """The records among ``lines``; unparsable ones are counted in ``skipped_lines`` and logged."""
        for _, record in self._parsed_lines(path, lines):
            yield record

    def _parsed_lines(self, path: Path, lines: Iterable[bytes]) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Each record of ``lines`` with its line; the unparsable ones are counted in ``skipped_lines`` and
        logged once, when the caller is done with ``path`` (a tail reads it a line at a time)."""
        bad = 0
        try:
            for raw in lines:
                record = parse_line(raw)
                if record is None:
                    bad += 1
                else:
                    yield raw, record
        finally:
            if bad:  # warned of once per file (a dashboard reads the tail every second), again when it has more
                self.skipped_lines += bad
                level = logging.WARNING if self.warn_skipped and bad > self.skipped_in.get(path, 0) else logging.DEBUG
                self.skipped_in[path] = max(bad, self.skipped_in.get(path, 0))
                logger.log(level, "skipped %d unparsable line(s) in %s", bad, path)


def is_day(day: str) -> bool:
    """Whether ``day`` names a date as YYYY-MM-DD (2026-13-45 does not)."""
    if not _DAY.match(day):
        return False
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def utc_day(at: float) -> str:
    global _last_day
    start, text = _last_day
    if start <= at < start + _INSIDE_DAY:  # the day of the latest line (kept off its last millisecond, where
        return text                          # rounding to microseconds could tip a time into the next day)
    day = date(1970, 1, 1) + timedelta(seconds=at)
    text = day.isoformat()
    _last_day = ((day.toordinal() - _EPOCH_ORDINAL) * 86400.0, text)
    return text


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INSIDE_DAY = 86400.0 - 0.001
_last_day: tuple[float, str] = (math.inf, "")  # the start (epoch seconds) and name of the latest day utc_day named


def parse_since(text: str, *, name: str = "since") -> datetime:
    """``text`` as a moment (UTC unless it carries an offset); ``name`` is the argument as the caller knows it."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be an ISO date or time such as 2025-01-11T10:30:00Z, got {text!r}") from exc
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:  # its UTC day names the log files to read: one before year 1 or after 9999 is no date
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidRequest(f"{name} must be a time from year 1 to 9999 in UTC, got {text!r}") from None
    return moment


def _matches(record: dict[str, Any], provider: str | None, status: str | None, start: datetime | None) -> bool:
    if provider is not None and provider not in (_get(record, "recommendation", "provider"), record.get("provider")):
        from router_core.audit_report import sent_to  # (it imports this module)

        if not sent_to(record.get("execution_metrics"), provider):
            return False
    if status is not None and status not in (_get(record, "execution_metrics", "status"), record.get("event")):
        return False
    if start is not None:
        try:
            return parse_since(str(record.get("timestamp"))) >= start
        except InvalidRequest:
            return False
    return True


def _of_session(record: dict[str, Any], session: str | None) -> bool:
    """Whether ``record``'s session_id begins with ``session``, given whole or as the dashboard shows it (without
    its "session-", 8 digits)."""
    value = record.get("session_id")
    return session is None or (isinstance(value, str) and value.startswith((session, SESSION_PREFIX + session)))


def _get(record: dict[str, Any], outer: str, inner: str) -> Any:
    value = record.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def _names(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []
    except OSError as exc:  # said as such, not as "Error reading resource" or a traceback
        raise StateUnusable.unreadable("audit log", directory, exc) from exc
