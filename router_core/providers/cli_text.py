"""Reading CLI output: JSON objects amid other text, and the reset times in usage-limit messages.

Reset formats (provider-apis.md 5.1, 5.2; codex-rs/core/src/error.rs ``format_retry_timestamp``):
- codex: ``"You've hit your usage limit. … Try again at 3:05 PM."`` (same local day, so never tomorrow) or
  ``"… try again at Dec 3rd, 2026 3:05 PM."``; local time of the machine running the CLI. Before those (codex
  ~0.39 and older): ``"… or try again in 2 days 17 hours 14 minutes."`` (cut to the minute). The ChatGPT backend's
  429 body may be quoted instead: ``"resets_at": <epoch>`` / ``"resets_in_seconds": N``.
- claude: ``"Claude AI usage limit reached|<epoch>"`` (older; shown as ``"… Your limit will reset at 3pm
  (America/Bogota)."``) or ``"You've hit your limit · resets 3pm (UTC)"``, ``"… resets 9am (Europe/Berlin)"``
  (2.0.x: ``"5-hour limit reached ∙ resets 2am"``, ``"Weekly limit reached · resets 10am (Asia/Seoul)"``); a
  weekly limit may name a day: ``"resets Oct 9, 5pm (UTC)"``, and its year when that is not the CLI's current
  one (2.1.x: ``toLocaleString("en-US")``, ``"resets Jan 2, 2027, 5pm (UTC)"``).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from router_core.providers.answers import mapping, token_count

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_CODEX_AT = re.compile(
    rf"try again at (?:{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?, (\d{{4}}) )?(\d{{1,2}}):([0-5]\d) ?([AP]M)", re.I
)
# Codex before ~0.40: "… or try again in 2 days 17 hours 14 minutes." ("less than a minute" under one).
_CODEX_IN = re.compile(r"try again in ((?:\d+ (?:day|hour|minute|second)s?\b[ ,and]*)+|less than a minute)", re.I)
_CODEX_IN_PART = re.compile(r"(\d+) (day|hour|minute|second)", re.I)
_UNIT_SECONDS = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
_RESETS_AT_JSON = re.compile(r'"resets_at"\s*:\s*(\d{9,13})')
_RESETS_IN_JSON = re.compile(r'"resets_in_seconds"\s*:\s*(\d+(?:\.\d+)?)')
_CLAUDE_EPOCH = re.compile(r"usage limit reached\|(\d{9,13})", re.I)
_CLAUDE_RESETS = re.compile(
    rf"\bresets?\s+(?:at\s+)?(?:{_MONTH}\s+(\d{{1,2}}),?\s+(?:(\d{{4}}),?\s+)?(?:at\s+)?)?"
    r"(\d{1,2})(?::([0-5]\d))?\s*([ap]m)\s*(?:\(([^)]+)\))?",
    re.I,
)
# A subscription limit whose message names no reset ("You've hit your usage limit. Try again later."): execution
# holds the provider for one probe interval (failures.py, outages.py), not 0 (asked again at once, refused again).
NO_RESET = "no reset time given (held for execution.outage_probe_interval_seconds, then tried again)"
# A claude reset time this recently past is the one the CLI meant, not tomorrow's (nor next year's): the CLI was
# refused just before it and the run ended just after. Its limits carry a date when they are days off.
JUST_PASSED_SECONDS = 15 * 60
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def load_json_object(text: str) -> dict[str, Any] | None:
    """The whole text as one JSON object, else the last JSON object that starts a line (CLIs print banners).
    A whole text that is an array gives its last object: with verbose on (a flag, or the user's settings) claude
    prints the session's messages as one array, the result last (anthropics/claude-code#84784)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = json.loads(text)
        if isinstance(value, list):
            value = next((v for v in reversed(value) if isinstance(v, dict)), None)
        return value if isinstance(value, dict) else None
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        pass
    decoder = json.JSONDecoder()
    found = None
    for match in re.finditer(r"(?m)^\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            found = value
    return found


def json_lines(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                events.append(value)
    return events


def field(data: Any, *path: str) -> dict[str, Any]:
    """The JSON object at ``path`` inside ``data``, else {} (absent, null, or not an object: a CLI's odd output
    must not raise AttributeError out of the dispatch)."""
    for key in path:
        data = mapping(data).get(key)
    return mapping(data)


def count(value: Any) -> int:
    """A token count as the CLI printed it; 0 if absent, negative, not finite or not a number."""
    return token_count(value) or 0


def usd(value: Any) -> float | None:
    """A cost as the CLI printed it; None if absent, negative, not finite or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# A terminal's colour and cursor codes (gemini 0.61.0 prints a fatal error's message in red: "\x1b[31m…\x1b[0m").
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def tail(text: str, limit: int = 300) -> str:
    """The end of ``text`` on one line, for a message: without a terminal's colour codes, whitespace folded."""
    text = " ".join(_TERMINAL_CODES.sub("", text).split())
    return text if len(text) <= limit else "…" + text[-limit + 1 :]


def codex_reset_at(message: str, now: float, tz: tzinfo | None) -> float | None:
    """When a codex usage limit resets, as an epoch, or None if the message names no time ("Try again later.").

    A quoted backend body's ``resets_at`` / ``resets_in_seconds``, a duration ("try again in 2 days 3 hours"), or a
    time of day in ``tz`` (None: this machine's local time, the zone codex prints in). A time with no date is on
    the CLI's current local day, not the next occurrence: codex prints the date whenever the reset falls on
    another day, so a dateless time already past is a reset that has just passed (the window is open again),
    except just after midnight, when the CLI's day was our yesterday."""
    if match := _RESETS_AT_JSON.search(message):
        return _epoch(match.group(1))
    if match := _RESETS_IN_JSON.search(message):
        return now + float(match.group(1))
    if match := _CODEX_IN.search(message):
        parts = _CODEX_IN_PART.findall(match.group(1))
        return now + (sum(int(n) * _UNIT_SECONDS[unit.lower()] for n, unit in parts) if parts else 60)
    match = _CODEX_AT.search(message)
    if not match:
        return None
    month, day, year, hour, minute, ampm = match.groups()
    zone = tz  # None: naive local times (NAIVE_LOCAL below)
    local_now = datetime.fromtimestamp(now, zone)
    hour24 = int(hour) % 12 + (12 if ampm.upper() == "PM" else 0)
    if month:  # a date the calendar lacks (Feb 30th, year 0) gives no reset time
        date = _dated(datetime(2000, 1, 1, hour24, int(minute), tzinfo=zone), int(year),
                      _MONTHS.index(month.lower()) + 1, int(day))
        return date.timestamp() if date else None
    # Without a date the CLI meant its "today" (it prints the date otherwise), so a time already past means the
    # window has reset. Just after midnight, its today may have been our yesterday: the run crossed midnight.
    candidate = local_now.replace(hour=hour24, minute=int(minute), second=0, microsecond=0)
    just_after_midnight = local_now.hour == 0 and local_now.minute < 15
    if just_after_midnight and candidate.timestamp() - now > 12 * 3600:
        candidate -= timedelta(days=1)
    return candidate.timestamp()


def claude_reset_at(message: str, now: float, tz: tzinfo | None) -> float | None:
    """When a claude subscription limit resets, as an epoch, or None if the message names no time.

    ``"…|<epoch>"`` (seconds or milliseconds), else ``"resets 3pm (Europe/Berlin)"``: a time without a zone is in
    ``tz`` (None: this machine's local time, the zone Claude Code prints in), and one without a date is its next
    occurrence (tomorrow's once today's is past), but one passed less than JUST_PASSED_SECONDS ago is the reset
    the CLI meant. A dated one ("resets Oct 9, 5pm") is the next such date, in the year printed if any."""
    if match := _CLAUDE_EPOCH.search(message):
        return _epoch(match.group(1))
    match = _CLAUDE_RESETS.search(message)
    if not match:
        return None
    month, day, year, hour, minute, ampm, zone_name = match.groups()
    zone = _zone(zone_name) or tz  # None: naive local times (NAIVE_LOCAL below)
    local_now = datetime.fromtimestamp(now, zone)
    hour24 = int(hour) % 12 + (12 if ampm.lower() == "pm" else 0)
    candidate = local_now.replace(hour=hour24, minute=int(minute or 0), second=0, microsecond=0)
    # A time passed a moment ago is the reset the CLI meant: refused just before it, the run ended just after.
    recent = now - JUST_PASSED_SECONDS
    if month:
        # The next such date: this year's, else next year's; Feb 29 only in a leap year (none: unknown). A
        # date in another year than the CLI's own carries its year ("resets Jan 2, 2027, 5pm (UTC)").
        years = [int(year)] if year else range(candidate.year, candidate.year + 5)
        dates = (_dated(candidate, y, _MONTHS.index(month.lower()) + 1, int(day)) for y in years)
        candidate = next((d for d in dates if d is not None and d.timestamp() > recent), None)
        if candidate is None:
            return None
    elif candidate.timestamp() <= recent:
        candidate += timedelta(days=1)
    return candidate.timestamp()


def _dated(moment: datetime, year: int, month: int, day: int) -> datetime | None:
    try:
        return moment.replace(year=year, month=month, day=day)
    except ValueError:  # Feb 29 outside a leap year, or a day the month does not have
        return None


def _epoch(digits: str) -> float:
    value = float(digits)
    return value / 1000 if value > 1e11 else value  # milliseconds if too large for seconds


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


# NAIVE_LOCAL: with no zone (this machine's local time, as the CLI printed it) the datetimes are naive, and a
# naive datetime's timestamp() applies the system's rules for its own date. An aware one with the offset of the
# day read (astimezone()'s fixed offset) put a time on the far side of a daylight-saving change an hour off.
