"""Parsing the time formats providers use for waits and resets, into seconds or epoch seconds.

- Go-style durations in OpenAI ``x-ratelimit-reset-*`` headers: ``"6m0s"``, ``"1s"``, ``"20ms"``, ``"1h2m3.5s"``
  (provider-apis.md 1.7); Google ``RetryInfo.retryDelay``: ``"17s"``, ``"1.5s"``, ``"900ms"`` (3.6); the same in
  an error message's "Please try again in 120ms" (OpenAI, 1.6) or "Please retry in 36.4s" (Google, 3.6).
- ``retry-after``: seconds (integer or float) or an HTTP date (GMT, also in asctime's form that names no zone); ``retry-after-ms``: milliseconds (2.5). A header
  sent more than once arrives as one value joined with ", " (httpx): of several seconds values the longest stands;
  a cached or proxied response's ``Age`` is subtracted (the wait counts from when it was made).
- RFC 3339 times in ``anthropic-ratelimit-*-reset``: ``"2025-08-21T12:40:59Z"`` (2.6).

A value that is not a finite number (``inf``, ``1e400``, ``nan``) parses as absent, never as an exception;
the formatters never raise either (a message about an odd value must still be written).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|us|µs|μs|ns|h|m|s))+$")
_RETRY_IN = re.compile(r"(?:try again|retry) in ((?:\d+(?:\.\d+)?(?:ms|us|µs|μs|ns|h|m|s))+)", re.I)
_YEAR = 365 * 86400.0
# How far a provider's Date header may be from this machine's clock and still be taken as the clock the Retry-After
# date was set by: a virtual machine resumed before it synced is hours off, not days.
MAX_CLOCK_SKEW = 86400.0


def parse_duration(text: str | None) -> float | None:
    """Seconds in a Go/Google duration string, or None if it is not one."""
    if not text:
        return None
    text = text.strip()
    if not _DURATION.match(text):
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    return seconds if math.isfinite(seconds) else None


def retry_in(message: str) -> float | None:
    """Seconds an error message asks to wait ("Please try again in 1m30.5s."), or None if it names none."""
    match = _RETRY_IN.search(message)
    return parse_duration(match.group(1)) if match else None


def header_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """:func:`parse_retry_after` of a response's headers (``httpx.Headers``: names in any case)."""
    return parse_retry_after(headers.get("retry-after"), headers.get("retry-after-ms"), now, headers.get("date"),
                             headers.get("age"))


def parse_retry_after(
    seconds: str | None, milliseconds: str | None, now: float, sent: str | None = None, age: str | None = None,
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (preferred) or ``retry-after`` (seconds or HTTP date). An HTTP date is
    counted from the response's ``Date`` header (``sent``) when it has one, as the sender's clock set both: this
    machine's clock may be hours off (a virtual machine resumed before it synced), and a minute's wait read against
    it became hours (a quota's hold), or none. A response a cache or proxy kept says how long ago it was made in
    ``Age`` (RFC 9111 5.1), and its wait counts from then: a seconds value (or the Date a date is read against) is
    that much older, the wait that much shorter, never below 0."""
    elapsed = age_seconds(age)
    if milliseconds:
        try:
            value = float(milliseconds) / 1000
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return max(0.0, value - elapsed)
    if not seconds:
        return None
    try:  # several headers (a proxy's and the provider's) arrive joined: "20, 20"; the longest wait stands
        value = max(float(part) for part in seconds.split(","))
    except ValueError:
        pass
    else:
        return max(0.0, value - elapsed) if math.isfinite(value) else None
    until = parse_http_date(seconds)
    if until is None:
        return None
    return max(0.0, until - senders_now(sent, now, elapsed))


def age_seconds(text: str | None) -> float:
    """An ``Age`` header's seconds (a non-negative integer; of several joined, the first), else 0."""
    first = (text or "").split(",")[0].strip()
    return float(first) if first.isascii() and first.isdigit() else 0.0  # "²".isdigit(), and float() refuses it


def senders_now(sent: str | None, now: float, age: float = 0.0) -> float:
    """The moment a response was sent, by the clock that set its reset times: its ``Date`` header (plus ``age``,
    the seconds a cache kept it since), unless absent, unreadable or further than MAX_CLOCK_SKEW from ``now`` (a
    Date of 1970, or a cached answer's: not a clock)."""
    origin = parse_http_date(sent)
    return now if origin is None or abs(origin - now) > MAX_CLOCK_SKEW else origin + age


def parse_http_date(text: str | None) -> float | None:
    """Epoch seconds of an HTTP date, or None. One naming no zone (asctime's form, or "-0000") is GMT (RFC 9110
    5.6.7), not this machine's local time."""
    if not text:
        return None
    try:
        date = parsedate_to_datetime(text)
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        value = date.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def parse_rfc3339(text: str | None) -> float | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parse_int(text: str | None) -> int | None:
    """A header's count; of several joined by a proxy ("60, 60"), the lowest (the limit or remainder to respect)."""
    if text is None:
        return None
    if "," in text:
        counts = [n for part in text.split(",") if (n := parse_int(part)) is not None]
        return min(counts, default=None)
    try:
        return int(float(text))
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        return None


def next_midnight(now: float, tz: tzinfo) -> float:
    """The epoch of the next 00:00 in ``tz`` after ``now`` (Gemini daily quotas reset at midnight Pacific)."""
    local = datetime.fromtimestamp(now, tz)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz).timestamp()


def format_seconds(seconds: float) -> str:
    """A short human duration for messages: ``250ms``, ``12s``, ``4m05s``, ``2h10m``."""
    if not math.isfinite(seconds):
        return "an unknown time"
    if seconds > _YEAR:
        return "over a year"
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    whole = math.ceil(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


_WINDOW_NAMES = {60.0: "min", 3600.0: "hour", 86400.0: "day", 1.0: "s"}


def window_name(seconds: float) -> str:
    """The rate window the limits apply to, as in 'requests/min': 'min' for the default 60 s."""
    return _WINDOW_NAMES.get(float(seconds), f"{seconds:g}s")


def format_wait(seconds: float) -> str:
    """A wait in whole seconds under a minute (``0s``, ``45s``), else as format_seconds (``4m05s``, ``12h04m``):
    "capacity returns in 43386s" was read by people and models alike."""
    whole = math.ceil(max(0.0, seconds))
    return f"{whole}s" if whole < 60 else format_seconds(whole)


def format_epoch(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError, OSError):  # inf, nan, beyond year 9999
        if math.isnan(epoch):
            return "an unknown time"
        return "9999-12-31 23:59 UTC or later" if epoch > 0 else "0001-01-01 00:00 UTC or earlier"
